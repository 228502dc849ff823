/**
 * What every ClientStore adapter must do, as one suite each adapter runs (the in-memory one
 * here, SQLite in the CLI package, IndexedDB later): the client relies on exactly this.
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import type { GroupId, UserName } from "@secure-chat/protocol";
import type { ClientStore, HistoryEntry, StoredKeyPackage } from "../src/store/store.js";
import { storeAccess } from "../src/store/write-guard.js";

export interface StoreUnderTest {
  store: ClientStore;
  /** Closes the store and opens the same saved state again (omit for a store that keeps nothing). */
  reopen?(): Promise<ClientStore>;
  /** Makes every later write fail, as a full disk would (omit if the adapter can't). */
  failWrites?(): void;
  cleanup(): Promise<void>;
}

const alice = "alice" as UserName;
const bob = "bob" as UserName;
const lobby = "#lobby" as GroupId;
const dev = "#dev" as GroupId;
const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

function keyPackage(ref: number, lastResort = false): StoredKeyPackage {
  return {
    ref: new Uint8Array(32).fill(ref),
    publicPackage: bytes(ref, 1),
    initPrivateKey: new Uint8Array(32).fill(ref + 1),
    hpkePrivateKey: new Uint8Array(32).fill(ref + 2),
    lastResort,
  };
}

function entry(room: GroupId, id: string, seq: number, text = `text ${id}`): HistoryEntry {
  return { room, id, from: alice, text, sentAt: seq * 10, serverTs: seq * 100, seq };
}

/** One call of each store method, with arguments it accepts. */
const calls: { [M in keyof ClientStore]: (store: ClientStore) => Promise<unknown> } = {
  identity: (s) => s.identity(),
  saveIdentity: (s) => s.saveIdentity({ name: alice, secretKey: bytes(1), publicKey: bytes(2), server: "ws://x" }),
  groups: (s) => s.groups(),
  cursor: (s) => s.cursor(),
  apply: (s) => s.apply({ cursor: 1 }),
  keyPackages: (s) => s.keyPackages(),
  addKeyPackages: (s) => s.addKeyPackages([keyPackage(9)]),
  pinnedKey: (s) => s.pinnedKey(alice),
  pin: (s) => s.pin(alice, bytes(3)),
  untrustedNames: (s) => s.untrustedNames(),
  setTrusted: (s) => s.setTrusted(alice, false),
  history: (s) => s.history(lobby, 10),
  message: (s) => s.message(lobby, "id"),
  nextOutbox: (s) => s.nextOutbox(),
  outboxSize: (s) => s.outboxSize(),
  addOutbox: (s) => s.addOutbox({ room: lobby, sendId: bytes(4), id: "id", sentAt: 1, content: bytes(0x87) }),
  close: () => Promise.resolve(), // neither: it ends every later call
};

