/**
 * The ts-mls settings the client relies on (engine/mls/config.ts, SECURITY.md "MLS usage"), each
 * shown to be read by ts-mls 1.6.4: every test runs one scenario under the client's config and
 * under a config with only that setting changed, and asserts both outcomes. Were a setting
 * ignored, both runs would end alike and one assertion would fail. maximumTotalLifetime, which
 * ts-mls ignores, is shown ignored, and enforced by the client (engine/policy.ts).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createGroup,
  createGroupInfoWithExternalPubAndRatchetTree,
  defaultKeyPackageEqualityConfig,
  defaultPaddingConfig,
  joinGroupExternal,
  type ClientConfig,
  type ClientState,
  type GroupInfo,
  type KeyRetentionConfig,
  type LifetimeConfig,
} from "ts-mls";
import { ratchetUntil } from "ts-mls/secretTree.js";
import { leafToNodeIndex, toLeafIndex } from "ts-mls/treemath.js";
import type { GroupId, UserName } from "@secure-chat/protocol";
import { encodeContent } from "../src/content.js";
import { addPlan, type Planner } from "../src/engine/commit-plans.js";
import type { Received } from "../src/engine/incoming.js";
import { directoryAuthService, type KeyDirectory } from "../src/engine/mls/auth-service.js";
import { clientConfig } from "../src/engine/mls/config.js";
import { encodeMessage, members, newKeyPackage, ownLeafIndex } from "../src/engine/mls/groups.js";
import { errorCode, errorMessage } from "../src/errors.js";
import { generateIdentity, sameKey, type Identity } from "../src/identity.js";
import { DAY, NOW, impl, lobby, nowSeconds, team, trustAll } from "./engine-members.js";
import { Member, created, keyPackageValid, names, pair, update } from "./engine-members.js";

/** The client's config with some of its parts replaced. */
const changed = (parts: Partial<ClientConfig>): ClientConfig => ({ ...trustAll, ...parts });
const retention = (parts: Partial<KeyRetentionConfig>) =>
  changed({ keyRetentionConfig: { ...trustAll.keyRetentionConfig, ...parts } });
const lifetimes = (parts: Partial<LifetimeConfig>) =>
  changed({ lifetimeConfig: { ...trustAll.lifetimeConfig, ...parts } });

/** What a member made of a delivery: the text shown, "refused: " and why, or the changes shown. */
function outcome(received: Received): string {
  const event = received.events[0];
  if (event?.type === "message") return event.text;
  if (event?.type === "error") return `refused: ${event.message}`;
  return names(received.events).join(", ");
}

/** How an operation went: "done", or "refused: " and why. */
async function attempt(operation: () => Promise<unknown>): Promise<string> {
  try {
    await operation();
    return "done";
  } catch (error) {
    return `refused: ${errorMessage(error)}`;
  }
}

async function encrypted(alice: Member, text: string): Promise<Uint8Array> {
  return (await alice.engine.encrypt(team, { id: text, sentAt: NOW, text })).ciphertext;
}

/** alice's next `count` messages in +team ("message FIRST" on), one generation after another, not delivered yet. */
async function sent(alice: Member, count: number, first = 0): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let i = first; i < first + count; i++) out.push(await encrypted(alice, `message ${i}`));
  return out;
}

function deliver(to: Member, ciphertext: Uint8Array | undefined): Promise<Received> {
  assert.ok(ciphertext !== undefined);
  return to.receive(team, "message", ciphertext, "alice");
}

