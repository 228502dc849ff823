/**
 * A hostile server fuzzes the real client. alice, a real ChatClient on an in-memory store, is
 * logged in to a server in process (fake-server.ts) and is in real MLS groups with other real
 * clients. Then, for every frame kind a server sends, fast-check hands her random, mutated and
 * semantically wrong frames of that kind: real MLS of another group, epoch or kind, replays
 * under new and old seqs, a Welcome for a group she is in, commits and messages from the future,
 * fresh frames delivered wrongly before they are delivered right, and hostile answers to the
 * requests she makes. Every case checks that
 *   1. nothing escapes: no unhandled rejection or exception, no API call failing with anything
 *      but a ClientError, nothing of hers sent to the wrong group, no stall;
 *   2. a frame she refuses leaves her store as it was (a delivery: not one write), and a fresh
 *      frame delivered wrongly still works when it is delivered right;
 *   3. she keeps working: bob's next message still decrypts and is shown (every LIVENESS_EVERY
 *      cases and at the end of each property, then again after a restart from her store).
 * `FUZZ_RUNS` sets the number of cases per frame kind (default 10,000).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { applyEdits, byteEdits, fuzzRuns, type ByteEdit } from "@secure-chat/protocol/testing";
import {
  cipherSuites,
  decodeFrame,
  deliveryKindOf,
  deliveryKinds,
  directGroupId,
  encodeFrame,
  errorCodes,
  frameSchemas,
  type DeliveryKind,
  type FrameOf,
  type GroupId,
  type ServerFrame,
  type UserName,
} from "@secure-chat/protocol";
import { ChatClient } from "../src/chat-client.js";
import { encodeContent } from "../src/content/content.js";
import type { ClientSession } from "../src/client-session.js";
import type { Planner } from "../src/engine/commit-plans.js";
import { addPlan } from "../src/engine/commit-plans.js";
import { GroupEngine, type PreparedCommit } from "../src/engine/group-engine.js";
import type { EngineReads } from "../src/engine/incoming.js";
import { KEY_PACKAGE_LOW_WATER, KEY_PACKAGE_TARGET } from "../src/engine/key-packages.js";
import { clientConfig } from "../src/engine/mls/config.js";
import { decodeMessage, decodeState, encodeMessage } from "../src/engine/mls/groups.js";
import { loadCipherSuite } from "../src/engine/mls/suite.js";
import { ClientError, clientErrorCodes, errorCode } from "../src/errors.js";
import { terminalCodes } from "../src/link/link.js";
import { serverError } from "../src/link/rpc.js";
import type { ChatEvent } from "../src/events.js";
import type { SerialQueue } from "../src/serial-queue.js";
import { MemoryClientStore } from "../src/store/memory-store.js";
import type { StoreBatch, StoredIdentity, StoredKeyPackage } from "../src/store/store.js";
import { FakeServer, type Reply, type Request } from "./fake-server.js";
import { FakeTimers, flush } from "./fake-timers.js";

const RUNS = fuzzRuns(10_000);
/** How often, in cases, bob writes to alice in the middle of a property. */
const LIVENESS_EVERY = 500;
/** ts-mls checks KeyPackage lifetimes against the real clock, so the clients' clock is real (and still). */
const NOW = Date.now();
/**
 * Fake time a piece of work may take before the test calls it stuck: a day, so that crypto
 * running outside the clients' queues (KeyPackages being made) has all the real time it needs
 * while fake time jumps from heartbeat to heartbeat, which does no harm.
 */
const MAX_WAIT_MS = 86_400_000;
const EMPTY = new Uint8Array(0);

const lobby = "#lobby" as GroupId;
const team = "+team" as GroupId;
const room = "#room" as GroupId;
const side = "+side" as GroupId;
const inv = "+inv" as GroupId;
const name = (value: string): UserName => value as UserName;
const [alice, bob, carol, dave, erin, frank] = [
  name("alice"),
  name("bob"),
  name("carol"),
  name("dave"),
  name("erin"),
  name("frank"),
];
const direct = directGroupId(alice, bob);

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const asText = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => (v instanceof Uint8Array ? hex(v) : v));
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => hex(a) === hex(b);

// ------------------------------------------------------------------------------------------------
// The store, watched

/**
 * The in-memory store, counting writes, and able to say everything it holds (`snapshot`). It is
 * read part by part, and a write forgets only the parts it touches, so a snapshot after a small
 * write is cheap.
 */
class WatchedStore extends MemoryClientStore {
  writes = 0;
  private readonly pinned = new Set<UserName>();
  private readonly rooms = new Set<GroupId>();
  private readonly parts = new Map<string, string>();

  private wrote(...parts: string[]): void {
    this.writes++;
    for (const part of parts) this.parts.delete(part);
  }

  override async apply(batch: StoreBatch): Promise<void> {
    await super.apply(batch);
    for (const message of batch.messages ?? []) this.rooms.add(message.room);
    this.wrote(
      "groups",
      "cursor",
      "keyPackages",
      "outbox",
      ...(batch.messages ?? []).map((message) => `history ${message.room}`),
    );
  }

  override async saveIdentity(identity: StoredIdentity): Promise<void> {
    await super.saveIdentity(identity);
    this.wrote("identity");
  }

  override async addKeyPackages(keyPackages: StoredKeyPackage[]): Promise<void> {
    await super.addKeyPackages(keyPackages);
    this.wrote("keyPackages");
  }

  override async pin(name: UserName, key: Uint8Array): Promise<void> {
    await super.pin(name, key);
    this.pinned.add(name);
    this.wrote("pins");
  }

  override async setTrusted(name: UserName, trusted: boolean): Promise<void> {
    await super.setTrusted(name, trusted);
    this.wrote("untrusted");
  }

  override async addOutbox(entry: Parameters<MemoryClientStore["addOutbox"]>[0]): Promise<number> {
    const localId = await super.addOutbox(entry);
    this.wrote("outbox");
    return localId;
  }

  private reader(part: string): () => Promise<unknown> {
    if (part.startsWith("history ")) return () => this.history(part.slice(8) as GroupId, Number.MAX_SAFE_INTEGER);
    const readers: Record<string, () => Promise<unknown>> = {
      identity: () => this.identity(),
      groups: async () => (await this.groups()).sort((a, b) => a.groupId.localeCompare(b.groupId)),
      cursor: () => this.cursor(),
      keyPackages: () => this.keyPackages(),
      pins: () => Promise.all([...this.pinned].sort().map(async (name) => [name, await this.pinnedKey(name)])),
      untrusted: async () => (await this.untrustedNames()).sort(),
      outbox: async () => [await this.outboxSize(), await this.nextOutbox()],
    };
    return readers[part]!;
  }