export function storeContract(adapter: string, open: () => Promise<StoreUnderTest>): void {
  const withStore = async (body: (under: StoreUnderTest) => Promise<void>): Promise<void> => {
    const under = await open();
    try {
      await body(under);
    } finally {
      await under.cleanup();
    }
  };
  /** A test of what only some adapters can do (`reopen`, `failWrites`): skipped, and said so, elsewhere. */
  const withCapability =
    <K extends "reopen" | "failWrites">(
      capability: K,
      body: (under: StoreUnderTest & Required<Pick<StoreUnderTest, K>>) => Promise<void>,
    ) =>
    (t: TestContext): Promise<void> =>
      withStore(async (under) => {
        if (under[capability] === undefined) return t.skip(`${adapter} can't ${capability}`);
        await body(under as StoreUnderTest & Required<Pick<StoreUnderTest, K>>);
      });

  describe(`ClientStore contract: ${adapter}`, () => {
    it("starts empty", () =>
      withStore(async ({ store }) => {
        assert.equal(await store.identity(), undefined);
        assert.deepEqual(await store.groups(), []);
        assert.equal(await store.cursor(), 0);
        assert.deepEqual(await store.keyPackages(), []);
        assert.equal(await store.nextOutbox(), undefined);
        assert.equal(await store.outboxSize(), 0);
      }));

    it("keeps the identity, pins (a new pin replaces the old) and untrusted names", () =>
      withStore(async ({ store }) => {
        await store.saveIdentity({ name: alice, secretKey: bytes(1, 2), publicKey: bytes(3, 4), server: "ws://x" });
        assert.deepEqual(await store.identity(), {
          name: alice,
          secretKey: bytes(1, 2),
          publicKey: bytes(3, 4),
          server: "ws://x",
        });
        assert.equal(await store.pinnedKey(alice), undefined);
        await store.pin(alice, bytes(5));
        await store.pin(alice, bytes(6));
        assert.deepEqual(await store.pinnedKey(alice), bytes(6));
        assert.deepEqual(await store.untrustedNames(), []);
        await store.setTrusted(alice, false);
        await store.setTrusted(alice, false);
        assert.deepEqual(await store.untrustedNames(), [alice]);
        await store.setTrusted(alice, true);
        assert.deepEqual(await store.untrustedNames(), []);
      }));

    it("applies a batch: groups set and deleted, messages kept once, the cursor only moves forward", () =>
      withStore(async ({ store }) => {
        await store.apply({
          groups: [
            { groupId: lobby, state: bytes(1), pending: null },
            { groupId: dev, state: bytes(2), pending: bytes(3) },
          ],
          messages: [entry(lobby, "a", 5)],
          cursor: 5,
        });
        const groups = (await store.groups()).sort((a, b) => a.groupId.localeCompare(b.groupId));
        assert.deepEqual(groups, [
          { groupId: dev, state: bytes(2), pending: bytes(3) },
          { groupId: lobby, state: bytes(1), pending: undefined },
        ]);
        await store.apply({
          groups: [{ groupId: dev, state: null, pending: null }],
          messages: [entry(lobby, "a", 9, "a replay"), entry(lobby, "b", 6)],
          cursor: 3,
        });
        assert.deepEqual(
          (await store.groups()).map((g) => g.groupId),
          [lobby],
        );
        assert.equal(await store.cursor(), 5, "a lower cursor does not move it back");
        assert.deepEqual(await store.history(lobby, 10), [entry(lobby, "a", 5), entry(lobby, "b", 6)]);
        assert.deepEqual(await store.message(lobby, "b"), entry(lobby, "b", 6));
        assert.equal(await store.message(dev, "b"), undefined);
      }));

    it("writes a revised message whole (text, replyTo, edited, deleted, reactions); a revision of no stored message is ignored", () =>
      withStore(async ({ store }) => {
        const original = { ...entry(lobby, "a", 1), replyTo: "r".repeat(64) };
        await store.apply({ messages: [original, entry(lobby, "b", 2)] });
        assert.deepEqual(await store.message(lobby, "a"), original, "replyTo is kept");
        const reactions = [
          { from: bob, emoji: "👍", id: "x1" },
          { from: alice, emoji: "🎉", id: "x2" },
        ];
        const edited = { ...original, text: "new text", edited: true, reactions };
        await store.apply({ revisions: [edited, entry(lobby, "absent", 3)] });
        assert.deepEqual(await store.message(lobby, "a"), edited);
        assert.equal(await store.message(lobby, "absent"), undefined);
        const tombstone = { ...entry(lobby, "b", 2), text: "", deleted: true };
        await store.apply({ revisions: [tombstone] });
        assert.deepEqual(await store.history(lobby, 10), [edited, tombstone]);
        // A second copy of a stored id changes nothing: revisions do.
        await store.apply({ messages: [entry(lobby, "a", 1)] });
        assert.deepEqual(await store.message(lobby, "a"), edited);
      }));

    it("gives the last N messages of a room, oldest first", () =>
      withStore(async ({ store }) => {
        await store.apply({
          messages: [entry(lobby, "c", 3), entry(lobby, "a", 1), entry(dev, "x", 2), entry(lobby, "b", 2)],
        });
        assert.deepEqual(
          (await store.history(lobby, 2)).map((m) => m.id),
          ["b", "c"],
        );
        assert.deepEqual(
          (await store.history(dev, 10)).map((m) => m.id),
          ["x"],
        );
      }));

    it("keeps KeyPackages; a spent one goes, the last-resort one stays until replaced", () =>
      withStore(async ({ store }) => {
        await store.addKeyPackages([keyPackage(1), keyPackage(2), keyPackage(3, true)]);
        await store.apply({ removeKeyPackage: keyPackage(1).ref });
        await store.apply({ removeKeyPackage: keyPackage(3).ref });
        const refs = (held: StoredKeyPackage[]) => held.map((kp) => kp.ref[0]).sort();
        assert.deepEqual(refs(await store.keyPackages()), [2, 3]);
        await store.addKeyPackages([keyPackage(4, true)]);
        assert.deepEqual(refs(await store.keyPackages()), [2, 4]);
        assert.deepEqual(
          (await store.keyPackages()).find((kp) => kp.ref[0] === 2),
          keyPackage(2),
        );
      }));

    it("keeps the outbox in order; a ciphertext is saved with its entry, a removed entry is gone", () =>
      withStore(async ({ store }) => {
        const first = await store.addOutbox({
          room: lobby,
          sendId: bytes(1),
          id: "m1",
          sentAt: 1,
          content: bytes(0x87, 1),
        });
        const second = await store.addOutbox({
          room: dev,
          sendId: bytes(2),
          id: "m2",
          sentAt: 2,
          content: bytes(0x87, 2),
        });
        assert.equal(await store.outboxSize(), 2);
        assert.deepEqual(await store.nextOutbox(), {
          localId: first,
          room: lobby,
          sendId: bytes(1),
          id: "m1",
          sentAt: 1,
          content: bytes(0x87, 1),
          ciphertext: undefined,
        });
        await store.apply({ outboxCiphertext: { localId: first, ciphertext: bytes(7, 7) } });
        assert.deepEqual((await store.nextOutbox())?.ciphertext, bytes(7, 7));
        await store.apply({ removeOutbox: first, messages: [entry(lobby, "m1", 1)], cursor: 1 });
        assert.equal((await store.nextOutbox())?.localId, second);
        assert.equal(await store.outboxSize(), 1);
      }));

    it("hands out copies: changing what was saved or read changes nothing stored", () =>
      withStore(async ({ store }) => {
        const state = bytes(1, 2, 3);
        await store.apply({ groups: [{ groupId: lobby, state, pending: null }] });
        state.fill(0); // the client zeroes consumed secrets in place
        const read = (await store.groups())[0]?.state;
        assert.deepEqual(read, bytes(1, 2, 3));
        read?.fill(9);
        assert.deepEqual((await store.groups())[0]?.state, bytes(1, 2, 3));
      }));

    it(
      "keeps everything across a reopen, where the adapter saves",
      withCapability("reopen", async (under) => {
        await under.store.saveIdentity({ name: alice, secretKey: bytes(1), publicKey: bytes(2), server: "ws://x" });
        await under.store.apply({ groups: [{ groupId: lobby, state: bytes(5), pending: null }], cursor: 8 });
        await under.store.addOutbox({ room: lobby, sendId: bytes(1), id: "m1", sentAt: 1, content: bytes(0x87, 1) });
        await under.store.setTrusted(alice, false);
        const reacted = {
          ...entry(lobby, "a", 1),
          replyTo: "r".repeat(64),
          reactions: [{ from: bob, emoji: "👍", id: "x" }],
        };
        await under.store.apply({ messages: [entry(lobby, "a", 1)] });
        await under.store.apply({ revisions: [reacted] });
        const again = await under.reopen();
        assert.deepEqual(await again.message(lobby, "a"), reacted);
        assert.deepEqual(await again.untrustedNames(), [alice]);
        assert.equal((await again.identity())?.name, alice);
        assert.equal(await again.cursor(), 8);
        assert.deepEqual((await again.groups())[0]?.state, bytes(5));
        assert.equal(await again.outboxSize(), 1);
      }),
    );

    it(
      "fails exactly the methods write-guard.ts lists as writes, when writing fails",
      withCapability("failWrites", async (under) => {
        under.failWrites();
        for (const [method, call] of Object.entries(calls) as [
          keyof ClientStore,
          (s: ClientStore) => Promise<unknown>,
        ][]) {
          const writes = await call(under.store).then(
            () => false,
            () => true,
          );
          assert.equal(storeAccess[method], writes ? "write" : "read", method);
        }
      }),
    );

    it(
      "applies a batch whole or not at all when a write fails",
      withCapability("failWrites", async (under) => {
        await under.store.apply({ cursor: 2 });
        under.failWrites();
        await assert.rejects(
          under.store.apply({
            cursor: 3,
            messages: [entry(lobby, "a", 3)],
            groups: [{ groupId: lobby, state: bytes(1), pending: null }],
          }),
        );
        assert.equal(await under.store.cursor(), 2);
        assert.deepEqual(await under.store.history(lobby, 10), []);
        assert.deepEqual(await under.store.groups(), []);
      }),
    );
  });
}