describe("ts-mls reads the client's keyRetentionConfig", () => {
  it("retainKeysForEpochs (3): a message from 3 epochs back decrypts, one from 4 back does not (it does with 4)", async () => {
    const { alice, bob } = await pair();
    const wider = bob.restartedWith(retention({ retainKeysForEpochs: 4 }));
    // One message sent in each of epochs 1 to 4, all delivered once the group is at epoch 5.
    const late: Uint8Array[] = [];
    for (let epoch = 1; epoch <= 4; epoch++) {
      late.push(await encrypted(alice, `from epoch ${epoch}`));
      const commit = await alice.engine.prepareCommit(team, update);
      assert.ok(typeof commit !== "string");
      for (const member of [alice, bob, wider]) await member.receive(team, "commit", commit.frame.commit, "alice");
    }
    assert.equal(bob.epoch(team), 5n);
    // The past epochs whose secrets ts-mls kept; a message from any other has no keys left.
    const kept = (member: Member) =>
      [...member.state(team).historicalReceiverData.keys()].sort((a, b) => Number(a - b));
    assert.deepEqual(kept(bob), [2n, 3n, 4n]);
    assert.deepEqual(kept(wider), [1n, 2n, 3n, 4n]);
    assert.equal(outcome(await deliver(bob, late[1])), "from epoch 2");
    assert.match(outcome(await deliver(bob, late[0])), /^refused: /);
    assert.equal(outcome(await deliver(wider, late[0])), "from epoch 1");
  });

  it("retainKeysForGenerations (32): a message 32 generations behind the newest decrypts, 33 behind does not (it does with 33)", async () => {
    const { alice, bob } = await pair();
    const wider = bob.restartedWith(retention({ retainKeysForGenerations: 33 }));
    const messages = await sent(alice, 34);
    // Generation 33 arrives first: the keys of generations 0 to 32 are skipped, the newest 32 kept.
    for (const member of [bob, wider]) assert.equal(outcome(await deliver(member, messages[33])), "message 33");
    assert.equal(outcome(await deliver(bob, messages[1])), "message 1");
    assert.match(outcome(await deliver(bob, messages[0])), /^refused: .*Desired gen in the past/);
    assert.equal(outcome(await deliver(wider, messages[0])), "message 0");
  });

  it("maximumForwardRatchetSteps (1,000): a message 1,001 generations ahead is refused, 1,000 ahead decrypts (1,001 does with 1,001)", async () => {
    const { alice, bob } = await pair();
    const farther = bob.restartedWith(retention({ maximumForwardRatchetSteps: 1_001 }));
    // As if alice had sent 1,000 messages bob never got: her sending ratchet moved on by ts-mls's
    // own ratchet (sending them would take seconds). bob's ratchet for her is at generation 0.
    const state = alice.state(team);
    const node = leafToNodeIndex(toLeafIndex(ownLeafIndex(state)));
    const ratchet = state.secretTree[node]?.application;
    assert.ok(ratchet !== undefined && ratchet.generation === 0);
    const [ahead] = await ratchetUntil(ratchet, 1_000, state.clientConfig.keyRetentionConfig, impl.kdf);
    const secretTree = state.secretTree.map((secrets, i) =>
      i === node ? { ...secrets, application: ahead } : secrets,
    );
    alice.engine.table.set(team, { state: { ...state, secretTree }, pending: undefined });
    const messages = await sent(alice, 2, 1_000);
    assert.match(outcome(await deliver(bob, messages[1])), /^refused: .*too far in the future/);
    assert.equal(outcome(await deliver(farther, messages[1])), "message 1001");
    assert.equal(outcome(await deliver(bob, messages[0])), "message 1000");
  });
});

