import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import pg from "pg";
import type { GroupId, UserName } from "@secure-chat/protocol";
import { PgStorage } from "../src/storage/pg-storage.js";
import { StorageUnavailableError, type Storage } from "../src/storage/storage.js";
import { PostgresInstance, postgresMissing } from "./postgres-instance.js";
import { commitInput, storageContract } from "./storage-contract.js";
import { skipUnlessCi } from "./throwaway-service.js";

const skip = skipUnlessCi(postgresMissing());

/** One server for the file, started on first use; each fixture gets a database of its own. */
let instance: Promise<PostgresInstance> | undefined;
let databases = 0;
after(async () => await (await instance)?.stop());

async function freshDatabase(): Promise<{ server: PostgresInstance; url: string }> {
  instance ??= PostgresInstance.start();
  const server = await instance;
  return { server, url: await server.createDatabase(`contract_${++databases}`) };
}

/** The contract's fixtures come one at a time: they share one database, emptied after each. */
let contractDatabase: Promise<{ server: PostgresInstance; url: string }> | undefined;

describe("PostgreSQL", { skip }, () => {
  storageContract("PgStorage", async () => {
    contractDatabase ??= freshDatabase();
    const { server, url } = await contractDatabase;
    const opened: Storage[] = [await PgStorage.open(url)];
    return {
      storage: opened[0]!,
      async reopen() {
        const storage = await PgStorage.open(url);
        opened.push(storage);
        return storage;
      },
      async cleanup() {
        for (const storage of opened) await storage.close();
        await server.query("DROP SCHEMA public CASCADE; CREATE SCHEMA public", url);
      },
    };
  });

  describe("PgStorage between nodes", () => {
    const alice = "alice" as UserName;
    const bob = "bob" as UserName;
    const lobby = "#lobby" as GroupId;

    it("sends called while a write runs share one transaction, each answered its own, in call order", async () => {
      const { url } = await freshDatabase();
      const storage = await PgStorage.open(url);
      try {
        await storage.registerUser(alice, new Uint8Array(32).fill(1));
        await storage.createGroup(lobby, "open", alice, undefined);
        const send = (byte: number, sendId?: Uint8Array) => ({
          groupId: lobby,
          sender: alice,
          payload: new Uint8Array([byte]),
          serverTs: byte,
          sendId,
        });
        const id = new Uint8Array(16).fill(7);
        // Not awaited: they join one batch, which the createGroup called after them does not join.
        const calls = [
          storage.appendMessages([send(1)]),
          storage.appendMessages([send(2, id), send(3)]),
          storage.appendMessages([send(4, id)]),
        ];
        const other = storage.createGroup("+team" as GroupId, "invite", alice, undefined);
        const after = storage.appendMessages([send(5)]);
        const [first, second, third] = await Promise.all(calls);
        const created = await other;
        const [last] = await after;
        assert.deepEqual(
          [...first!, ...second!, ...third!].map((result) => [result.kind, result.delivery.payload[0]]),
          [
            ["stored", 1],
            ["stored", 2],
            ["stored", 3],
            ["duplicate", 2],
          ],
        );
        const seqs = [...first!, ...second!].map((result) => result.delivery.seq);
        assert.deepEqual(
          seqs,
          [...seqs].sort((x, y) => x - y),
          "seqs in call order",
        );
        assert.ok(created.kind === "created" && last !== undefined);
        assert.ok(created.seq > seqs.at(-1)! && last.delivery.seq >= created.seq, "the write between keeps its place");
        assert.deepEqual(
          (await storage.fetchSince(alice, 0, 100)).map((delivery) => delivery.payload[0]),
          [1, 2, 3, 5],
        );
      } finally {
        await storage.close();
      }
    });

    it("hands each KeyPackage out once when two nodes claim at the same time", async () => {
      const { url } = await freshDatabase();
      const [a, b] = [await PgStorage.open(url), await PgStorage.open(url)];
      try {
        await a.registerUser(alice, new Uint8Array(32).fill(1));
        const packages = Array.from({ length: 40 }, (_, i) => new Uint8Array([i, i, i]));
        await a.addKeyPackages(alice, packages, new Uint8Array([255]));
        const claims = await Promise.all(
          Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).claimKeyPackage(alice)),
        );
        const regular = claims.filter((claim) => claim !== undefined && claim[0] !== 255).map((c) => c![0]);
        assert.equal(new Set(regular).size, regular.length, "no KeyPackage handed out twice");
        assert.equal(await a.countKeyPackages(alice), 40 - regular.length);
        assert.ok(
          claims.every((claim) => claim !== undefined),
          "the last-resort package when none is left",
        );
      } finally {
        await a.close();
        await b.close();
      }
    });

    it("accepts exactly one commit per epoch whichever node the rivals come through", async () => {
      const { url } = await freshDatabase();
      const [a, b] = [await PgStorage.open(url), await PgStorage.open(url)];
      try {
        await a.registerUser(alice, new Uint8Array(32).fill(1));
        await a.registerUser(bob, new Uint8Array(32).fill(2));
        await a.createGroup(lobby, "open", alice, undefined);
        for (let epoch = 0; epoch < 20; epoch++) {
          const rival = (storage: Storage, sender: UserName) => storage.acceptCommit(commitInput(lobby, epoch, sender));
          const results = await Promise.all([rival(a, alice), rival(b, bob)]);
          assert.deepEqual(results.map((r) => r.kind).sort(), ["accepted", "stale"], `epoch ${epoch}`);
        }
        assert.equal((await b.group(lobby))?.epoch, 20);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it("never lets catch-up skip a lower seq committed after a higher one was read", async () => {
      const { url } = await freshDatabase();
      // Two writing nodes, and a third that reads (a node's reads wait for its own writes).
      const [a, b, reader] = [await PgStorage.open(url), await PgStorage.open(url), await PgStorage.open(url)];
      const control = new pg.Client({ connectionString: url });
      await control.connect();
      try {
        for (const [index, name] of [alice, bob].entries()) await a.registerUser(name, new Uint8Array(32).fill(index));
        await a.createGroup(lobby, "open", alice, undefined);
        const join = await a.acceptCommit(commitInput(lobby, 0, bob, { senderJoins: true }));
        // Test scaffolding in the database: a message from `alice` waits, inside its transaction
        // and after its row (and seq) exists, until the control connection lets it commit.
        await control.query(`
          CREATE FUNCTION hold_alice() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN PERFORM pg_advisory_xact_lock_shared(4242); RETURN NEW; END $$;
          CREATE TRIGGER hold_alice AFTER INSERT ON messages FOR EACH ROW
            WHEN (NEW.sender = 'alice') EXECUTE FUNCTION hold_alice();`);
        await control.query("SELECT pg_advisory_lock(4242)");
        const message = (sender: UserName) => ({ groupId: lobby, sender, payload: new Uint8Array([1]), serverTs: 1 });
        const lower = a.appendMessages([message(alice)]);
        await waitForLockWaiters(control, 1);
        // Node b writes while a's transaction is open. A naive design (a database sequence)
        // gives b the next seq and commits it at once, ahead of a's lower one.
        let higherDone = false;
        const higher = b.appendMessages([message(bob)]).then((results) => {
          higherDone = true;
          return results;
        });
        await Promise.race([higher, waitForLockWaiters(control, 2, () => higherDone)]);
        const higherCommittedFirst = higherDone;
        // A reader (alice's stream has both) catches up now, and keeps its cursor.
        const seen = await reader.fetchSince(alice, 0, 100);
        const cursor = seen.at(-1)?.seq ?? 0;
        await control.query("SELECT pg_advisory_unlock(4242)");
        const [[stored], [storedHigher]] = await Promise.all([lower, higher]);
        assert.ok(stored !== undefined && storedHigher !== undefined);
        const later = await reader.fetchSince(alice, cursor, 100);
        const received = [...seen, ...later].map((delivery) => delivery.seq);
        assert.ok(join.kind === "accepted");
        assert.deepEqual(
          received,
          [join.commit.seq, stored.delivery.seq, storedHigher.delivery.seq].sort((x, y) => x - y),
          `every delivery once, in order (the higher write ${higherCommittedFirst ? "committed" : "waited"} meanwhile; first read saw ${JSON.stringify(seen.map((d) => d.seq))})`,
        );
      } finally {
        await control.end();
        for (const storage of [a, b, reader]) await storage.close();
      }
    });

    it("answers StorageUnavailableError while the database is down, and works again once it is back", async () => {
      const server = await PostgresInstance.start();
      try {
        const url = await server.createDatabase("outage");
        const storage = await PgStorage.open(url);
        try {
          await storage.registerUser(alice, new Uint8Array(32).fill(1));
          await server.stopServer();
          await assert.rejects(storage.registerUser(bob, new Uint8Array(32).fill(2)), StorageUnavailableError);
          await assert.rejects(storage.userKey(alice), StorageUnavailableError);
          const message = { groupId: lobby, sender: alice, payload: new Uint8Array([1]), serverTs: 1 };
          for (let i = 0; i < 2; i++) {
            await assert.rejects(storage.appendMessages([message]), StorageUnavailableError);
          }
          await server.restart();
          assert.equal((await storage.appendMessages([message]))[0]?.kind, "stored", "sends are stored again");
          assert.deepEqual(await storage.registerUser(bob, new Uint8Array(32).fill(2)), { kind: "registered" });
          assert.deepEqual(await storage.userKey(alice), new Uint8Array(32).fill(1));
        } finally {
          await storage.close();
        }
      } finally {
        await server.stop();
      }
    });
  });
});

/** Waits until `count` sessions wait for a lock (the held message, then possibly node b), or `enough`. */
async function waitForLockWaiters(control: pg.Client, count: number, enough = () => false): Promise<void> {
  while (!enough()) {
    const { rows } = await control.query<{ n: string }>("SELECT count(*) AS n FROM pg_locks WHERE NOT granted");
    if (Number(rows[0]?.n ?? 0) >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
