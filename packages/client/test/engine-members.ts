/**
 * Members with real MLS engines (real ts-mls, x25519 suite, no server, no store, no timers), for
 * the tests that play the server by hand: each hands the frames one engine prepares to the others
 * as deliveries.
 */
import assert from "node:assert/strict";
import { defaultCapabilities, generateKeyPackageWithKey, type ClientConfig, type ClientState } from "ts-mls";
import { makeKeyPackageRef } from "ts-mls/keyPackage.js";
import { cipherSuites, type DeliveryKind, type GroupId, type UserName } from "@secure-chat/protocol";
import { addPlan, type Planner } from "../src/engine/commit-plans.js";
import { GroupEngine } from "../src/engine/group-engine.js";
import type { EngineReads, Received } from "../src/engine/incoming.js";
import { clientConfig } from "../src/engine/mls/config.js";
import { encodeMessage, encodeState, newKeyPackage } from "../src/engine/mls/groups.js";
import { loadCipherSuite } from "../src/engine/mls/suite.js";
import type { ChatEvent } from "../src/events.js";
import { generateIdentity, type Identity } from "../src/identity.js";
import type { HistoryEntry, StoredKeyPackage } from "../src/store/store.js";
import { encodeContent } from "../src/content/content.js";

/**
 * The engines' clock is the real one, taken once: ts-mls checks KeyPackage lifetimes against
 * Date.now(), not against the clock the engine is given, so a fixed date would make every
 * KeyPackage made "now" expire for ts-mls 60 days after that date.
 */
export const NOW = Date.now();
export const nowSeconds = BigInt(Math.floor(NOW / 1000));
export const DAY = 86_400n;
export const team = "+team" as GroupId;
export const lobby = "#lobby" as GroupId;
// Credentials are checked against the server's directory in the client; here everyone is who they say.
export const trustAll = clientConfig({ validateCredential: async () => true });
export const impl = await loadCipherSuite(cipherSuites.x25519);

let seq = 0;

/** One user's engine, with what the store would hold for it: its KeyPackages and message ids. */
export class Member {
  readonly engine: GroupEngine;
  readonly keyPackages: StoredKeyPackage[] = [];
  /** The history the member "saved", by message id. */
  readonly messages = new Map<string, HistoryEntry>();

  constructor(
    readonly name: UserName,
    config: ClientConfig = trustAll,
    readonly identity: Identity = generateIdentity(name),
  ) {
    this.engine = new GroupEngine({ self: name, identity, impl, config, now: () => NOW });
  }

  private readonly reads: EngineReads = {
    keyPackages: async () => this.keyPackages,
    message: async (_groupId, id) => this.messages.get(id),
  };

  /**
   * The same member (identity, groups, KeyPackages, message ids) restarted under another config:
   * states are stored without their config, which is code (mls/groups.ts decodeState).
   */
  restartedWith(config: ClientConfig): Member {
    const restarted = new Member(this.name, config, this.identity);
    restarted.engine.load(
      this.engine.table
        .joined()
        .map((groupId) => ({ groupId, state: encodeState(this.state(groupId)), pending: undefined })),
    );
    restarted.keyPackages.push(...this.keyPackages);
    for (const [id, entry] of this.messages) restarted.messages.set(id, entry);
    return restarted;
  }

  /** Receives a delivery and "saves" what it changed, as the delivery stream does. */
  async receive(groupId: GroupId, kind: DeliveryKind, payload: Uint8Array, sender: string): Promise<Received> {
    seq++;
    const received = await this.engine.receive({ groupId, kind, payload, seq, serverTs: seq * 10, sender }, this.reads);
    const { messages = [], revisions = [] } = received.changes;
    for (const message of [...messages, ...revisions]) this.messages.set(message.id, message);
    return received;
  }

  async freshKeyPackage() {
    const fresh = await newKeyPackage(this.identity, impl, false, NOW);
    this.keyPackages.push(fresh.stored);
    return fresh.publicPackage;
  }

  state(groupId: GroupId): ClientState {
    return this.engine.table.current(groupId);
  }

  epoch(groupId: GroupId): bigint {
    return this.state(groupId).groupContext.epoch;
  }
}

export const names = (events: ChatEvent[]) =>
  events.map((e) =>
    e.type === "member" ? `${e.name} ${e.change} by ${e.by}` : e.type === "room" ? `room ${e.change}` : e.type,
  );

export const update: Planner = () => ({ proposals: [], added: [], removed: [] });

export async function created(owner: Member, groupId: GroupId): Promise<Uint8Array> {
  const made = await owner.engine.newGroup(groupId);
  owner.engine.adoptCreated(groupId, made.state);
  return made.groupInfo;
}

/** alice creates `groupId` and adds bob; both are at epoch 1. */
export async function pair(groupId = team): Promise<{ alice: Member; bob: Member }> {
  const alice = new Member("alice" as UserName);
  const bob = new Member("bob" as UserName);
  await created(alice, groupId);
  const prepared = await alice.engine.prepareCommit(groupId, addPlan(bob.name, await bob.freshKeyPackage()));
  assert.ok(typeof prepared !== "string");
  await alice.receive(groupId, "commit", prepared.frame.commit, "alice");
  await bob.receive(groupId, "welcome", prepared.frame.welcome, "alice");
  return { alice, bob };
}

export async function say(from: Member, to: Member, groupId: GroupId, text: string): Promise<Received> {
  const { ciphertext } = await from.engine.encrypt(groupId, textPlaintext(from.name, groupId, text));
  return to.receive(groupId, "message", ciphertext, from.name);
}

/** The plaintext of a text message `sender` sends to `groupId` (a fresh salt each time). */
export function textPlaintext(sender: UserName, groupId: GroupId, text: string): Uint8Array {
  return encodeContent(sender, groupId, NOW, { kind: "text", text }).plaintext;
}

/** A KeyPackage of `member`'s valid from `notBefore` to `notAfter` (seconds), held as the store would. */
export async function keyPackageValid(member: Member, notBefore: bigint, notAfter: bigint) {
  const { publicPackage, privatePackage } = await generateKeyPackageWithKey(
    { credentialType: "basic", identity: new TextEncoder().encode(member.name) },
    defaultCapabilities(),
    { notBefore, notAfter },
    [],
    { signKey: member.identity.secretKey, publicKey: member.identity.publicKey },
    impl,
  );
  member.keyPackages.push({
    ref: await makeKeyPackageRef(publicPackage, impl.hash),
    publicPackage: encodeMessage({ keyPackage: publicPackage, wireformat: "mls_key_package", version: "mls10" }),
    initPrivateKey: privatePackage.initPrivateKey,
    hpkePrivateKey: privatePackage.hpkePrivateKey,
    lastResort: false,
  });
  return { publicPackage, privatePackage };
}