describe("ts-mls reads the client's lifetimeConfig", () => {
  /** ts-mls's own GroupInfo of #lobby, made by alice alone, her leaf from a KeyPackage valid from `notBefore` to `notAfter`. */
  async function lobbyWithLeaf(notBefore: bigint, notAfter: bigint): Promise<GroupInfo> {
    const alice = new Member("alice" as UserName);
    const { publicPackage, privatePackage } = await keyPackageValid(alice, notBefore, notAfter);
    // createGroup checks no lifetime: the tree holds the leaf as it is.
    const state = await createGroup(new TextEncoder().encode(lobby), publicPackage, privatePackage, [], impl, trustAll);
    return createGroupInfoWithExternalPubAndRatchetTree(state, [], impl);
  }

  /** carol's join by external commit with ts-mls itself: the engine's own lifetime check would come first. */
  async function carolJoins(groupInfo: GroupInfo, config: ClientConfig): Promise<string> {
    const carol = generateIdentity("carol" as UserName);
    const { publicPackage, privatePackage } = await newKeyPackage(carol, impl, false, NOW);
    return attempt(() => joinGroupExternal(groupInfo, publicPackage, privatePackage, false, impl, undefined, config));
  }

  const unchecked = lifetimes({ validateLifetimeOnReceive: false });

  it("validateLifetimeOnReceive: ts-mls refuses a received tree holding a leaf whose KeyPackage expired or is not valid yet (and joins it when off)", async () => {
    for (const [notBefore, notAfter] of [
      [nowSeconds - 10n * DAY, nowSeconds - DAY],
      [nowSeconds + DAY, nowSeconds + 10n * DAY],
    ] as const) {
      const groupInfo = await lobbyWithLeaf(notBefore, notAfter);
      assert.equal(await carolJoins(groupInfo, trustAll), "refused: Current time not within Lifetime");
      assert.equal(await carolJoins(groupInfo, unchecked), "done");
    }
  });

  it("validateLifetimeOnReceive: ts-mls refuses a commit adding a KeyPackage that expired before it arrived (and applies it when off)", async (t) => {
    const { alice, bob } = await pair();
    const lax = bob.restartedWith(unchecked);
    const dave = new Member("dave" as UserName);
    const { publicPackage } = await keyPackageValid(dave, nowSeconds - DAY, nowSeconds + DAY);
    const prepared = await alice.engine.prepareCommit(team, addPlan(dave.name, publicPackage));
    assert.ok(typeof prepared !== "string");
    // Two days later for ts-mls, which reads Date.now(). The engines' clock stays at NOW, so the
    // client's own check (engine/policy.ts) lets the KeyPackage through: only ts-mls refuses it.
    t.mock.timers.enable({ apis: ["Date"], now: NOW + 2 * 86_400_000 });
    assert.match(
      outcome(await bob.receive(team, "commit", prepared.frame.commit, "alice")),
      /^refused: .*Current time not within Lifetime/,
    );
    assert.equal(outcome(await lax.receive(team, "commit", prepared.frame.commit, "alice")), "dave joined by alice");
  });

  it("maximumTotalLifetime (90 days) is IGNORED by ts-mls 1.6.4: the client refuses a longer-lived leaf itself", async () => {
    const groupInfo = await lobbyWithLeaf(nowSeconds - DAY, nowSeconds + 3650n * DAY);
    // ts-mls joins a tree holding a leaf valid for 10 years whatever the maximum: 90 days or 1 second.
    assert.equal(await carolJoins(groupInfo, trustAll), "done");
    assert.equal(await carolJoins(groupInfo, lifetimes({ maximumTotalLifetime: 1n })), "done");
    // The engine checks it before calling ts-mls (policy.ts requireLifetimes).
    const carol = new Member("carol" as UserName);
    await assert.rejects(
      carol.engine.prepareExternalJoin(
        lobby,
        encodeMessage({ groupInfo, wireformat: "mls_group_info", version: "mls10" }),
      ),
      (error: unknown) => errorCode(error) === "BAD_MLS" && /valid for 3651 days/.test(String(error)),
    );
  });
});

describe("ts-mls reads the client's keyPackageEqualityConfig (one device per name)", () => {
  it("a join by external commit (resync) replaces the leaf the config calls the joiner's: under the client's, its name's", async () => {
    const alice = new Member("alice" as UserName);
    const bob = new Member("bob" as UserName);
    const join = await bob.engine.prepareExternalJoin(lobby, await created(alice, lobby));
    for (const member of [alice, bob]) await member.receive(lobby, "commit", join.frame.commit, "bob");
    const device = generateIdentity(bob.name); // bob's new device: his name, another key
    const leaves = (state: ClientState) =>
      members(state).map(
        (m) => `${m.name}@${m.leafIndex}${sameKey(m.signaturePublicKey, device.publicKey) ? " new" : ""}`,
      );
    const rejoin = (config: ClientConfig, identity: Identity) =>
      new Member(bob.name, config, identity).engine.prepareExternalJoin(lobby, join.frame.groupInfo);

    // Under a config that calls every leaf the joiner's, ts-mls removes the first one: alice's. This
    // comes first, with bob's own key, so that a ts-mls ignoring the config (and matching by key,
    // its default) fails here instead of hanging below: 1.6.4 loops forever on a resync that
    // matches no leaf, as a new device's would by key (see group-engine.ts).
    const anyLeaf = { compareKeyPackages: () => true, compareKeyPackageToLeafNode: () => true };
    const wrong = await rejoin(changed({ keyPackageEqualityConfig: anyLeaf }), bob.identity);
    assert.deepEqual(leaves(wrong.pending), ["bob@0", "bob@1"]);
    const replaced = await rejoin(trustAll, device);
    assert.deepEqual(leaves(replaced.pending), ["alice@0", "bob@1 new"]);
    await alice.receive(lobby, "commit", replaced.frame.commit, "bob");
    assert.deepEqual(leaves(alice.state(lobby)), ["alice@0", "bob@1 new"], "the members agree");
  });

  it("a commit adding a second leaf under a name already in the group is refused, by its maker and by members", async () => {
    const { alice, bob } = await pair();
    const keyPackage = await new Member(bob.name).freshKeyPackage(); // bob's new device
    const addOnly: Planner = () => ({ proposals: [{ proposalType: "add", add: { keyPackage } }] });
    assert.match(await attempt(() => alice.engine.prepareCommit(team, addOnly)), /someone already in the group/);
    // Under ts-mls's default (the same client is the same key) alice makes it, and bob applies it...
    const byKey = changed({ keyPackageEqualityConfig: defaultKeyPackageEqualityConfig });
    const prepared = await alice.restartedWith(byKey).engine.prepareCommit(team, addOnly);
    assert.ok(typeof prepared !== "string");
    const laxBob = bob.restartedWith(byKey);
    await laxBob.receive(team, "commit", prepared.frame.commit, "alice");
    assert.deepEqual(
      members(laxBob.state(team)).map((m) => m.name),
      ["alice", "bob", "bob"],
    );
    // ...which bob under the client's config refuses.
    assert.match(
      outcome(await bob.receive(team, "commit", prepared.frame.commit, "alice")),
      /^refused: .*someone already in the group/,
    );
  });
});

