/**
 * The behaviour every `Storage` adapter must have (see src/storage/storage.ts). An adapter's
 * test file calls `storageContract(name, open)`; `open` returns a fresh, empty storage.
 *
 * Payloads are opaque to the storage, so they are random bytes here, not MLS messages.
 */
import { describe, it, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { fuzzRuns } from "@secure-chat/protocol/testing";
import { parseGroupId, parseUserName, type GroupId, type RoomKind, type UserName } from "@secure-chat/protocol";
import type { AppendResult, CommitInput, CommitResult, Storage, StoredDelivery } from "../src/storage/storage.js";

export interface StorageFixture {
  storage: Storage;
  /**
   * Optional: opens the same durable data again, after the suite closed `storage`. Adapters
   * that provide it run the durability tests. `cleanup` must close anything `reopen` opened
   * and tolerate storages the suite has already closed.
   */
  reopen?: () => Storage | Promise<Storage>;
  /** Closes the storage (if still open) and removes its data. */
  cleanup(): void | Promise<void>;
}

function user(value: string): UserName {
  const name = parseUserName(value);
  if (name === undefined) throw new Error(`bad test user name ${value}`);
  return name;
}

function group(value: string): GroupId {
  const groupId = parseGroupId(value);
  if (groupId === undefined) throw new Error(`bad test group id ${value}`);
  return groupId;
}

/** Random opaque bytes, as a plain Uint8Array (what adapters hand back). */
function blob(length = 24): Uint8Array {
  return new Uint8Array(randomBytes(length));
}

const alice = user("alice");
const bob = user("bob");
const carol = user("carol");
const dave = user("dave");
const everyone = [alice, bob, carol, dave];

function key(): Uint8Array {
  return blob(32);
}

async function registerAll(storage: Storage, names: readonly UserName[] = everyone): Promise<void> {
  for (const name of names) assert.deepEqual(await storage.registerUser(name, key()), { kind: "registered" });
}

export function commitInput(
  groupId: GroupId,
  epoch: number,
  sender: UserName,
  rest: Partial<CommitInput> = {},
): CommitInput {
  return {
    groupId,
    epoch,
    sender,
    senderJoins: false,
    commit: blob(),
    groupInfo: undefined,
    welcome: undefined,
    added: [],
    removed: [],
    serverTs: 1_000 + epoch,
    ...rest,
  };
}

type Accepted = Extract<CommitResult, { kind: "accepted" }>;

async function accept(storage: Storage, input: CommitInput): Promise<Accepted> {
  const result = await storage.acceptCommit(input);
  assert.equal(
    result.kind,
    "accepted",
    `commit for epoch ${input.epoch} of ${input.groupId}: ${JSON.stringify(result)}`,
  );
  return result as Accepted;
}

async function created(storage: Storage, groupId: GroupId, creator: UserName, groupInfo?: Uint8Array): Promise<number> {
  const result = await storage.createGroup(groupId, roomKindOf(groupId), creator, groupInfo);
  assert.equal(result.kind, "created", `create ${groupId}`);
  return result.kind === "created" ? result.seq : -1;
}

/** One message, through the batch call the server uses. */
async function appendMessage(
  storage: Storage,
  groupId: GroupId,
  sender: UserName,
  payload: Uint8Array,
  serverTs: number,
  sendId?: Uint8Array,
): Promise<AppendResult> {
  const [result] = await storage.appendMessages([{ groupId, sender, payload, serverTs, sendId }]);
  assert.ok(result !== undefined, "appendMessages answers each input");
  return result;
}

/** One cursor, through the batch call the server uses. */
async function setCursor(storage: Storage, name: UserName, seq: number): Promise<void> {
  await storage.setCursors(new Map([[name, seq]]));
}

function roomKindOf(groupId: GroupId): RoomKind {
  return groupId.startsWith("#") ? "open" : groupId.startsWith("+") ? "invite" : "direct";
}

async function all(storage: Storage, name: UserName, cursor = 0): Promise<StoredDelivery[]> {
  return await storage.fetchSince(name, cursor, 1_000_000);
}

function sorted<T>(values: Iterable<T>): T[] {
  return [...values].sort();
}

function assertIncreasing(deliveries: readonly StoredDelivery[]): void {
  for (let i = 1; i < deliveries.length; i++) {
    const previous = deliveries[i - 1];
    const current = deliveries[i];
    assert.ok(previous !== undefined && current !== undefined && previous.seq < current.seq, "seq increases");
  }
}

/** Pages through a stream with the given page size and cursor handling a client would use. */
async function paged(storage: Storage, name: UserName, pageSize: number): Promise<StoredDelivery[]> {
  const out: StoredDelivery[] = [];
  let cursor = 0;
  for (let pages = 0; pages < 10_000; pages++) {
    const page = await storage.fetchSince(name, cursor, pageSize);
    assert.ok(page.length <= pageSize, `a page holds at most ${pageSize}`);
    out.push(...page);
    const last = page.at(-1);
    if (last === undefined) return out;
    cursor = last.seq;
  }
  throw new Error("paging did not terminate");
}

export function storageContract(name: string, open: () => StorageFixture | Promise<StorageFixture>): void {
  /** Runs `body` against a fresh storage and always cleans up. */
  function withStorage(body: (storage: Storage, fixture: StorageFixture) => Promise<void>): () => Promise<void> {
    return async () => {
      const fixture = await open();
      try {
        await body(fixture.storage, fixture);
      } finally {
        await fixture.cleanup();
      }
    };
  }

  describe(`${name} storage contract`, () => {
    describe("devices", () => {
      const alice2 = "alice.2" as UserName;
      const alice3 = "alice.3" as UserName;

      it(
        "addDevice binds the device's name to its key once, for a registered account; devices lists them in order",
        withStorage(async (storage) => {
          const cert2 = blob(100);
          const key2 = key();
          assert.deepEqual(await storage.addDevice(alice, alice2, key2, cert2), { kind: "no_account" });
          await registerAll(storage, [alice, bob]);
          assert.deepEqual(await storage.addDevice(alice, alice2, key2, cert2), { kind: "added" });
          assert.deepEqual(await storage.addDevice(alice, alice2, key(), blob()), { kind: "exists" });
          assert.deepEqual(await storage.addDevice(alice, alice3, key(), blob()), { kind: "added" });
          assert.deepEqual(await storage.userKey(alice2), key2, "the device logs in, stocks KeyPackages, has a cursor");
          assert.equal(await storage.cursor(alice2), await storage.lastSeq());
          const listed = await storage.devices(alice);
          assert.deepEqual(
            listed.map((d) => d.device),
            [alice2, alice3],
          );
          assert.deepEqual(listed[0], { device: alice2, certificate: cert2, revocation: undefined, lastSeen: 0 });
          assert.deepEqual(await storage.devices(bob), []);
          assert.equal(await storage.device(bob), undefined, "an account's first device is no linked device");
          await storage.deviceSeen(alice2, 1234);
          assert.equal((await storage.device(alice2))?.lastSeen, 1234);
        }),
      );

      it(
        "revokeDevice keeps the first revocation, drops the device's KeyPackages and keeps its key known",
        withStorage(async (storage) => {
          await registerAll(storage, [alice]);
          const key2 = key();
          await storage.addDevice(alice, alice2, key2, blob());
          await storage.addKeyPackages(alice2, [blob(), blob()], blob());
          const revocation = blob(80);
          assert.equal(await storage.revokeDevice(alice2, revocation), "revoked");
          assert.equal(await storage.revokeDevice(alice2, blob()), "already");
          assert.equal(await storage.revokeDevice(alice3, blob()), "unknown");
          assert.equal(await storage.revokeDevice(alice, blob()), "unknown", "the first device is the account");
          assert.deepEqual((await storage.device(alice2))?.revocation, revocation);
          assert.equal(await storage.countKeyPackages(alice2), 0);
          assert.equal(await storage.claimKeyPackage(alice2), undefined, "the last-resort one is gone too");
          assert.deepEqual(await storage.userKey(alice2), key2, "its leaves still verify until commits remove them");
          assert.deepEqual(await storage.addDevice(alice, alice2, key(), blob()), { kind: "exists" }, "never reused");
        }),
      );

      it(
        "releaseName of an account releases its linked devices: keys retired, memberships ended, no login",
        withStorage(async (storage) => {
          await registerAll(storage, [alice, bob]);
          const key2 = key();
          await storage.addDevice(alice, alice2, key2, blob());
          await storage.addKeyPackages(alice2, [blob()], undefined);
          const groupId = group("+team");
          await storage.createGroup(groupId, "invite", bob, undefined);
          await accept(storage, commitInput(groupId, 0, bob, { added: [alice, alice2] }));
          assert.equal(await storage.releaseName(alice), "released");
          assert.equal(await storage.userKey(alice2), undefined);
          assert.deepEqual(await storage.retiredKeys(alice2), [key2]);
          assert.equal(await storage.countKeyPackages(alice2), 0);
          assert.deepEqual(await storage.currentMembers(groupId), [bob]);
          assert.deepEqual(await storage.addDevice(alice, alice2, key(), blob()), { kind: "no_account" });
          assert.equal((await storage.devices(alice)).length, 1, "the device's row stays: its name is not reused");
        }),
      );
    });

    describe("users", () => {
      it(
        "registerUser: registered on first use, known with the same key, name_taken with another",
        withStorage(async (storage) => {
          const aliceKey = key();
          assert.deepEqual(await storage.registerUser(alice, aliceKey), { kind: "registered" });
          assert.deepEqual(await storage.registerUser(alice, aliceKey.slice()), { kind: "known" });
          assert.deepEqual(await storage.registerUser(alice, key()), { kind: "name_taken" });
          const almost = aliceKey.slice();
          almost[0] = (almost[0] ?? 0) ^ 1;
          assert.deepEqual(await storage.registerUser(alice, almost), { kind: "name_taken" });
          assert.deepEqual(await storage.registerUser(alice, aliceKey.subarray(0, 31)), { kind: "name_taken" });
          assert.deepEqual(await storage.userKey(alice), aliceKey, "a refused key does not replace the bound one");
        }),
      );

      it(
        "registerUser: a new name that looks like another one is confusable, naming it; neither name's key changes",
        withStorage(async (storage) => {
          const bobKey = key();
          assert.deepEqual(await storage.registerUser(bob, bobKey), { kind: "registered" });
          const b0b = user("b0b");
          assert.deepEqual(await storage.registerUser(b0b, key()), { kind: "confusable", lookalike: bob });
          assert.deepEqual(
            await storage.registerUser(b0b, bobKey),
            { kind: "confusable", lookalike: bob },
            "whatever key",
          );
          assert.equal(await storage.userKey(b0b), undefined, "a refused name is not registered");
          assert.deepEqual(await storage.registerUser(bob, bobKey), { kind: "known" }, "bob himself still logs in");
          assert.deepEqual(await storage.userKey(bob), bobKey);
          await registerAll(storage, [dave, user("wim")]);
          for (const [lookalike, of] of [
            ["clave", dave],
            ["c1ave", dave],
            ["ciave", dave],
            ["vvim", "wim"],
            ["wirn", "wim"],
            ["vv1rn", "wim"],
          ] as const) {
            assert.deepEqual(await storage.registerUser(user(lookalike), key()), { kind: "confusable", lookalike: of });
          }
          await registerAll(storage, ["rob", "bobb", "cave", "dave2", "win"].map(user));
        }),
      );

      it(
        "registerUser: a released name keeps its look-alikes out, and comes back itself",
        withStorage(async (storage) => {
          await storage.registerUser(bob, key());
          assert.equal(await storage.releaseName(bob), "released");
          assert.deepEqual(await storage.registerUser(user("b0b"), key()), { kind: "confusable", lookalike: bob });
          const newKey = key();
          assert.deepEqual(await storage.registerUser(bob, newKey), { kind: "registered" });
          assert.deepEqual(await storage.userKey(bob), newKey);
        }),
      );

      it(
        "userKey: the bound key per user, undefined for unknown names",
        withStorage(async (storage) => {
          const aliceKey = key();
          const bobKey = key();
          assert.equal(await storage.userKey(alice), undefined);
          await storage.registerUser(alice, aliceKey);
          await storage.registerUser(bob, bobKey);
          assert.deepEqual(await storage.userKey(alice), aliceKey);
          assert.deepEqual(await storage.userKey(bob), bobKey);
          assert.equal(await storage.userKey(carol), undefined);
          // the same key may be used by two names
          assert.deepEqual(await storage.registerUser(carol, aliceKey), { kind: "registered" });
        }),
      );
    });

    describe("key packages", () => {
      it(
        "hands out each key package once, oldest first across uploads, then the last-resort one, which stays",
        withStorage(async (storage) => {
          await registerAll(storage);
          const first = [blob(), blob(), blob()];
          const second = [blob(), blob()];
          const lastResort = blob();
          await storage.addKeyPackages(alice, first, lastResort);
          await storage.addKeyPackages(alice, second, undefined);
          const expected = [...first, ...second];
          for (const [index, keyPackage] of expected.entries()) {
            assert.equal(await storage.countKeyPackages(alice), expected.length - index);
            assert.deepEqual(await storage.claimKeyPackage(alice), keyPackage, `claim #${index}`);
          }
          for (let i = 0; i < 3; i++) {
            assert.deepEqual(await storage.claimKeyPackage(alice), lastResort, "then the last-resort package");
            assert.equal(await storage.countKeyPackages(alice), 0);
          }
          // a fresh upload is handed out before the last-resort package again
          const third = blob();
          await storage.addKeyPackages(alice, [third], undefined);
          assert.deepEqual(await storage.claimKeyPackage(alice), third);
          assert.deepEqual(await storage.claimKeyPackage(alice), lastResort);
        }),
      );

      it(
        "countKeyPackages excludes the last-resort package",
        withStorage(async (storage) => {
          await registerAll(storage);
          assert.equal(await storage.countKeyPackages(alice), 0);
          await storage.addKeyPackages(alice, [], blob());
          assert.equal(await storage.countKeyPackages(alice), 0);
          await storage.addKeyPackages(alice, [blob(), blob()], blob());
          assert.equal(await storage.countKeyPackages(alice), 2);
          await storage.addKeyPackages(alice, [blob()], undefined);
          assert.equal(await storage.countKeyPackages(alice), 3);
        }),
      );

      it(
        "a new last-resort package replaces the previous one",
        withStorage(async (storage) => {
          await registerAll(storage);
          const old = blob();
          const replacement = blob();
          await storage.addKeyPackages(alice, [], old);
          assert.deepEqual(await storage.claimKeyPackage(alice), old);
          await storage.addKeyPackages(alice, [], replacement);
          assert.deepEqual(await storage.claimKeyPackage(alice), replacement);
          assert.deepEqual(await storage.claimKeyPackage(alice), replacement);
          await storage.addKeyPackages(alice, [], undefined);
          assert.deepEqual(await storage.claimKeyPackage(alice), replacement, "an upload without one keeps it");
        }),
      );

      it(
        "key packages are per user; nothing uploaded means undefined",
        withStorage(async (storage) => {
          await registerAll(storage);
          assert.equal(await storage.claimKeyPackage(alice), undefined);
          assert.equal(await storage.claimKeyPackage(user("nobody")), undefined);
          const alicePackage = blob();
          const bobPackage = blob();
          await storage.addKeyPackages(alice, [alicePackage], undefined);
          await storage.addKeyPackages(bob, [bobPackage], undefined);
          assert.equal(await storage.countKeyPackages(carol), 0);
          assert.deepEqual(await storage.claimKeyPackage(bob), bobPackage);
          assert.equal(await storage.claimKeyPackage(bob), undefined, "claimed once, gone, no last resort");
          assert.equal(await storage.countKeyPackages(alice), 1);
          assert.deepEqual(await storage.claimKeyPackage(alice), alicePackage);
          assert.equal(await storage.claimKeyPackage(alice), undefined);
        }),
      );
    });

    describe("groups", () => {
      it(
        "createGroup: a room whose name looks like another's is refused, whatever its kind; private conversations are not rooms",
        withStorage(async (storage) => {
          await registerAll(storage);
          await created(storage, group("+team"), alice);
          for (const lookalike of ["+tearn", "#team", "#tearn"]) {
            assert.deepEqual(
              await storage.createGroup(group(lookalike), roomKindOf(group(lookalike)), bob, undefined),
              {
                kind: "confusable",
                lookalike: group("+team"),
              },
            );
            assert.equal(await storage.group(group(lookalike)), undefined);
          }
          await created(storage, group("+teams"), bob);
          await created(storage, group("@alice@bob"), bob);
        }),
      );

      it(
        "reserveRoom: only the owner may create it, look-alikes are held off; reclaim ends a room in use; unreserveRoom lifts it",
        withStorage(async (storage) => {
          await registerAll(storage);
          const ops = group("#ops");
          assert.deepEqual(await storage.reserveRoom(ops, alice, false), { kind: "reserved" });
          assert.deepEqual(await storage.createGroup(ops, "open", bob, undefined), { kind: "reserved", owner: alice });
          assert.deepEqual(await storage.createGroup(group("#0ps"), "open", bob, undefined), {
            kind: "confusable",
            lookalike: ops,
          });
          await created(storage, ops, alice);

          const team = group("+team");
          await created(storage, team, bob);
          await accept(storage, commitInput(team, 0, bob, { added: [carol], welcome: blob() }));
          assert.deepEqual(await storage.reserveRoom(team, alice, false), { kind: "exists", members: [bob, carol] });
          assert.deepEqual(await storage.currentMembers(team), [bob, carol], "left alone without reclaim");
          const before = await storage.lastSeq();
          assert.deepEqual(await storage.reserveRoom(team, alice, true), { kind: "reclaimed", members: [bob, carol] });
          assert.equal(await storage.group(team), undefined);
          assert.deepEqual(await storage.currentMembers(team), []);
          assert.ok(!(await storage.groupsOf(carol)).includes(team));
          const seq = await created(storage, team, alice);
          assert.ok(seq > before);
          assert.equal((await storage.group(team))?.epoch, 0, "the new group starts from epoch 0");
          const message = await appendMessage(storage, team, alice, blob(), 5_000);
          assert.equal(message.kind, "stored");
          const carols = await storage.fetchSince(carol, 0, 100);
          assert.ok(
            !carols.some((delivery) => delivery.seq > before),
            "nothing of the new group reaches its old members",
          );

          assert.equal(await storage.unreserveRoom(team), "unreserved");
          assert.equal(await storage.unreserveRoom(team), "unknown");
          assert.equal(await storage.unreserveRoom(group("#never")), "unknown");
          assert.equal(await storage.unreserveRoom(group("#ops")), "unreserved");
          assert.deepEqual(await storage.createGroup(ops, "open", bob, undefined), { kind: "exists" });
          assert.deepEqual(await storage.reserveRoom(group("#later"), bob, false), { kind: "reserved" });
          assert.equal(await storage.unreserveRoom(group("#later")), "unreserved");
          await created(storage, group("#1ater"), carol); // a lifted reservation of a room never made holds nothing off
        }),
      );

      it(
        "createGroup: created once, then exists; the creator is the only member; epoch 0",
        withStorage(async (storage) => {
          await registerAll(storage);
          const info = blob();
          const lobby = group("#lobby");
          const result = await storage.createGroup(lobby, "open", alice, info);
          assert.equal(result.kind, "created");
          assert.deepEqual(await storage.group(lobby), { groupId: lobby, kind: "open", epoch: 0, groupInfo: info });
          assert.deepEqual(await storage.currentMembers(lobby), [alice]);
          assert.deepEqual(await storage.createGroup(lobby, "open", bob, blob()), { kind: "exists" });
          assert.deepEqual(await storage.createGroup(lobby, "invite", alice, undefined), { kind: "exists" });
          assert.deepEqual(await storage.group(lobby), { groupId: lobby, kind: "open", epoch: 0, groupInfo: info });
          assert.deepEqual(await storage.currentMembers(lobby), [alice], "exists changes nobody's membership");

          const team = group("+team");
          assert.equal((await storage.createGroup(team, "invite", bob, undefined)).kind, "created");
          assert.deepEqual(await storage.group(team), {
            groupId: team,
            kind: "invite",
            epoch: 0,
            groupInfo: undefined,
          });
          const direct = group("@alice@bob");
          assert.equal((await storage.createGroup(direct, "direct", bob, undefined)).kind, "created");
          assert.equal((await storage.group(direct))?.kind, "direct");
          assert.equal(await storage.group(group("#nope")), undefined);
          assert.deepEqual(await storage.currentMembers(group("#nope")), []);
        }),
      );

      it(
        "the creator receives the group's deliveries from creation on",
        withStorage(async (storage) => {
          await registerAll(storage);
          const lobby = group("#lobby");
          const seq = await created(storage, lobby, alice);
          const message = (await appendMessage(storage, lobby, alice, blob(), 600)).delivery;
          assert.ok(message.seq >= seq, "created.seq is where the creator's membership starts");
          assert.deepEqual(await all(storage, alice), [message]);
        }),
      );

      it(
        "appendMessage stores a (sender, sendId) once: a resend gets the first delivery back",
        withStorage(async (storage) => {
          await registerAll(storage);
          const lobby = group("#lobby");
          await created(storage, lobby, alice);
          const sendId = blob(16);
          const first = await appendMessage(storage, lobby, alice, blob(), 600, sendId);
          assert.equal(first.kind, "stored");
          const again = await appendMessage(storage, lobby, alice, blob(), 601, sendId);
          assert.deepEqual(again, { kind: "duplicate", delivery: first.delivery });
          const otherSender = await appendMessage(storage, lobby, bob, blob(), 602, sendId);
          assert.equal(otherSender.kind, "stored", "sendIds are per sender");
          assert.equal((await appendMessage(storage, lobby, alice, blob(), 603, blob(16))).kind, "stored");
          assert.equal(
            (await appendMessage(storage, lobby, alice, blob(), 604)).kind,
            "stored",
            "no sendId: always stored",
          );
          assert.equal((await all(storage, alice)).length, 4, "the resend added nothing to the stream");
        }),
      );

      it(
        "appendMessages stores a batch in order in one call, with the same duplicate rule",
        withStorage(async (storage) => {
          await registerAll(storage);
          const lobby = group("#lobby");
          await created(storage, lobby, alice);
          const sendId = blob(16);
          const results = await storage.appendMessages([
            { groupId: lobby, sender: alice, payload: blob(), serverTs: 1, sendId },
            { groupId: lobby, sender: bob, payload: blob(), serverTs: 2 },
            { groupId: lobby, sender: alice, payload: blob(), serverTs: 3, sendId },
          ]);
          assert.deepEqual(
            results.map((r) => r.kind),
            ["stored", "stored", "duplicate"],
          );
          assert.ok(results[0]!.delivery.seq < results[1]!.delivery.seq, "seqs follow the batch order");
          assert.deepEqual(results[2]!.delivery, results[0]!.delivery);
          assert.deepEqual(await all(storage, alice), [results[0]!.delivery, results[1]!.delivery]);
        }),
      );

      it(
        "listGroups lists the groups a user may see, with their current members, a page at a time",
        withStorage(async (storage) => {
          await registerAll(storage);
          const lobby = group("#lobby");
          const team = group("+team");
          await created(storage, lobby, alice, blob());
          await created(storage, team, bob);
          await accept(
            storage,
            commitInput(lobby, 0, alice, { added: [carol, bob], welcome: blob(), groupInfo: blob() }),
          );
          await accept(storage, commitInput(team, 0, bob, { added: [dave, carol], welcome: blob() }));
          await accept(storage, commitInput(team, 1, dave, { removed: [carol] }));
          const listed = async (viewer: UserName, after = "", limit = 100) =>
            (await storage.listGroups(viewer, after, limit)).map((entry) => ({
              ...entry,
              members: sorted(entry.members),
            }));
          assert.deepEqual(await listed(bob), [
            { groupId: lobby, kind: "open", members: [alice, bob, carol] },
            { groupId: team, kind: "invite", members: [bob, dave] },
          ]);
          assert.deepEqual(
            (await listed(carol)).map((entry) => entry.groupId),
            [lobby],
            "an invite-only room only to its members (carol left it)",
          );
          assert.deepEqual(await listed(bob, "", 1), [{ groupId: lobby, kind: "open", members: [alice, bob, carol] }]);
          assert.deepEqual(
            (await listed(bob, lobby, 1)).map((entry) => entry.groupId),
            [team],
            "the next page starts after",
          );
          assert.deepEqual(await listed(bob, team), []);
        }),
      );
    });

    describe("acceptCommit", () => {
      it(
        "accepted: moves the group from epoch to epoch + 1 and stores the commit as a delivery",
        withStorage(async (storage) => {
          await registerAll(storage);
          const lobby = group("#lobby");
          const createdSeq = await created(storage, lobby, alice, blob());
          const groupInfo = blob();
          const input = commitInput(lobby, 0, alice, { groupInfo, serverTs: 777 });
          const result = await accept(storage, input);
          assert.deepEqual(result.welcomes, []);
          assert.equal(result.commit.kind, "commit");
          assert.equal(result.commit.groupId, lobby);
          assert.equal(result.commit.sender, alice);
          assert.equal(result.commit.serverTs, 777);
          assert.deepEqual(result.commit.payload, input.commit);
          assert.ok(result.commit.seq >= createdSeq);
          assert.deepEqual(await storage.group(lobby), { groupId: lobby, kind: "open", epoch: 1, groupInfo });
          const next = await accept(storage, commitInput(lobby, 1, alice, { groupInfo: blob() }));
          assert.ok(next.commit.seq > result.commit.seq);
          assert.equal((await storage.group(lobby))?.epoch, 2);
          assert.deepEqual(await all(storage, alice), [result.commit, next.commit]);
        }),
      );

      it(
        "stale: a second commit for an epoch (or one from a future epoch) is refused and changes nothing",
        withStorage(async (storage) => {
          await registerAll(storage);
          const team = group("+team");
          await created(storage, team, alice);
          const first = await accept(storage, commitInput(team, 0, alice, { added: [bob], welcome: blob() }));
          const rival = commitInput(team, 0, bob, { removed: [alice], added: [carol], welcome: blob() });
          assert.deepEqual(await storage.acceptCommit(rival), { kind: "stale", currentEpoch: 1 });
          assert.deepEqual(await storage.acceptCommit({ ...rival, sender: alice }), { kind: "stale", currentEpoch: 1 });
          const future = commitInput(team, 5, alice, { removed: [bob] });
          assert.deepEqual(await storage.acceptCommit(future), { kind: "stale", currentEpoch: 1 });
          assert.equal((await storage.group(team))?.epoch, 1);
          assert.deepEqual(sorted(await storage.currentMembers(team)), [alice, bob]);
          assert.deepEqual(await all(storage, carol), [], "no welcome from a stale commit");
          assert.deepEqual(await all(storage, alice), [first.commit], "stale commits are not delivered");
          // the next epoch is still open
          const second = await accept(storage, commitInput(team, 1, bob));
          assert.deepEqual(await storage.acceptCommit(commitInput(team, 1, alice)), { kind: "stale", currentEpoch: 2 });
          assert.deepEqual(await all(storage, alice), [first.commit, second.commit]);
        }),
      );

      it(
        "no_group: a commit for an unknown group",
        withStorage(async (storage) => {
          await registerAll(storage);
          assert.deepEqual(await storage.acceptCommit(commitInput(group("#ghost"), 0, alice)), { kind: "no_group" });
          assert.equal(await storage.group(group("#ghost")), undefined);
          assert.deepEqual(await all(storage, alice), []);
        }),
      );

      it(
        "removed members leave the group",
        withStorage(async (storage) => {
          await registerAll(storage);
          const team = group("+team");
          await created(storage, team, alice);
          await accept(storage, commitInput(team, 0, alice, { added: [bob, carol], welcome: blob() }));
          assert.deepEqual(sorted(await storage.currentMembers(team)), [alice, bob, carol]);
          await accept(storage, commitInput(team, 1, alice, { removed: [bob] }));
          assert.deepEqual(sorted(await storage.currentMembers(team)), [alice, carol]);
          await accept(storage, commitInput(team, 2, carol, { removed: [alice] }));
          assert.deepEqual(await storage.currentMembers(team), [carol]);
        }),
      );

      it(
        "added members get one welcome each, addressed only to them, and become members",
        withStorage(async (storage) => {
          await registerAll(storage);
          const team = group("+team");
          await created(storage, team, alice);
          const welcome = blob(40);
          const result = await accept(
            storage,
            commitInput(team, 0, alice, { added: [bob, carol], welcome, serverTs: 900 }),
          );
          assert.deepEqual(
            result.welcomes.map((w) => w.recipient),
            [bob, carol],
          );
          for (const { recipient, delivery } of result.welcomes) {
            assert.equal(delivery.kind, "welcome");
            assert.equal(delivery.groupId, team);
            assert.equal(delivery.sender, alice);
            assert.equal(delivery.serverTs, 900);
            assert.deepEqual(delivery.payload, welcome);
            assert.ok(delivery.seq > result.commit.seq, "a welcome comes after its commit");
            assert.deepEqual(await all(storage, recipient), [delivery], `${recipient} gets only its own welcome`);
          }
          assert.deepEqual(await all(storage, alice), [result.commit], "the committer gets no welcome");
          assert.deepEqual(await all(storage, dave), []);
          assert.deepEqual(sorted(await storage.currentMembers(team)), [alice, bob, carol]);
        }),
      );

      it(
        "senderJoins: an external commit makes the sender a member who receives its own commit",
        withStorage(async (storage) => {
          await registerAll(storage);
          const lobby = group("#lobby");
          await created(storage, lobby, alice, blob());
          const before = (await appendMessage(storage, lobby, alice, blob(), 600)).delivery;
          const join = await accept(storage, commitInput(lobby, 0, carol, { senderJoins: true, groupInfo: blob() }));
          assert.deepEqual(sorted(await storage.currentMembers(lobby)), [alice, carol]);
          const after = (await appendMessage(storage, lobby, alice, blob(), 601)).delivery;
          assert.deepEqual(await all(storage, carol), [join.commit, after], "nothing from before the join");
          assert.deepEqual(await all(storage, alice), [before, join.commit, after]);
        }),
      );
    });

    describe("fetchSince", () => {
      /**
       * alice creates +team and adds bob, then carol; carol removes bob. dave talks in #other.
       * Returns every delivery in the order it was made, with who must receive it.
       */
      async function scenario(storage: Storage) {
        await registerAll(storage);
        const team = group("+team");
        const other = group("#other");
        await created(storage, team, alice);
        await created(storage, other, dave, blob());
        const m1 = (await appendMessage(storage, team, alice, blob(), 1)).delivery;
        const o1 = (await appendMessage(storage, other, dave, blob(), 2)).delivery;
        const c1 = await accept(storage, commitInput(team, 0, alice, { added: [bob], welcome: blob() }));
        const w1 = c1.welcomes[0]?.delivery;
        const m2 = (await appendMessage(storage, team, bob, blob(), 3)).delivery;
        const c2 = await accept(storage, commitInput(team, 1, alice, { added: [carol], welcome: blob() }));
        const w2 = c2.welcomes[0]?.delivery;
        const m3 = (await appendMessage(storage, team, carol, blob(), 4)).delivery;
        const c3 = await accept(storage, commitInput(team, 2, carol, { removed: [bob] }));
        const m4 = (await appendMessage(storage, team, alice, blob(), 5)).delivery;
        const o2 = (await appendMessage(storage, other, dave, blob(), 6)).delivery;
        const m5 = (await appendMessage(storage, team, carol, blob(), 7)).delivery;
        assert.ok(w1 !== undefined && w2 !== undefined);
        const order = [m1, o1, c1.commit, w1, m2, c2.commit, w2, m3, c3.commit, m4, o2, m5];
        assertIncreasing(order);
        const expected = new Map<UserName, StoredDelivery[]>([
          [alice, [m1, c1.commit, m2, c2.commit, m3, c3.commit, m4, m5]],
          [bob, [w1, m2, c2.commit, m3, c3.commit]],
          [carol, [w2, m3, c3.commit, m4, m5]],
          [dave, [o1, o2]],
        ]);
        return { expected, o1, c3: c3.commit, m4 };
      }

      it(
        "returns, in seq order, exactly the deliveries of the user's membership windows and its own welcomes",
        withStorage(async (storage) => {
          const { expected } = await scenario(storage);
          for (const [name, stream] of expected) assert.deepEqual(await all(storage, name), stream, name);
          assert.deepEqual(await all(storage, user("nobody")), []);
        }),
      );

      it(
        "returns only deliveries after the cursor",
        withStorage(async (storage) => {
          const { expected, o1, c3, m4 } = await scenario(storage);
          const aliceStream = expected.get(alice) ?? [];
          for (const [index, delivery] of aliceStream.entries()) {
            assert.deepEqual(
              await all(storage, alice, delivery.seq),
              aliceStream.slice(index + 1),
              `after ${delivery.seq}`,
            );
          }
          // a cursor that is not in the user's own stream
          assert.deepEqual(
            await all(storage, alice, o1.seq),
            aliceStream.filter((d) => d.seq > o1.seq),
          );
          // bob's stream ends with the commit that removed him, whatever came later
          assert.deepEqual(await all(storage, bob, c3.seq), []);
          assert.deepEqual(await all(storage, bob, m4.seq), []);
          const lastSeq = Math.max(...[...expected.values()].flat().map((d) => d.seq));
          assert.deepEqual(await all(storage, alice, lastSeq), []);
        }),
      );

      it(
        "respects the limit; paging by cursor reassembles the whole stream",
        withStorage(async (storage) => {
          const { expected } = await scenario(storage);
          const aliceStream = expected.get(alice) ?? [];
          assert.deepEqual(await storage.fetchSince(alice, 0, 3), aliceStream.slice(0, 3));
          assert.deepEqual(await storage.fetchSince(alice, 0, 1), aliceStream.slice(0, 1));
          assert.deepEqual(await storage.fetchSince(alice, 0, aliceStream.length), aliceStream);
          const third = aliceStream[2];
          assert.ok(third !== undefined);
          assert.deepEqual(await storage.fetchSince(alice, third.seq, 2), aliceStream.slice(3, 5));
          for (const [name, stream] of expected) {
            for (const pageSize of [1, 2, 3, 7]) assert.deepEqual(await paged(storage, name, pageSize), stream, name);
          }
        }),
      );

      it(
        "a member removed and added again gets both membership windows but nothing in between",
        withStorage(async (storage) => {
          await registerAll(storage);
          const team = group("+team");
          await created(storage, team, alice);
          const add = await accept(storage, commitInput(team, 0, alice, { added: [bob], welcome: blob() }));
          const inFirst = (await appendMessage(storage, team, alice, blob(), 1)).delivery;
          const remove = await accept(storage, commitInput(team, 1, alice, { removed: [bob] }));
          const gap = (await appendMessage(storage, team, alice, blob(), 2)).delivery;
          const readd = await accept(storage, commitInput(team, 2, alice, { added: [bob], welcome: blob() }));
          const inSecond = (await appendMessage(storage, team, alice, blob(), 3)).delivery;
          const welcome1 = add.welcomes[0]?.delivery;
          const welcome2 = readd.welcomes[0]?.delivery;
          assert.ok(welcome1 !== undefined && welcome2 !== undefined);
          assert.deepEqual(await all(storage, bob), [welcome1, inFirst, remove.commit, welcome2, inSecond]);
          assert.ok(!(await all(storage, bob)).some((d) => d.seq === gap.seq));
          assert.deepEqual(await storage.currentMembers(team), [alice, bob]);
        }),
      );

      it("matches a reference model for arbitrary sequences of operations", { timeout: 120_000 }, async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(operation, { minLength: 1, maxLength: 40 }),
            fc.integer({ min: 1, max: 5 }),
            async (ops, page) => {
              const fixture = await open();
              try {
                await checkAgainstModel(fixture.storage, ops, page);
              } finally {
                await fixture.cleanup();
              }
            },
          ),
          { numRuns: fuzzRuns(100) },
        );
      });
    });

    describe("cursor", () => {
      it(
        "starts at 0 and setCursor never moves it backwards",
        withStorage(async (storage) => {
          await registerAll(storage);
          assert.equal(await storage.cursor(alice), 0);
          await setCursor(storage, alice, 5);
          assert.equal(await storage.cursor(alice), 5);
          await setCursor(storage, alice, 3);
          assert.equal(await storage.cursor(alice), 5, "not backwards");
          await setCursor(storage, alice, 0);
          assert.equal(await storage.cursor(alice), 5);
          await setCursor(storage, alice, 5);
          assert.equal(await storage.cursor(alice), 5);
          await setCursor(storage, alice, 2 ** 40);
          assert.equal(await storage.cursor(alice), 2 ** 40);
          assert.equal(await storage.cursor(bob), 0, "cursors are per user");
        }),
      );

      it(
        "pruneDeliveries deletes the oldest deliveries stored before a time, a chunk at a time, and keeps the rest",
        withStorage(async (storage) => {
          await registerAll(storage);
          const team = group("+team");
          await created(storage, team, alice);
          await accept(storage, commitInput(team, 0, alice, { added: [bob], welcome: blob(), serverTs: 50 }));
          const times = [100, 200, 300, 250, 400];
          const seqs: number[] = [];
          for (const ts of times) seqs.push((await appendMessage(storage, team, alice, blob(), ts)).delivery.seq);
          assert.equal(await storage.pruneDeliveries(10, 100), 0, "nothing is that old");
          assert.equal(await storage.pruneDeliveries(260, 1), 1, "at most the limit");
          // The log's prefix before the first delivery to keep (300): the Welcome, 100, 200; not 250 after it.
          assert.equal(await storage.pruneDeliveries(260, 100), 3);
          assert.deepEqual(
            (await all(storage, bob)).map((d) => d.seq),
            seqs.slice(2),
          );
          assert.equal(await storage.lastSeq(), seqs.at(-1), "seqs are never handed out twice");
          assert.equal(await storage.pruneDeliveries(10_000, 100), 3);
          assert.deepEqual(await all(storage, bob), []);
          assert.equal(await storage.pruneDeliveries(10_000, 100), 0);
          const next = (await appendMessage(storage, team, alice, blob(), 500)).delivery.seq;
          assert.ok(next > (seqs.at(-1) ?? 0), "a seq after pruning is still new");
        }),
      );

      it(
        "lastSeq is 0 at first, then the highest seq handed out",
        withStorage(async (storage) => {
          await registerAll(storage);
          assert.equal(await storage.lastSeq(), 0);
          const team = group("+team");
          await created(storage, team, alice);
          const message = (await appendMessage(storage, team, alice, blob(), 1)).delivery;
          assert.equal(await storage.lastSeq(), message.seq);
          const commit = await accept(storage, commitInput(team, 0, alice, { added: [bob], welcome: blob() }));
          const last = commit.welcomes.at(-1)?.delivery.seq ?? commit.commit.seq;
          assert.equal(await storage.lastSeq(), Math.max(last, commit.commit.seq));
        }),
      );

      it(
        "setCursors advances several users at once, never backwards",
        withStorage(async (storage) => {
          await registerAll(storage);
          await setCursor(storage, alice, 10);
          await storage.setCursors(
            new Map([
              [alice, 4],
              [bob, 7],
              [carol, 9],
            ]),
          );
          assert.deepEqual(
            [await storage.cursor(alice), await storage.cursor(bob), await storage.cursor(carol)],
            [10, 7, 9],
          );
        }),
      );
    });

    describe("health", () => {
      it("ping settles while the storage serves, and rejects with a reason once it is closed", async () => {
        const fixture = await open();
        try {
          const storage = fixture.storage;
          await storage.ping();
          await storage.registerUser(alice, key());
          await storage.ping();
          await storage.close();
          await assert.rejects(storage.ping(), (error: Error) => error.message.length > 0);
        } finally {
          await fixture.cleanup();
        }
      });
    });

    describe("durability", () => {
      it("sync settles once everything is on disk, and rejects after close", async () => {
        const fixture = await open();
        try {
          const storage = fixture.storage;
          await storage.registerUser(alice, key());
          await storage.sync();
          await storage.close();
          await assert.rejects(storage.sync(), Error, "a closed storage cannot confirm anything");
        } finally {
          await fixture.cleanup();
        }
      });

      it("keeps everything across close and reopen", async (t: TestContext) => {
        const fixture = await open();
        try {
          const reopen = fixture.reopen;
          if (reopen === undefined) {
            t.skip(`${name} cannot reopen its data`);
            return;
          }
          const storage = fixture.storage;
          const keys = new Map(everyone.map((name) => [name, key()] as const));
          for (const [name, publicKey] of keys) await storage.registerUser(name, publicKey);
          const packages = [blob(), blob(), blob()];
          const lastResort = blob();
          await storage.addKeyPackages(alice, packages, lastResort);
          assert.deepEqual(await storage.claimKeyPackage(alice), packages[0]);
          const lobby = group("#lobby");
          const team = group("+team");
          await created(storage, lobby, alice, blob());
          await created(storage, team, bob);
          const groupInfo = blob();
          await accept(storage, commitInput(lobby, 0, alice, { added: [bob, carol], welcome: blob(), groupInfo }));
          await accept(storage, commitInput(lobby, 1, carol, { removed: [bob], groupInfo }));
          await appendMessage(storage, lobby, carol, blob(), 10);
          await appendMessage(storage, team, bob, blob(), 11);
          await setCursor(storage, carol, 4);
          const streams = new Map<UserName, StoredDelivery[]>();
          for (const name of everyone) streams.set(name, await all(storage, name));
          const groups = await storage.listGroups(alice, "", 100);
          await storage.close();

          const reopened = await reopen();
          for (const [name, publicKey] of keys) {
            assert.deepEqual(await reopened.userKey(name), publicKey);
            assert.deepEqual(await reopened.registerUser(name, publicKey), { kind: "known" });
          }
          assert.equal(await reopened.countKeyPackages(alice), 2);
          assert.deepEqual(await reopened.claimKeyPackage(alice), packages[1]);
          assert.deepEqual(await reopened.claimKeyPackage(alice), packages[2]);
          assert.deepEqual(await reopened.claimKeyPackage(alice), lastResort);
          assert.deepEqual(await reopened.group(lobby), { groupId: lobby, kind: "open", epoch: 2, groupInfo });
          assert.deepEqual(await reopened.group(team), {
            groupId: team,
            kind: "invite",
            epoch: 0,
            groupInfo: undefined,
          });
          assert.deepEqual(sorted(await reopened.currentMembers(lobby)), [alice, carol]);
          assert.deepEqual(await reopened.listGroups(alice, "", 100), groups);
          for (const [name, stream] of streams) assert.deepEqual(await all(reopened, name), stream, name);
          assert.equal(await reopened.cursor(carol), 4);
          assert.deepEqual(await reopened.createGroup(lobby, "open", dave, undefined), { kind: "exists" });
          assert.deepEqual(await reopened.acceptCommit(commitInput(lobby, 1, alice)), {
            kind: "stale",
            currentEpoch: 2,
          });
          // numbering continues after the old deliveries
          const lastSeq = Math.max(...[...streams.values()].flat().map((d) => d.seq));
          const next = (await appendMessage(reopened, lobby, alice, blob(), 13)).delivery;
          assert.ok(next.seq > lastSeq, "seq keeps increasing after reopen");
          await reopened.close();
        } finally {
          await fixture.cleanup();
        }
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Model-based check of membership windows and delivery streams.

const modelUsers = ["u0", "u1", "u2", "u3", "u4"].map(user);
const modelGroups = ["#g0", "+g1", "@u0@u1"].map(group);

type Operation =
  | { op: "create"; group: number; by: number }
  | { op: "message"; group: number; by: number; payload: Uint8Array }
  | {
      op: "commit";
      group: number;
      by: number;
      epoch: "current" | "previous" | "next";
      external: boolean;
      add: number[];
      remove: number[];
      payload: Uint8Array;
      welcome: Uint8Array;
    };

const index = fc.nat({ max: 100 });
const payload = fc.uint8Array({ minLength: 1, maxLength: 16 });
const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ op: fc.constant("create" as const), group: index, by: index }),
  fc.record({ op: fc.constant("message" as const), group: index, by: index, payload }),
  fc.record({
    op: fc.constant("commit" as const),
    group: index,
    by: index,
    epoch: fc.constantFrom(
      "current" as const,
      "current" as const,
      "current" as const,
      "previous" as const,
      "next" as const,
    ),
    external: fc.boolean(),
    add: fc.array(index, { maxLength: 3 }),
    remove: fc.array(index, { maxLength: 2 }),
    payload,
    welcome: payload,
  }),
);

interface ModelGroup {
  epoch: number;
  members: Set<UserName>;
}

function pick<T>(values: readonly T[], at: number): T | undefined {
  return values.length === 0 ? undefined : values[at % values.length];
}

async function checkAgainstModel(storage: Storage, ops: readonly Operation[], pageSize: number): Promise<void> {
  await registerAll(storage, modelUsers);
  const groups = new Map<GroupId, ModelGroup>();
  const streams = new Map<UserName, StoredDelivery[]>(modelUsers.map((name) => [name, []]));
  let lastSeq = 0;
  let ts = 0;
  const deliver = (delivery: StoredDelivery, recipients: Iterable<UserName>): void => {
    assert.ok(delivery.seq > lastSeq, "every delivery gets a larger seq than all before it");
    lastSeq = delivery.seq;
    for (const name of recipients) streams.get(name)?.push(delivery);
  };

  for (const op of ops) {
    const groupId = pick(modelGroups, op.group);
    assert.ok(groupId !== undefined);
    const state = groups.get(groupId);
    ts++;
    switch (op.op) {
      case "create": {
        const creator = pick(modelUsers, op.by);
        assert.ok(creator !== undefined);
        const result = await storage.createGroup(groupId, roomKindOf(groupId), creator, undefined);
        if (state !== undefined) {
          assert.deepEqual(result, { kind: "exists" });
        } else {
          assert.equal(result.kind, "created");
          groups.set(groupId, { epoch: 0, members: new Set([creator]) });
        }
        break;
      }
      case "message": {
        const sender = state === undefined ? undefined : pick(sorted(state.members), op.by);
        if (state === undefined || sender === undefined) break; // the server only lets members send
        const delivery = (await appendMessage(storage, groupId, sender, op.payload, ts)).delivery;
        assert.deepEqual(
          { ...delivery, seq: 0 },
          { seq: 0, serverTs: ts, groupId, sender, kind: "message", payload: op.payload },
        );
        deliver(delivery, state.members);
        break;
      }
      case "commit": {
        const members = state === undefined ? [] : sorted(state.members);
        const outsiders = modelUsers.filter((name) => !state?.members.has(name));
        const external = op.external && outsiders.length > 0;
        const sender = external ? pick(outsiders, op.by) : pick(members, op.by);
        if (state !== undefined && sender === undefined) break; // nobody left who could commit
        const committer = sender ?? modelUsers[0] ?? user("u0");
        const added = [...new Set(op.add.map((at) => pick(outsiders, at)))].filter(
          (name): name is UserName => name !== undefined && name !== committer,
        );
        const removed = [...new Set(op.remove.map((at) => pick(members, at)))].filter(
          (name): name is UserName => name !== undefined && name !== committer,
        );
        const epochOffset = op.epoch === "current" ? 0 : op.epoch === "previous" ? -1 : 1;
        const epoch = Math.max(0, (state?.epoch ?? 0) + epochOffset);
        const input: CommitInput = {
          groupId,
          epoch,
          sender: committer,
          senderJoins: external,
          commit: op.payload,
          groupInfo: undefined,
          welcome: added.length > 0 ? op.welcome : undefined,
          added,
          removed,
          serverTs: ts,
        };
        const result = await storage.acceptCommit(input);
        if (state === undefined) {
          assert.deepEqual(result, { kind: "no_group" });
          break;
        }
        if (epoch !== state.epoch) {
          assert.deepEqual(result, { kind: "stale", currentEpoch: state.epoch });
          break;
        }
        assert.equal(result.kind, "accepted");
        if (result.kind !== "accepted") break;
        assert.deepEqual(
          { ...result.commit, seq: 0 },
          { seq: 0, serverTs: ts, groupId, sender: committer, kind: "commit", payload: op.payload },
        );
        deliver(result.commit, external ? [...state.members, committer] : state.members);
        assert.deepEqual(
          result.welcomes.map((w) => w.recipient),
          added,
        );
        for (const { recipient, delivery } of result.welcomes) {
          assert.deepEqual(
            { ...delivery, seq: 0 },
            { seq: 0, serverTs: ts, groupId, sender: committer, kind: "welcome", payload: op.welcome },
          );
          deliver(delivery, [recipient]);
        }
        for (const name of removed) state.members.delete(name);
        state.members.add(committer);
        for (const name of added) state.members.add(name);
        state.epoch++;
        break;
      }
    }
  }

  for (const [groupId, state] of groups) {
    assert.equal((await storage.group(groupId))?.epoch, state.epoch, `${groupId} epoch`);
    assert.deepEqual(sorted(await storage.currentMembers(groupId)), sorted(state.members), `${groupId} members`);
  }
  for (const groupId of modelGroups) {
    if (!groups.has(groupId)) assert.equal(await storage.group(groupId), undefined);
  }
  for (const [name, stream] of streams) {
    assert.deepEqual(await all(storage, name), stream, `${name}'s stream`);
    assert.deepEqual(await paged(storage, name, pageSize), stream, `${name}'s stream in pages of ${pageSize}`);
  }
}