  /** Everything stored, part by part, as text; `reread` reads every part again (nothing cached). */
  async snapshot(reread = false): Promise<Snapshot> {
    const names = ["identity", "groups", "cursor", "keyPackages", "pins", "untrusted", "outbox"];
    const snapshot: Snapshot = new Map();
    for (const part of [...names, ...[...this.rooms].sort().map((room) => `history ${room}`)]) {
      let text = reread ? undefined : this.parts.get(part);
      if (text === undefined) {
        text = asText(await this.reader(part)());
        this.parts.set(part, text);
      }
      snapshot.set(part, text);
    }
    return snapshot;
  }
}

/** A store's content, by part. Unchanged parts keep the very same string, so comparing them is cheap. */
type Snapshot = Map<string, string>;

/** The parts that differ between two snapshots. */
function changedParts(before: Snapshot, after: Snapshot): string[] {
  const parts = new Set([...before.keys(), ...after.keys()]);
  return [...parts].filter((part) => before.get(part) !== after.get(part));
}

// ------------------------------------------------------------------------------------------------
// The world: a fake server, real clients, fake time

interface Player {
  name: UserName;
  client: ChatClient;
  store: WatchedStore;
  /** Events since the current case began. */
  events: ChatEvent[];
  /** The client's serial queue: once it is idle, every frame handed over so far is processed. */
  queue: SerialQueue;
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** The facade's private parts the test looks into (as the secret-zeroing test does). */
interface Internals {
  queue: SerialQueue;
  session: ClientSession | undefined;
}
const internals = (client: ChatClient): Internals => client as unknown as Internals;

class World {
  readonly timers = new FakeTimers();
  readonly server = new FakeServer(cipherSuites.x25519, () => NOW + this.timers.now);
  private readonly players = new Map<UserName, Player>();

  player(name: UserName): Player {
    const player = this.players.get(name);
    assert.ok(player !== undefined, `${name} plays`);
    return player;
  }

  /** Starts `name`'s client (on `store`, which a restart reuses) and waits until it is in #lobby. */
  async start(name: UserName, store = new WatchedStore()): Promise<Player> {
    const client = new ChatClient({
      name,
      server: "wss://fake.test",
      store,
      socketFactory: this.server.socketFactory,
      timers: this.timers,
      now: () => NOW,
    });
    const player: Player = { name, client, store, events: [], queue: internals(client).queue };
    client.on((event) => player.events.push(event));
    this.players.set(name, player);
    await this.run(client.start(), `${name} starting`);
    return player;
  }

  /** Closes `name`'s client; the player (and its store) is handed back. */
  async stop(name: UserName): Promise<Player> {
    const player = this.player(name);
    await this.run(player.client.close(), `${name} closing`);
    this.players.delete(name);
    return player;
  }

  /** Lets every frame in flight arrive and every client's queue run dry. */
  async quiet(): Promise<void> {
    await flush();
    await Promise.all([...this.players.values()].map((player) => player.queue.idle()));
    await flush();
  }

  /**
   * Waits until `done()`, moving fake time on (to the next timer: a retry, a backoff, a
   * heartbeat) only while every client is idle. Fails, rather than hangs, if it never happens.
   */
  async until(done: () => boolean, what: string): Promise<void> {
    const deadline = this.timers.now + MAX_WAIT_MS;
    for (;;) {
      await this.quiet();
      if (done()) return;
      assert.ok(this.timers.now <= deadline && (await this.timers.next()), `stuck: ${what}`);
    }
  }

  /** Runs `work` to the end (see `until`) and says how it ended. */
  async drive<T>(work: Promise<T>, what: string): Promise<Settled<T>> {
    let settled: Settled<T> | undefined;
    work.then(
      (value) => (settled = { ok: true, value }),
      (error: unknown) => (settled = { ok: false, error }),
    );
    await this.until(() => settled !== undefined, what);
    return settled!;
  }

  /** Runs `work`, which must succeed. */
  async run<T>(work: Promise<T>, what: string): Promise<T> {
    const settled = await this.drive(work, what);
    if (!settled.ok) throw settled.error;
    return settled.value;
  }

  /** `from` writes `text` in `groupId`; resolves once the server has stored it. */
  async say(from: UserName, groupId: GroupId, text: string): Promise<void> {
    const player = this.player(from);
    await player.client.send(groupId, text);
    await this.until(() => player.client.outboxEmpty, `${from} sending "${text}"`);
  }
}

// ------------------------------------------------------------------------------------------------
// Real MLS material: what the server stored, and frames made on copies of members' states

const impl = await loadCipherSuite(cipherSuites.x25519);
// Copies of members' states make frames the server never saw; whose key is whose is not their concern.
const trustAll = clientConfig({ validateCredential: async () => true });
const noReads: EngineReads = { keyPackages: async () => [], message: async () => undefined };
const update: Planner = () => ({ proposals: [], added: [], removed: [] });

/** A member's engine on copies of the states in its store: it speaks for the member, unseen by them. */
async function copyOf(player: Player): Promise<GroupEngine> {
  const identity = await player.store.identity();
  assert.ok(identity !== undefined);
  const engine = new GroupEngine({ self: identity.name, identity, impl, config: trustAll, now: () => NOW });
  engine.load(await player.store.groups());
  return engine;
}

async function prepared(engine: GroupEngine, groupId: GroupId, plan: Planner): Promise<PreparedCommit> {
  const commit = await engine.prepareCommit(groupId, plan);
  assert.ok(typeof commit !== "string", `a commit in ${groupId}`);
  return commit;
}

/** An MLS payload and the group it is of. */
interface Payload {
  groupId: GroupId;
  payload: Uint8Array;
}

function listIn<K, V>(map: Map<K, V[]>, key: K): V[] {
  let list = map.get(key);
  if (list === undefined) map.set(key, (list = []));
  return list;
}

/**
 * Payloads alice must refuse whatever group, kind, seq and sender they are delivered with: what
 * the server stored (by the time a case runs she has processed every delivery to her, so each is
 * a replay, or of a group she is not in) and what was made up (from the future, for a group she
 * is in). Stored ones are kept by group, so a busy group does not crowd out the others.
 */
class Pools {
  private readonly stored = new Map<DeliveryKind, Map<string, Payload[]>>();
  private readonly madeUp = new Map<DeliveryKind, Payload[]>();
  private read = 0;

  constructor(private readonly server: FakeServer) {}

  add(kind: DeliveryKind, payload: Payload): void {
    listIn(this.madeUp, kind).push(payload);
  }