describe("ts-mls reads the client's paddingConfig (MLS padding off)", () => {
  it("ciphertext sizes step with the client's buckets; under ts-mls's default padding (to 256 bytes) they would not", async () => {
    const { alice } = await pair();
    const texts = ["a", "a".repeat(10), "a".repeat(50)];
    const content = (text: string) => ({ id: "m", sentAt: NOW, text });
    assert.deepEqual(
      texts.map((text) => encodeContent(content(text)).length),
      [64, 64, 128],
      "the client's buckets",
    );
    /** The ciphertext sizes of `texts` from `sender`, less the first one's. */
    async function steps(sender: Member): Promise<number[]> {
      const sizes: number[] = [];
      for (const text of texts) sizes.push((await sender.engine.encrypt(team, content(text))).ciphertext.length);
      return sizes.map((size) => size - (sizes[0] ?? 0));
    }
    assert.deepEqual(await steps(alice), [0, 0, 64]);
    assert.deepEqual(await steps(alice.restartedWith(changed({ paddingConfig: defaultPaddingConfig }))), [0, 0, 0]);
  });
});

describe("ts-mls asks the client's authService", () => {
  /** A server directory that lists `known` (their current keys) and nobody else. */
  function directoryOf(known: Identity[]): KeyDirectory {
    const pins = new Map<UserName, Uint8Array>();
    return {
      lookup: async (name) => {
        const identity = known.find((candidate) => candidate.name === name);
        return identity === undefined ? undefined : { current: identity.publicKey, retired: [] };
      },
      pinnedKey: async (name) => pins.get(name),
      pin: async (name, key) => void pins.set(name, key),
      keyChanged: async () => undefined,
      deviceProblem: async () => "this directory certifies no devices",
      deviceRefused: () => undefined,
    };
  }

  it("a credential the service refuses is refused when adding it, in a commit, in a Welcome and in a tree joined", async () => {
    const { alice, bob } = await pair();
    const carol = new Member("carol" as UserName);
    // Not in the directory: the client's service (auth-service.ts) refuses her credential.
    const mallory = new Member("mallory" as UserName);
    const checked = clientConfig(directoryAuthService(directoryOf([alice, bob, carol].map((m) => m.identity))));
    const malloryPackage = await mallory.freshKeyPackage();
    // What reaches members, made by clients that trust everyone: alice's commit adding mallory,
    // mallory's invitation of carol to +den, and mallory's #lobby.
    const adding = await alice.engine.prepareCommit(team, addPlan(mallory.name, malloryPackage));
    assert.ok(typeof adding !== "string");
    const den = "+den" as GroupId;
    await created(mallory, den);
    const inviting = await mallory.engine.prepareCommit(den, addPlan(carol.name, await carol.freshKeyPackage()));
    assert.ok(typeof inviting !== "string");
    const malloryLobby = await created(mallory, lobby);

    /** How each way of meeting mallory's credential ends for members under `config`. */
    const meetMallory = async (config: ClientConfig) => [
      await attempt(() =>
        alice.restartedWith(config).engine.prepareCommit(team, addPlan(mallory.name, malloryPackage)),
      ),
      outcome(await bob.restartedWith(config).receive(team, "commit", adding.frame.commit, "alice")),
      outcome(await carol.restartedWith(config).receive(den, "welcome", inviting.frame.welcome, "mallory")),
      await attempt(() => carol.restartedWith(config).engine.prepareExternalJoin(lobby, malloryLobby)),
    ];
    const refused = await meetMallory(checked);
    assert.equal(refused.length, 4);
    for (const each of refused) assert.match(each, /^refused: .*Could not validate credential/);
    assert.deepEqual(await meetMallory(trustAll), ["done", "mallory joined by alice", "room joined", "done"]);
  });
});