  /** A payload of `kind`, chosen by `n`: a made-up one a third of the time, else a group, then one of it. */
  pick(kind: DeliveryKind, n: number): Payload {
    const log = this.server.deliveries();
    for (; this.read < log.length; this.read++) {
      const { frame } = log[this.read]!;
      const storedKind = deliveryKindOf(frame.kind)!;
      const groups = this.stored.get(storedKind) ?? new Map<string, Payload[]>();
      this.stored.set(storedKind, groups);
      listIn(groups, frame.groupId).push({ groupId: frame.groupId as GroupId, payload: frame.payload });
    }
    const madeUp = this.madeUp.get(kind) ?? [];
    const groups = [...(this.stored.get(kind)?.values() ?? [])];
    if (madeUp.length > 0 && (groups.length === 0 || n % 3 === 0)) return madeUp[Math.floor(n / 3) % madeUp.length]!;
    const group = groups[n % groups.length]!;
    return group[Math.floor(n / groups.length) % group.length]!;
  }
}

// ------------------------------------------------------------------------------------------------
// The fuzz

describe("a hostile server fuzzing the real client", () => {
  const world = new World();
  const server = world.server;
  const pools = new Pools(server);
  /** carol's voice: her states, copied once her client stopped; frames from it are fresh to alice. */
  let carolCopy: GroupEngine | undefined;
  const escaped: unknown[] = [];
  const onEscape = (error: unknown): void => void escaped.push(error);
  let counter = 0;
  const unique = (): number => counter++;

  const me = (): Player => world.player(alice);
  /** Whether `member` is in `groupId`, as alice sees it. */
  const inRoom = (groupId: GroupId, member: UserName): boolean =>
    me()
      .client.who(groupId)
      .some((m) => m.name === member);

  before(async () => {
    process.on("unhandledRejection", onEscape);
    process.on("uncaughtException", onEscape);
    await world.start(alice); // creates #lobby
    for (const name of [bob, carol, dave, erin, frank]) await world.start(name); // join #lobby
    const client = (name: UserName): ChatClient => world.player(name).client;
    const run = (work: Promise<unknown>, what: string) => world.run(work, what);
    await run(client(bob).join(team), "bob creating +team");
    await run(client(bob).invite(team, alice), "bob inviting alice");
    await run(client(bob).invite(team, carol), "bob inviting carol");
    await run(client(bob).join(room), "bob creating #room");
    await run(client(alice).join(inv), "alice creating +inv");
    await run(client(alice).invite(inv, dave), "alice inviting dave");
    await run(client(carol).join(side), "carol creating +side");
    await run(client(carol).invite(side, bob), "carol inviting bob");
    await run(client(bob).openPrivate(alice), "bob writing to alice");
    for (const [from, groupId] of [
      [alice, lobby],
      [bob, lobby],
      [carol, lobby],
      [bob, team],
      [alice, team],
      [carol, team],
      [bob, direct],
      [alice, direct],
      [bob, room],
      [carol, side],
      [bob, side],
      [alice, inv],
    ] as const) {
      await world.say(from, groupId, `${from} in ${groupId}`);
    }
    await run(client(bob).kick(team, carol), "bob kicking carol");
    await world.say(bob, team, "carol is gone");
    await run(client(dave).leave(lobby), "dave leaving #lobby");
    await world.until(() => !inRoom(lobby, dave), "dave's leave committed");
    await world.say(bob, lobby, "dave is gone");
    carolCopy = await copyOf(await world.stop(carol));
    for (const name of [dave, erin, frank]) await world.stop(name);

    // Material the server never stored, from copies of bob's states.
    const bobCopy = await copyOf(world.player(bob));
    for (const groupId of [lobby, team, direct]) {
      const now = await prepared(bobCopy, groupId, update);
      const own = { groupId, kind: "commit" as const, payload: now.frame.commit, seq: 0, serverTs: 0, sender: bob };
      await bobCopy.receive(own, noReads);
      pools.add("commit", { groupId, payload: (await prepared(bobCopy, groupId, update)).frame.commit });
      const future = await bobCopy.encrypt(
        groupId,
        encodeContent(bob, groupId, NOW, { kind: "text", text: "from the future" }).plaintext,
      );
      pools.add("message", { groupId, payload: future.ciphertext });
    }
    // A Welcome for +team, which alice is in, to a KeyPackage she holds.
    const twin = new GroupEngine({
      self: bob,
      identity: (await world.player(bob).store.identity())!,
      impl,
      config: trustAll,
      now: () => NOW,
    });
    twin.adoptCreated(team, (await twin.newGroup(team)).state);
    const held = decodeMessage(server.claim(alice)!);
    assert.ok(held?.wireformat === "mls_key_package");
    pools.add("welcome", {
      groupId: team,
      payload: (await prepared(twin, team, addPlan(alice, held.keyPackage))).frame.welcome,
    });
    me().events.length = 0;
  });

  after(() => {
    process.off("unhandledRejection", onEscape);
    process.off("uncaughtException", onEscape);
  });

  // ---------------------------------------------------------------------------------------------
  // Oracles

  /** What alice made of a frame: the events it caused, and whether it wrote to her store. */
  interface Outcome {
    events: ChatEvent[];
    wrote: boolean;
  }

  /** Does `action` (which has the server send alice something) and waits until she has processed it. */
  async function observe(action: () => unknown): Promise<Outcome> {
    const player = me();
    player.events.length = 0;
    const writes = player.store.writes;
    await action();
    await new Promise<void>((resolve) => queueMicrotask(resolve)); // what the server pushed has arrived
    await player.queue.idle();
    return { events: [...player.events], wrote: player.store.writes !== writes };
  }

  /** Hands alice frames or bytes as the server, and waits until she has processed them. */
  const push = (reply: Reply): Promise<Outcome> => observe(() => server.inject(alice, reply));

  /** Events that say a frame was taken (shown, joined, a member change). */
  const taken = (events: ChatEvent[]): ChatEvent[] =>
    events.filter((e) => e.type === "message" || e.type === "room" || e.type === "member");

  /**
   * Nothing escaped, nothing went to the wrong group, alice did not give up, and no failure went
   * without a stable code (INTERNAL is what `errorCode` makes of an untyped one; `serverSaid` is
   * the code of an error frame the case sent, which comes back as it is). `mayGiveUp`: the case
   * refused her login for good.
   */
  function nothingEscaped(events: ChatEvent[], serverSaid?: string, mayGiveUp = false): void {
    assert.deepEqual(escaped, [], "an error escaped the client");
    assert.deepEqual(server.misaddressed, [], "alice sent MLS to the wrong group");
    if (!mayGiveUp) assert.notEqual(me().client.connectionState, "closed", "alice gave up");
    if (serverSaid === "INTERNAL") return;
    const untyped = events.filter((e) => e.type === "error" && e.code === "INTERNAL");
    assert.deepEqual(untyped, [], "a failure without a stable code");
  }

  function refused(outcome: Outcome, what: string, serverSaid?: string): void {
    nothingEscaped(outcome.events, serverSaid);
    assert.deepEqual(taken(outcome.events), [], `${what} was taken`);
    assert.equal(outcome.wrote, false, `${what} wrote to alice's store`);
  }

  /** bob writes in each of `groups`; alice must show it: her normal path works. */
  async function stillWorks(groups: readonly GroupId[]): Promise<void> {
    for (const groupId of groups) {
      const text = `still working ${unique()}`;
      let shown = false;
      const off = me().client.on((e) => {
        if (e.type === "message" && e.from === bob && e.groupId === groupId && e.text === text) shown = true;
      });
      await world.player(bob).client.send(groupId, text);
      await world.until(() => shown, `alice showing bob's "${text}" in ${groupId}`);
      off();
    }
  }

  const bobsRooms = [lobby, team, direct] as const;
  let cases = 0;
  /** After each case: every LIVENESS_EVERY cases, bob writes in one of the rooms in turn. */
  async function caseDone(): Promise<void> {
    if (++cases % LIVENESS_EVERY === 0) await stillWorks([bobsRooms[(cases / LIVENESS_EVERY) % bobsRooms.length]!]);
  }

  /**
   * The end of a property: what is in the store is what was written to it (no one changed saved
   * bytes in place), bob is shown in every room, and again after alice restarts from her store.
   */
  async function stillWorksAfterRestart(): Promise<void> {
    const { store } = me();
    assert.deepEqual(
      changedParts(await store.snapshot(), await store.snapshot(true)),
      [],
      "saved bytes changed in place",
    );
    await stillWorks(bobsRooms);
    await world.stop(alice);
    await world.start(alice, store);
    await stillWorks(bobsRooms);
    nothingEscaped(me().events);
  }

  async function property<T>(arbitrary: fc.Arbitrary<T>, run: (value: T) => Promise<void>): Promise<void> {
    // The world is stateful: a shrunk case would run in another world, so the first failure is reported as it is.
    await fc.assert(
      fc.asyncProperty(arbitrary, async (value) => {
        await run(value);
        await caseDone();
      }),
      { numRuns: RUNS, endOnFailure: true, includeErrorInReport: true },
    );
    await deliverFreshRight();
    await stillWorksAfterRestart();
  }

  // ---------------------------------------------------------------------------------------------
  // What the fuzz found, as plain cases

  it("an answer to alice's message with seq 2^53-1 moves no cursor: bob is shown after it, and after a restart", async () => {
    const last = Number.MAX_SAFE_INTEGER;
    server.rewrite = (user, asked, answer) =>
      user === alice && asked.type === "send"
        ? answer.map((sent) => (sent.type === "accepted" && sent.rid === asked.rid ? { ...sent, seq: last } : sent))
        : undefined;
    try {
      await world.say(alice, lobby, "answered with the last seq there is");
    } finally {
      server.rewrite = undefined;
    }
    assert.ok((await me().store.cursor()) < last);
    await stillWorksAfterRestart();
  });

  it("a KeyPackage ts-mls refuses (its signature broken) fails an invitation with BAD_MLS, and changes nothing", async () => {
    const keyPackage = server.claim(frank)!.slice();
    keyPackage[keyPackage.length - 1]! ^= 1; // the signature's last byte
    server.rewrite = (user, asked) =>
      user === alice && asked.type === "claim_key_package"
        ? [{ type: "key_package", rid: asked.rid, name: frank, keyPackage }]
        : undefined;
    const before = await me().store.snapshot();
    try {
      const settled = await world.drive(me().client.invite(inv, frank), "alice inviting frank");
      assert.equal(settled.ok ? "invited" : errorCode(settled.error), "BAD_MLS");
    } finally {
      server.rewrite = undefined;
    }
    assert.deepEqual(changedParts(before, await me().store.snapshot()), []);
    nothingEscaped(me().events);
  });

  // ---------------------------------------------------------------------------------------------
  // Deliveries

  const deliveryKindNames = Object.keys(deliveryKinds) as DeliveryKind[];
  /**
   * A group id to deliver under: undefined for the payload's own, one of alice's, one she is not
   * in (`notHers` is that weight: where a Welcome is processed at all), or any string.
   */
  const groupChoice = (notHers: number) =>
    fc.oneof(
      { weight: 4, arbitrary: fc.constant(undefined) },
      { weight: 3, arbitrary: fc.constantFrom(lobby, team, direct, inv) },
      { weight: notHers, arbitrary: fc.constantFrom(room, side, "+nowhere", "@alice@carol", "#lobby2") },
      { weight: 1, arbitrary: fc.string({ maxLength: 50 }) },
    );
  const otherGroup = fc.oneof(
    fc.constantFrom(team, direct, inv, room, side, "+nowhere", "#lobby2"),
    fc.string({ maxLength: 50 }),
  );
  /** Where a seq falls: at or below alice's cursor (old), beyond the last handed out, or at the very end. */
  const seqChoice = fc.record({
    at: fc.oneof(
      { weight: 1, arbitrary: fc.constant("old" as const) },
      { weight: 3, arbitrary: fc.constant("ahead" as const) },
      { weight: 1, arbitrary: fc.constant("last" as const) },
    ),
    n: fc.nat(),
  });
  type SeqChoice = { at: "old" | "ahead" | "last"; n: number };
  async function seqOf(choice: SeqChoice): Promise<number> {
    switch (choice.at) {
      case "old":
        return choice.n % ((await me().store.cursor()) + 1);
      case "ahead":
        return server.nextSeq + (choice.n % 1_000);
      case "last":
        return Number.MAX_SAFE_INTEGER - (choice.n % 2);
    }
  }
  const senderLabel = fc.oneof(fc.constantFrom(alice, bob, carol, dave, ""), fc.string({ maxLength: 40 }));
  const serverTs = fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER));
  const maybeEdits = fc.oneof({ weight: 1, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: byteEdits });
  /** Edits land in the first bytes half the time: the MLS header (group id, epoch, content type). */
  const HEADER_BYTES = 64;

  /** A payload of a pool, under any group, seq, sender and kind label, maybe edited: always refused. */
  function poolCase(kind: DeliveryKind) {
    return fc.record({
      pool: fc.oneof(
        { weight: 3, arbitrary: fc.constant(kind) },
        { weight: 1, arbitrary: fc.constantFrom(...deliveryKindNames) },
      ),
      pick: fc.nat(),
      groupId: groupChoice(kind === "welcome" ? 4 : 2),
      seq: seqChoice,
      sender: senderLabel,
      serverTs,
      edits: maybeEdits,
    });
  }
  type PoolCase = ReturnType<typeof poolCase> extends fc.Arbitrary<infer T> ? T : never;

  async function deliverFromPool(kind: DeliveryKind, c: PoolCase): Promise<void> {
    const base = pools.pick(c.pool, c.pick);
    const frame: FrameOf<"deliver"> = {
      type: "deliver",
      seq: await seqOf(c.seq),
      serverTs: c.serverTs,
      groupId: c.groupId ?? base.groupId,
      sender: c.sender,
      kind: deliveryKinds[kind],
      payload: c.edits === undefined ? base.payload : applyEdits(base.payload, c.edits, HEADER_BYTES),
    };
    const what = `a ${kind} delivery of a ${c.pool} of ${base.groupId} as ${frame.groupId} #${frame.seq}`;
    refused(await push([frame]), what);
  }

  /** A delivery kind number: mostly one there is, sometimes any byte. */
  const kindNumber = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...Object.values(deliveryKinds)) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
  );

  /** How a fresh frame is delivered wrongly: at least one of these is set. */
  const wrongly = (rightKind: number) =>
    fc
      .record({
        kind: fc.option(
          kindNumber.filter((k) => k !== rightKind),
          { nil: undefined },
        ),
        groupId: fc.option(otherGroup, { nil: undefined }),
        oldSeq: fc.nat({ max: 4 }).map((n) => n === 0),
        edits: fc.option(byteEdits, { nil: undefined }),
        sender: senderLabel,
        serverTs,
      })
      .filter((w) => w.kind !== undefined || w.groupId !== undefined || w.oldSeq || w.edits !== undefined);
  type Wrongly = ReturnType<typeof wrongly> extends fc.Arbitrary<infer T> ? T : never;

  /** An edit that leaves the same MLS message (an equivalent encoding) is no edit. */
  function editedPayload(payload: Uint8Array, edits: readonly ByteEdit[] | undefined): Uint8Array | undefined {
    if (edits === undefined) return payload;
    const edited = applyEdits(payload, edits, HEADER_BYTES);
    const decoded = decodeMessage(edited);
    return sameBytes(edited, payload) || (decoded !== undefined && sameBytes(encodeMessage(decoded), payload))
      ? undefined
      : edited;
  }

  /** Delivers a fresh payload of #lobby wrongly; alice must refuse it (false if the case is no wrong at all). */
  async function deliverWrongly(payload: Uint8Array, rightKind: number, w: Wrongly, what: string): Promise<boolean> {
    const edited = editedPayload(payload, w.edits);
    if (edited === undefined && w.kind === undefined && w.groupId === undefined && !w.oldSeq) return false;
    const frame: FrameOf<"deliver"> = {
      type: "deliver",
      seq: w.oldSeq ? await seqOf({ at: "old", n: unique() }) : server.skipSeq(),
      serverTs: w.serverTs,
      groupId: w.groupId ?? lobby,
      sender: w.sender,
      kind: w.kind ?? rightKind,
      payload: edited ?? payload,
    };
    refused(await push([frame]), `${what} delivered as kind ${frame.kind} to ${frame.groupId} #${frame.seq}`);
    return true;
  }

  /** A fresh frame of carol's in #lobby, delivered wrongly `uses` times, then right. */
  interface Fresh {
    payload: Uint8Array;
    uses: number;
    deliverRight(): Promise<void>;
  }
  /** How often a fresh frame is delivered wrongly before it is delivered right (making one costs). */
  const FRESH_USES = { message: 5, commit: 50 } as const;
  const fresh: { message?: Fresh; commit?: Fresh } = {};

  async function freshMessage(): Promise<Fresh> {
    const content = encodeContent(carol, lobby, NOW, { kind: "text", text: `fresh from carol ${counter}` });
    const { ciphertext } = await carolCopy!.encrypt(lobby, content.plaintext);
    return {
      payload: ciphertext,
      uses: 0,
      async deliverRight() {
        const right = await observe(() => server.deliver(lobby, carol, "message", ciphertext, [alice]));
        nothingEscaped(right.events);
        const shown = right.events.filter((e) => e.type === "message" && e.id === content.id && e.from === carol);
        assert.equal(
          shown.length,
          1,
          "carol's fresh message, delivered right after it was delivered wrongly, is shown",
        );
      },
    };
  }

  /** The epoch of `groupId` in what `store` saved. */
  async function savedEpoch(store: WatchedStore, groupId: GroupId): Promise<bigint> {
    const saved = (await store.groups()).find((g) => g.groupId === groupId);
    assert.ok(saved !== undefined, `${groupId} is saved`);
    return decodeState(saved.state, trustAll).groupContext.epoch;
  }

  async function freshCommit(): Promise<Fresh> {
    const commit = await prepared(carolCopy!, lobby, update);
    return {
      payload: commit.frame.commit,
      uses: 0,
      async deliverRight() {
        const right = await observe(async () => {
          assert.equal(server.commit(carol, commit.frame).type, "accepted");
          const own = {
            groupId: lobby,
            kind: "commit" as const,
            payload: commit.frame.commit,
            seq: 0,
            serverTs: 0,
            sender: carol,
          };
          await carolCopy!.receive(own, noReads);
        });
        await world.quiet(); // bob too
        nothingEscaped(right.events);
        const epoch = carolCopy!.table.current(lobby).groupContext.epoch;
        assert.equal(await savedEpoch(me().store, lobby), epoch, "alice applied carol's commit, delivered right");
        assert.equal(await savedEpoch(world.player(bob).store, lobby), epoch, "so did bob");
      },
    };
  }

  async function freshCase(kind: "message" | "commit", w: Wrongly): Promise<void> {
    const frame = (fresh[kind] ??= await (kind === "message" ? freshMessage() : freshCommit()));
    fc.pre(await deliverWrongly(frame.payload, deliveryKinds[kind], w, `a fresh ${kind}`));
    if (++frame.uses < FRESH_USES[kind]) return;
    fresh[kind] = undefined;
    await frame.deliverRight();
  }

  /** A property ends with every fresh frame delivered right (carol's copy holds no pending commit). */
  async function deliverFreshRight(): Promise<void> {
    for (const kind of ["message", "commit"] as const) {
      const frame = fresh[kind];
      fresh[kind] = undefined;
      await frame?.deliverRight();
    }
  }

  for (const kind of ["message", "commit"] as const) {
    it(`deliver, kind ${kind}: replays, other groups and epochs, ${kind}s from the future, fresh ${kind}s delivered wrongly`, async () => {
      await property(
        fc.oneof(
          poolCase(kind).map((c) => ({ pool: c })),
          wrongly(deliveryKinds[kind]).map((w) => ({ fresh: w })),
        ),
        (c) => ("pool" in c ? deliverFromPool(kind, c.pool) : freshCase(kind, c.fresh)),
      );
    });
  }

  it("deliver, kind welcome: replays, Welcomes for others, a Welcome for a group she is in, under any group", async () => {
    await property(poolCase("welcome"), (c) => deliverFromPool("welcome", c));
  });

  /** One frame of every kind a server sends, as bytes, and every delivery alice has had. */
  function frameExamples(): Uint8Array[] {
    const answers: ServerFrame[] = [
      { type: "challenge", rid: 7, nonce: new Uint8Array(32), cipherSuite: cipherSuites.x25519, serverTime: NOW },
      { type: "login_ok", rid: 7, keyPackageCount: 3 },
      { type: "ok", rid: 7 },
      { type: "accepted", rid: 7, seq: server.nextSeq, serverTs: NOW },
      { type: "key_package", rid: 7, name: erin, keyPackage: server.keyPackages[0]! },
      { type: "keys", rid: 7, names: [bob], publicKeys: [new Uint8Array(32).fill(1)], retiredKeys: [EMPTY] },
      { type: "group_info", rid: 7, groupId: room, groupInfo: server.groupInfos[0]! },
      { type: "rooms", rid: 7, groupIds: [lobby, room], memberNames: ["alice,bob", "bob"], next: "" },
      { type: "online", rid: 7, names: [alice, bob] },
      { type: "error", rid: 0, code: "INTERNAL", message: "oops" },
      { type: "presence", name: bob, online: false },
      { type: "synced", cursor: server.nextSeq },
      { type: "pong", rid: 7 },
    ];
    const deliveries = server
      .deliveries()
      .filter((stored) => stored.recipients.has(alice))
      .map((stored) => stored.frame);
    return [...answers, ...deliveries].map((frame) => encodeFrame(frame));
  }

  it("any frame as bytes: random, after a valid header, and every kind of frame with bytes edited", async () => {
    const s2cIds = Object.values(frameSchemas)
      .filter((schema) => schema.dir === "s2c")
      .map((schema) => schema.id);
    let examples: Uint8Array[] = [];
    await property(
      fc.oneof(
        fc.uint8Array({ maxLength: 512 }),
        fc
          .tuple(fc.constantFrom(...s2cIds), fc.uint8Array({ maxLength: 512 }))
          .map(([id, tail]) => Uint8Array.from([1, id, ...tail])),
        fc.record({ pick: fc.nat(), edits: byteEdits }).map(({ pick, edits }) => {
          if (pick % 100 === 0 || examples.length === 0) examples = frameExamples();
          return applyEdits(examples[pick % examples.length]!, edits, 16);
        }),
      ),
      async (bytes) => {
        // Bytes that make an error frame: its code comes back as an event, as it is.
        const decoded = decodeFrame(bytes);
        const serverSaid = decoded.kind === "ok" && decoded.frame.type === "error" ? decoded.frame.code : undefined;
        refused(await push([bytes]), `bytes ${hex(bytes.subarray(0, 24))}…`, serverSaid);
      },
    );
  });

  // ---------------------------------------------------------------------------------------------
  // Answers to alice's requests, and frames nobody asked for

  /** Something alice does that makes her send a request; resolves or rejects once she is done. */
  interface Trigger {
    request: Request["type"];
    act(): Promise<unknown>;
    /** Whether alice's store must be as it was when the act fails (it writes nothing before the answer). */
    refusalKeepsStore: boolean;
    /** Whether carrying the request out sends alice something that changes her store (her own commit). */
    comesBack?: true;
  }

  /** frank into +inv (his KeyPackage claimed, his key looked up); a case that adds him ends by removing him. */
  const inviteFrank = (): Promise<void> => me().client.invite(inv, frank);
  /** A commit in +inv: erin in if she is out, else out (each case one commit, no clean-up). */
  const addOrRemoveErin = (): Promise<void> =>
    inRoom(inv, erin) ? me().client.kick(inv, erin) : me().client.invite(inv, erin);
  /** Waits until the server has had `count` more `type` requests and alice is live. */
  const moreRequests = (type: string, count: number) => {
    const before = server.asked.get(type) ?? 0;
    return world.until(
      () => (server.asked.get(type) ?? 0) >= before + count && me().client.connectionState === "live",
      `${count} more ${type}`,
    );
  };
  /** The server drops alice's connection; she logs in again (or gives up, and is restarted). */
  const reconnect = async (): Promise<void> => {
    server.disconnect(alice);
    await world.until(() => ["live", "closed"].includes(me().client.connectionState), "alice logging in again");
  };

  const triggers = {
    join: {
      request: "get_group_info",
      act: () => me().client.join(`#absent-${unique()}` as GroupId),
      refusalKeepsStore: true,
    },
    create: {
      request: "create_group",
      act: () => me().client.join(`#made-${unique()}` as GroupId),
      refusalKeepsStore: true,
    },
    claim: { request: "claim_key_package", act: inviteFrank, refusalKeepsStore: true },
    inviteLookup: { request: "lookup_keys", act: inviteFrank, refusalKeepsStore: true },
    commit: { request: "commit", act: addOrRemoveErin, refusalKeepsStore: true, comesBack: true },
    fingerprint: {
      request: "lookup_keys",
      act: () => me().client.fingerprintOf(name(`u${unique()}`)),
      refusalKeepsStore: true,
    },
    rooms: { request: "list_rooms", act: () => me().client.rooms(), refusalKeepsStore: true },
    online: { request: "list_online", act: () => me().client.whoOnline(), refusalKeepsStore: true },
    send: {
      request: "send",
      act: async () => {
        // In +inv, whose other members are offline: nobody else has to decrypt it.
        await me().client.send(inv, `from alice ${unique()}`);
        await world.until(() => me().client.outboxEmpty, "alice's outbox emptying");
      },
      refusalKeepsStore: false,
    },
    // Two pings: a wrong answer to the first drops the link at the second, and she logs in again.
    ping: { request: "ping", act: () => moreRequests("ping", 2), refusalKeepsStore: false },
    // The private halves are stored before the upload: a refused upload leaves them.
    upload: {
      request: "upload_key_packages",
      act: () => internals(me().client).session!.parts!.stock.topUp(KEY_PACKAGE_TARGET - 1),
      refusalKeepsStore: false,
    },
    hello: { request: "hello", act: reconnect, refusalKeepsStore: false },
    login: { request: "login", act: reconnect, refusalKeepsStore: false },
  } satisfies Record<string, Trigger>;
  type TriggerName = keyof typeof triggers;
  const triggerNames = Object.keys(triggers) as TriggerName[];

  /** After an answer case: alice live, the rooms it made her join left, frank out of +inv. */
  async function cleanUp(roomsBefore: ReadonlySet<GroupId>): Promise<void> {
    if (me().client.connectionState === "closed") {
      const { store } = await world.stop(alice);
      await world.start(alice, store);
    }
    const ready = (): boolean => me().client.connectionState === "live" && me().client.outboxEmpty;
    if (!ready()) await world.until(ready, "alice live again");
    for (const groupId of me().client.joinedRooms()) {
      if (!roomsBefore.has(groupId)) await world.run(me().client.leave(groupId), `alice leaving ${groupId}`);
    }
    if (inRoom(inv, frank)) await world.run(me().client.kick(inv, frank), "alice removing frank");
  }

  /** The frames that answer requests (an error may also come unasked, with rid 0). */
  type Answer = Extract<ServerFrame, { rid: number }>;

  /**
   * A frame of an answer's kind: the answer to the request `trigger` makes, in place of the
   * server's, or pushed with no request waiting for it.
   */
  async function answerCase(frame: Answer, trigger: TriggerName | undefined): Promise<void> {
    const serverSaid = frame.type === "error" ? frame.code : undefined;
    if (trigger === undefined) {
      refused(await push([frame]), `an unasked ${frame.type} #${frame.rid}`, serverSaid);
      return;
    }
    const { request, act, ...store }: Trigger = triggers[trigger];
    // A request carried out may have changed her store however the answer went.
    const refusalKeepsStore = store.refusalKeepsStore && (frame.type === "error" || store.comesBack === undefined);
    const roomsBefore = new Set(me().client.joinedRooms());
    const before = refusalKeepsStore ? await me().store.snapshot() : new Map();
    // An error is a refusal: nothing is done. Any other answer comes from a server that did what
    // was asked and then says something else.
    let answered = false;
    const mine = (user: UserName | undefined, asked: Request): boolean => {
      if (answered || user !== alice || asked.type !== request) return false;
      answered = true;
      return true;
    };
    const substitute = (asked: Request): Answer => ({ ...frame, rid: asked.rid });
    if (frame.type === "error")
      server.intercept = (user, asked) => (mine(user, asked) ? [substitute(asked)] : undefined);
    else {
      server.rewrite = (user, asked, answer) =>
        mine(user, asked)
          ? answer.map((sent) => ("rid" in sent && sent.rid === asked.rid ? substitute(asked) : sent))
          : undefined;
    }
    me().events.length = 0;
    const what = `${frame.type} answering alice's ${request} (${trigger})`;
    const uploads = server.asked.get("upload_key_packages") ?? 0;
    try {
      const settled = await world.drive<unknown>(act(), what);
      // Told that few of her KeyPackages are left, she makes more once live: wait for them.
      if (frame.type === "login_ok" && trigger === "login" && frame.keyPackageCount < KEY_PACKAGE_LOW_WATER) {
        await world.until(() => (server.asked.get("upload_key_packages") ?? 0) > uploads, "alice's KeyPackage upload");
      }
      // A login refused for good (NAME_TAKEN, AUTH_FAILED…) stops the client, as it should.
      const refusedForGood = serverSaid !== undefined && terminalCodes.has(serverError(serverSaid, "").code);
      const givesUp = refusedForGood && (trigger === "hello" || trigger === "login");
      if (givesUp) assert.equal(me().client.connectionState, "closed", `${what}: alice should stop`);
      nothingEscaped(me().events, serverSaid, givesUp);
      if (!settled.ok) {
        assert.ok(
          settled.error instanceof ClientError,
          `${what}: a failure with no stable code: ${String(settled.error)}`,
        );
        if (refusalKeepsStore) {
          assert.deepEqual(taken(me().events), [], `${what} was refused, yet taken`);
          const changed = changedParts(before, await me().store.snapshot());
          assert.deepEqual(changed, [], `${what} was refused, yet changed alice's store`);
        }
      }
    } finally {
      server.intercept = undefined;
      server.rewrite = undefined;
    }
    await cleanUp(roomsBefore);
  }

  const u32 = fc.nat({ max: 0xffff_ffff });
  const u53 = fc.oneof(fc.nat(), fc.maxSafeNat(), fc.constant(Number.MAX_SAFE_INTEGER));
  const pickFrom = (items: readonly Uint8Array[], n: number): Uint8Array => items[n % items.length] ?? EMPTY;
  /** Bytes for an MLS field: real ones the server has seen, the same edited, or random. */
  const mlsBytes = (corpus: () => readonly Uint8Array[]) =>
    fc.oneof(
      fc.nat().map((n) => pickFrom(corpus(), n)),
      fc.tuple(fc.nat(), byteEdits).map(([n, edits]) => applyEdits(pickFrom(corpus(), n), edits, HEADER_BYTES)),
      fc.uint8Array({ maxLength: 256 }),
    );
  const nameLike = fc.oneof(fc.constantFrom(alice, bob, carol, dave, erin, frank, ""), fc.string({ maxLength: 40 }));
  const groupLike = fc.oneof(fc.constantFrom(lobby, team, room, inv, side, direct), fc.string({ maxLength: 50 }));
  const keyLike = fc.oneof(
    nameLike.map((n) => server.publicKey(n as UserName) ?? EMPTY),
    fc.uint8Array({ minLength: 32, maxLength: 32 }),
    fc.uint8Array({ maxLength: 70 }),
  );
  const codeLike = fc.oneof(
    fc.constantFrom(...(Object.keys(errorCodes) as string[])),
    fc.constantFrom(...clientErrorCodes),
    fc.string({ maxLength: 20 }),
  );

  type AnswerOf<T extends Answer["type"]> = Extract<Answer, { type: T }>;
  type Model<F> = { [K in keyof F]: fc.Arbitrary<F[K]> };
  /** A frame of an answer kind, its fields from `fields` (the rid is set by the case). */
  const answerOf = <T extends Answer["type"]>(type: T, fields: Model<Omit<AnswerOf<T>, "type" | "rid">>) =>
    // The compiler can't spread a generic model into the frame's: the parameter's type is the check.
    fc.record<AnswerOf<T>>({ type: fc.constant(type), rid: u32, ...fields } as unknown as Model<AnswerOf<T>>);

  /** Frames of each answer kind, every field hostile. */
  const answers = {
    challenge: answerOf("challenge", {
      nonce: fc.uint8Array({ maxLength: 64 }),
      cipherSuite: fc.oneof(fc.constantFrom(...Object.values(cipherSuites)), fc.string({ maxLength: 60 })),
      serverTime: u53,
    }),
    // Below 10 makes alice top her KeyPackages up: now and then, or her store grows for nothing.
    login_ok: answerOf("login_ok", {
      keyPackageCount: fc.oneof({ weight: 1, arbitrary: fc.nat({ max: 30 }) }, { weight: 9, arbitrary: u32 }),
    }),
    ok: answerOf("ok", {}),
    accepted: answerOf("accepted", {
      seq: fc.oneof(
        fc.nat({ max: 64 }).map((back) => Math.max(0, server.nextSeq - back)),
        u53,
      ),
      serverTs: u53,
    }),
    key_package: answerOf("key_package", { name: nameLike, keyPackage: mlsBytes(() => server.keyPackages) }),
    keys: answerOf("keys", {
      names: fc.array(nameLike, { maxLength: 4 }),
      publicKeys: fc.array(keyLike, { maxLength: 4 }),
      retiredKeys: fc.array(fc.oneof(keyLike, fc.uint8Array({ maxLength: 100 })), { maxLength: 4 }),
    }),
    group_info: answerOf("group_info", { groupId: groupLike, groupInfo: mlsBytes(() => server.groupInfos) }),
    rooms: answerOf("rooms", {
      groupIds: fc.array(groupLike, { maxLength: 5 }),
      memberNames: fc.array(fc.string({ maxLength: 40 }), { maxLength: 5 }),
      next: fc.oneof(fc.constant(""), groupLike),
    }),
    online: answerOf("online", { names: fc.array(nameLike, { maxLength: 5 }) }),
    error: answerOf("error", { code: codeLike, message: fc.string({ maxLength: 80 }) }),
    pong: answerOf("pong", {}),
    devices: answerOf("devices", {
      name: nameLike,
      listings: fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 3 }),
    }),
    link_code: answerOf("link_code", { code: fc.string({ maxLength: 12 }) }),
    blob: answerOf("blob", { data: fc.uint8Array({ maxLength: 64 }), size: u53 }),
  } satisfies { [K in Answer["type"]]: fc.Arbitrary<AnswerOf<K>> };

  /** Requests that cost no MLS: a frame answering one as the wrong kind is refused as such. */
  const cheapTriggers: TriggerName[] = ["join", "fingerprint", "rooms", "online"];

  /**
   * In each property, the requests a frame answers, by weight out of 100 (the rest of the weight:
   * a cheap request of another kind, `other`, and none at all, unasked). What a frame means is
   * tried where it answers its own request; that costs from a fraction of a millisecond (a room
   * list) to about 30 ms (a commit of alice's, with its Welcome), measured, so the costly ones are
   * fewer of the 10,000 cases, enough to try every branch the frame can take there. The frame's
   * fields are generated the same way in every case.
   */
  const mixes: { [K in keyof typeof answers]: { own: [TriggerName, number][]; other: number } } = {
    challenge: { own: [["hello", 5]], other: 20 }, // a reconnect: ~4 ms
    blob: { own: [], other: 20 }, // alice's downloads are not among the triggers: answering others, and unasked
    login_ok: { own: [["login", 5]], other: 20 }, // a reconnect, with KeyPackages made one time in ten
    ok: {
      own: [
        ["create", 1], // a room made (~14 ms with leaving it)
        ["upload", 6],
      ],
      other: 20,
    },
    accepted: {
      own: [
        ["send", 5], // ~5 ms
        ["commit", 1], // ~30 ms; the answer's seq means nothing there
      ],
      other: 20,
    },
    key_package: { own: [["claim", 20]], other: 20 }, // a usable one makes a commit, and its removal
    keys: {
      own: [
        ["fingerprint", 30],
        ["inviteLookup", 8], // the right key makes a commit, and its removal
      ],
      other: 10,
    },
    group_info: { own: [["join", 25]], other: 10 }, // a usable one makes an external commit (~5 ms)
    rooms: { own: [["rooms", 50]], other: 10 },
    online: { own: [["online", 50]], other: 10 },
    pong: { own: [["ping", 20]], other: 10 }, // two heartbeats; a wrong answer makes a reconnect
    devices: { own: [], other: 20 },
    link_code: { own: [], other: 20 },
    // An error answers anything.
    error: {
      own: triggerNames.map((name): [TriggerName, number] => {
        const weight = { commit: 1, create: 1, send: 2, hello: 2, login: 2 }[name as string] ?? 4;
        return [name, cheapTriggers.includes(name) ? 8 : weight];
      }),
      other: 0,
    },
  };

  for (const kind of Object.keys(answers) as (keyof typeof answers)[]) {
    const { own, other } = mixes[kind];
    const others = cheapTriggers.filter((name) => !own.some(([ownName]) => ownName === name));
    const unasked = 100 - other - own.reduce((sum, [, weight]) => sum + weight, 0);
    const trigger = fc.oneof(
      ...own.map(([name, weight]) => ({ weight, arbitrary: fc.constant<TriggerName | undefined>(name) })),
      ...(other > 0 ? [{ weight: other, arbitrary: fc.constantFrom<TriggerName | undefined>(...others) }] : []),
      { weight: unasked, arbitrary: fc.constant<TriggerName | undefined>(undefined) },
    );
    const mine = kind === "error" ? "requests" : own.map(([name]) => triggers[name].request).join(", ");
    it(`${kind}: as the answer to alice's ${mine}, to other requests, and unasked`, async () => {
      const frames = answers[kind] as fc.Arbitrary<Answer>;
      await property(fc.tuple(frames, trigger), ([frame, by]) => answerCase(frame, by));
    });
  }

  // ---------------------------------------------------------------------------------------------
  // The other frames a server pushes

  it("presence: any name, online or not", async () => {
    const presence = fc.record({ type: fc.constant("presence" as const), name: nameLike, online: fc.boolean() });
    await property(presence, async (frame) => refused(await push([frame]), `presence of ${frame.name}`));
  });

  it("synced: any cursor, at any time", async () => {
    const synced = fc.record({ type: fc.constant("synced" as const), cursor: u53 });
    await property(synced, async (frame) => refused(await push([frame]), `synced at ${frame.cursor}`));
  });
});
