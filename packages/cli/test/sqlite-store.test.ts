import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import type { HistoryEntry } from "@secure-chat/client";
import { storeContract } from "@secure-chat/client/testing";
import type { GroupId, UserName } from "@secure-chat/protocol";
import { SqliteClientStore } from "../src/store/sqlite-store.js";

const PASSPHRASE = "correct horse battery staple";

/** A stand-in plaintext that starts as MIMI content does (a CBOR array of 7). */
const mimiLike = (n: number): Uint8Array => Uint8Array.from([0x87, n]);

function tempHome(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "secure-chat-store-"));
}

storeContract("SQLite", async () => {
  const home = tempHome();
  let store = new SqliteClientStore(home, PASSPHRASE);
  return {
    store,
    async reopen() {
      await store.close();
      store = new SqliteClientStore(home, PASSPHRASE);
      return store;
    },
    failWrites() {
      // A read-only connection fails every write the way a full disk does: inside the transaction.
      (store as unknown as { db: Database.Database }).db.pragma("query_only = ON");
    },
    async cleanup() {
      await store.close().catch(() => undefined);
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
});

describe("SQLite store", () => {
  it("refuses a wrong passphrase with BAD_PASSPHRASE and a damaged file with STATE_CORRUPT", async () => {
    const home = tempHome();
    try {
      await new SqliteClientStore(home, PASSPHRASE).close();
      assert.throws(
        () => new SqliteClientStore(home, "wrong"),
        (error: unknown) => (error as { code?: string }).code === "BAD_PASSPHRASE",
      );
      fs.writeFileSync(path.join(home, "client.db"), "not a database at all, just some text that is long enough");
      assert.throws(
        () => new SqliteClientStore(home, PASSPHRASE),
        (error: unknown) => (error as { code?: string }).code === "STATE_CORRUPT",
      );
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});

/** Opens client.db in `home` without the passphrase, as anyone who can write the file could. */
function tamper(home: string, edit: (db: Database.Database) => void): void {
  const db = new Database(path.join(home, "client.db"));
  try {
    edit(db);
  } finally {
    db.close();
  }
}

/** Exchanges `column` between the two rows of `table`. */
function swap(db: Database.Database, table: string, column: string, key: string): void {
  const rows = db.prepare(`SELECT ${key} AS key, ${column} AS value FROM ${table}`).all() as {
    key: unknown;
    value: Buffer;
  }[];
  assert.equal(rows.length, 2);
  const update = db.prepare(`UPDATE ${table} SET ${column} = ? WHERE ${key} = ?`);
  update.run(rows[1]?.value, rows[0]?.key);
  update.run(rows[0]?.value, rows[1]?.key);
}

function copyHome(home: string): string {
  const copy = tempHome();
  fs.cpSync(home, copy, { recursive: true });
  return copy;
}

const isStateCorrupt =
  (message: RegExp) =>
  (error: unknown): boolean => {
    assert.equal((error as { code?: string }).code, "STATE_CORRUPT", String(error));
    assert.match((error as Error).message, message);
    assert.doesNotMatch((error as Error).message, /\n/, "one line");
    return true;
  };

const alice = "alice" as UserName;
const bob = "bob" as UserName;
const carol = "carol" as UserName;
const lobby = "#lobby" as GroupId;
const team = "+team" as GroupId;
const fill = (value: number, length = 32): Uint8Array => new Uint8Array(length).fill(value);

function entry(room: GroupId, id: string, from: UserName, seq: number): HistoryEntry {
  return { room, id, from, text: `${from} wrote ${id}`, sentAt: seq * 10, serverTs: seq * 100, seq };
}

describe("SQLite store: a file altered without the passphrase", () => {
  let original: string;
  /** What an attacker could have kept from an earlier copy of the file. */
  let earlier: { lobbyState: Buffer; integrity: { digests: string; mac: Buffer } };

  before(async () => {
    original = tempHome();
    const store = new SqliteClientStore(original, PASSPHRASE);
    await store.saveIdentity({ name: alice, secretKey: fill(1), publicKey: fill(2), server: "ws://127.0.0.1:7447" });
    await store.apply({
      groups: [
        { groupId: lobby, state: fill(3, 300), pending: null },
        { groupId: team, state: fill(4, 300), pending: fill(5, 100) },
      ],
      messages: [entry(lobby, "a", bob, 1), entry(lobby, "b", carol, 2), entry("@alice@bob" as GroupId, "c", bob, 3)],
      cursor: 3,
    });
    await store.addKeyPackages([
      { ref: fill(6), publicPackage: fill(7, 64), initPrivateKey: fill(8), hpkePrivateKey: fill(9), lastResort: false },
      {
        ref: fill(10),
        publicPackage: fill(11, 64),
        initPrivateKey: fill(12),
        hpkePrivateKey: fill(13),
        lastResort: true,
      },
    ]);
    await store.pin(bob, fill(14));
    await store.pin(carol, fill(15));
    await store.setTrusted(carol, false);
    const queued = await store.addOutbox({
      room: lobby,
      sendId: fill(16, 16),
      id: "o1",
      sentAt: 40,
      content: mimiLike(1),
    });
    await store.addOutbox({ room: team, sendId: fill(17, 16), id: "o2", sentAt: 41, content: mimiLike(2) });
    await store.apply({ outboxCiphertext: { localId: queued, ciphertext: fill(18, 64) } });
    const reader = new Database(path.join(original, "client.db"), { readonly: true });
    earlier = {
      lobbyState: (reader.prepare("SELECT state FROM groups WHERE group_id = '#lobby'").get() as { state: Buffer })
        .state,
      integrity: reader.prepare("SELECT digests, mac FROM integrity").get() as { digests: string; mac: Buffer },
    };
    reader.close();
    await store.apply({ groups: [{ groupId: lobby, state: fill(19, 300), pending: null }], cursor: 9 });
    await store.close();
  });

  after(() => fs.rmSync(original, { recursive: true, force: true }));

  const withCopy = async (edit: (db: Database.Database) => void, body: (home: string) => Promise<void>) => {
    const home = copyHome(original);
    try {
      tamper(home, edit);
      await body(home);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  };

  it("opens an untouched copy, and reads everything (the control for the cases below)", () =>
    withCopy(
      () => undefined,
      async (home) => {
        const store = new SqliteClientStore(home, PASSPHRASE);
        try {
          assert.equal((await store.identity())?.server, "ws://127.0.0.1:7447");
          assert.deepEqual((await store.groups()).map((g) => g.groupId).sort(), [lobby, team].sort());
          assert.equal(await store.cursor(), 9);
          assert.equal((await store.keyPackages()).length, 2);
          assert.deepEqual(await store.untrustedNames(), [carol]);
          assert.deepEqual(
            (await store.history(lobby, 10)).map((m) => `${m.from}: ${m.text}`),
            ["bob: bob wrote a", "carol: carol wrote b"],
          );
          assert.deepEqual((await store.nextOutbox())?.content, mimiLike(1));
        } finally {
          await store.close();
        }
      },
    ));

  const refusedAtOpen: [string, (db: Database.Database) => void, RegExp][] = [
    ["a pin deleted", (db) => db.exec("DELETE FROM pins WHERE name = 'bob'"), /the pinned keys changed/],
    [
      "a pinned key replaced",
      (db) => db.exec("UPDATE pins SET public_key = zeroblob(32) WHERE name = 'bob'"),
      /pinned keys/,
    ],
    [
      "a pin added",
      (db) => db.exec("INSERT INTO pins (name, public_key) VALUES ('dave', zeroblob(32))"),
      /pinned keys/,
    ],
    [
      "a changed key trusted by hand",
      (db) => db.exec("DELETE FROM untrusted"),
      /names whose new key is not trusted yet/,
    ],
    ["the cursor moved back", (db) => db.exec("UPDATE meta SET value = 1"), /the delivery cursor changed/],
    ["the cursor deleted", (db) => db.exec("DELETE FROM meta"), /delivery cursor/],
    ["a group deleted", (db) => db.exec("DELETE FROM groups WHERE group_id = '+team'"), /the rooms' group states/],
    ["two groups' states swapped", (db) => swap(db, "groups", "state", "group_id"), /group states/],
    ["a pending commit dropped", (db) => db.exec("UPDATE groups SET pending = NULL"), /group states/],
    [
      "an older copy of a group's state put back",
      (db) => db.prepare("UPDATE groups SET state = ? WHERE group_id = '#lobby'").run(earlier.lobbyState),
      /group states/,
    ],
    [
      "the identity's server edited",
      (db) => db.exec("UPDATE identity SET server = 'ws://evil'"),
      /the identity changed/,
    ],
    ["the identity deleted", (db) => db.exec("DELETE FROM identity"), /the identity changed/],
    ["a KeyPackage deleted", (db) => db.exec("DELETE FROM key_packages WHERE last_resort = 1"), /the KeyPackages/],
    ["a KeyPackage made last-resort", (db) => db.exec("UPDATE key_packages SET last_resort = 1"), /KeyPackages/],
    ["the integrity record deleted", (db) => db.exec("DELETE FROM integrity"), /integrity record is missing/],
    [
      "the integrity record's MAC edited",
      (db) => db.exec("UPDATE integrity SET mac = zeroblob(32)"),
      /integrity record does not authenticate/,
    ],
    [
      "an earlier integrity record put back",
      (db) =>
        db.prepare("UPDATE integrity SET digests = ?, mac = ?").run(earlier.integrity.digests, earlier.integrity.mac),
      /the rooms' group states, the delivery cursor changed/,
    ],
    [
      "a queued message deleted",
      (db) => db.exec("DELETE FROM outbox WHERE id = 'o1'"),
      /the messages waiting to be sent changed/,
    ],
    [
      "the texts of two queued messages swapped",
      (db) => swap(db, "outbox", "text", "local_id"),
      /messages waiting to be sent/,
    ],
    ["a queued message sent to another room", (db) => db.exec("UPDATE outbox SET room = '+team'"), /messages waiting/],
    [
      "a queued message's MLS ciphertext moved to another queued message",
      (db) => {
        db.exec("UPDATE outbox SET ciphertext = (SELECT ciphertext FROM outbox WHERE id = 'o1') WHERE id = 'o2'");
        db.exec("DELETE FROM outbox WHERE id = 'o1'");
      },
      /messages waiting/,
    ],
    ["the salt deleted", (db) => db.exec("DELETE FROM sealing"), /holds saved state \(identity\) but not the salt/],
  ];
  for (const [what, edit, message] of refusedAtOpen) {
    it(`refuses to open a file with ${what}: STATE_CORRUPT`, () =>
      withCopy(edit, async (home) => {
        assert.throws(() => new SqliteClientStore(home, PASSPHRASE), isStateCorrupt(message));
      }));
  }

  const refusedAtRead: [
    string,
    (db: Database.Database) => void,
    (store: SqliteClientStore) => Promise<unknown>,
    RegExp,
  ][] = [
    [
      "a message's sealed text moved to another message",
      (db) => db.exec("UPDATE history SET text = (SELECT text FROM history WHERE id = 'c') WHERE id = 'a'"),
      (store) => store.history(lobby, 10),
      /a saved message in #lobby does not authenticate/,
    ],
    [
      "a private message relabelled as carol's in #lobby",
      (db) => db.exec("UPDATE history SET room = '#lobby', sender = 'carol' WHERE id = 'c'"),
      (store) => store.history(lobby, 10),
      /a saved message in #lobby does not authenticate/,
    ],
    [
      "a message's sender edited",
      (db) => db.exec("UPDATE history SET sender = 'carol' WHERE id = 'a'"),
      (store) => store.history(lobby, 10),
      /#lobby/,
    ],
    [
      "a message's time edited",
      (db) => db.exec("UPDATE history SET server_ts = server_ts + 3600000 WHERE id = 'a'"),
      (store) => store.history(lobby, 10),
      /#lobby/,
    ],
  ];
  for (const [what, edit, read, message] of refusedAtRead) {
    it(`refuses to read ${what}: STATE_CORRUPT`, () =>
      withCopy(edit, async (home) => {
        const store = new SqliteClientStore(home, PASSPHRASE);
        try {
          await assert.rejects(read(store), isStateCorrupt(message));
        } finally {
          await store.close();
        }
      }));
  }
});

describe("SQLite store: a file from before row binding (format 1)", () => {
  // Written by SqliteClientStore at commit 26df41f (sealed fields bound to `table.column` only,
  // nothing else authenticated) with the values checked below.
  const fixture = fileURLToPath(new URL("../../test/fixtures/client-format1.db", import.meta.url));
  const withFixture = async (body: (home: string) => Promise<void>) => {
    const home = tempHome();
    try {
      fs.copyFileSync(fixture, path.join(home, "client.db"));
      await body(home);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  };
  const raw = (home: string, sql: string): unknown => {
    const db = new Database(path.join(home, "client.db"), { readonly: true });
    try {
      return db.prepare(sql).get();
    } finally {
      db.close();
    }
  };
  const dm = "@alice@bob" as GroupId;

  it("opens with its passphrase, reads as before, and is sealed again bound to its rows", () =>
    withFixture(async (home) => {
      const checkBefore = raw(home, "SELECT check_value FROM sealing");
      let store = new SqliteClientStore(home, PASSPHRASE);
      try {
        assert.deepEqual(await store.identity(), {
          name: alice,
          secretKey: fill(1),
          publicKey: fill(2),
          server: "ws://127.0.0.1:7447",
        });
        const groups = (await store.groups()).sort((x, y) => (x.groupId < y.groupId ? -1 : 1));
        assert.deepEqual(groups, [
          { groupId: lobby, state: fill(3, 300), pending: undefined },
          { groupId: dm, state: fill(4, 200), pending: fill(5, 100) },
        ]);
        assert.equal(await store.cursor(), 42);
        assert.deepEqual(
          (await store.keyPackages()).map((kp) => [
            kp.ref[0],
            kp.initPrivateKey[0],
            kp.hpkePrivateKey[0],
            kp.lastResort,
          ]),
          [
            [6, 8, 9, false],
            [10, 12, 13, true],
          ],
        );
        assert.deepEqual(await store.pinnedKey(bob), fill(14));
        assert.deepEqual(await store.untrustedNames(), [carol]);
        assert.deepEqual(
          (await store.history(lobby, 10)).map((m) => [m.from, m.text]),
          [["carol", "hello lobby"]],
        );
        assert.deepEqual(
          (await store.history(dm, 10)).map((m) => [m.from, m.text]),
          [["bob", "a private word"]],
        );
        assert.deepEqual(await store.nextOutbox(), {
          localId: 1,
          room: lobby,
          sendId: fill(16, 16),
          id: "m3",
          sentAt: 30,
          // Saved as text before MIMI content: it goes out as the version 1 plaintext it was.
          content: new TextEncoder().encode(JSON.stringify({ v: 1, id: "m3", sentAt: 30, text: "waiting, encrypted" })),
          ciphertext: fill(18, 64),
        });
      } finally {
        await store.close();
      }
      assert.notDeepEqual(raw(home, "SELECT check_value FROM sealing"), checkBefore, "the check value is format 2");
      // Opened again: format 2 now, nothing left to migrate.
      store = new SqliteClientStore(home, PASSPHRASE);
      assert.equal((await store.history(dm, 10)).length, 1);
      await store.close();
      // And its values are bound to their rows now: the relabelling format 1 could not tell is refused.
      tamper(home, (db) => db.exec("UPDATE history SET room = '#lobby', sender = 'mallory' WHERE room = '@alice@bob'"));
      store = new SqliteClientStore(home, PASSPHRASE);
      try {
        await assert.rejects(store.history(lobby, 10), isStateCorrupt(/a saved message in #lobby/));
      } finally {
        await store.close();
      }
    }));

  it("refuses a wrong passphrase with BAD_PASSPHRASE, changing nothing", () =>
    withFixture(async (home) => {
      const before = raw(home, "SELECT check_value FROM sealing");
      assert.throws(
        () => new SqliteClientStore(home, "not the passphrase"),
        (error: unknown) => (error as { code?: string }).code === "BAD_PASSPHRASE",
      );
      assert.deepEqual(raw(home, "SELECT check_value FROM sealing"), before);
    }));

  it("refuses a damaged value with STATE_CORRUPT, and leaves the file as it was (one transaction)", () =>
    withFixture(async (home) => {
      tamper(home, (db) => db.exec("UPDATE history SET text = zeroblob(40) WHERE room = '@alice@bob'"));
      const before = raw(home, "SELECT check_value FROM sealing");
      const lobbyText = raw(home, "SELECT text FROM history WHERE room = '#lobby'");
      assert.throws(() => new SqliteClientStore(home, PASSPHRASE), isStateCorrupt(/a saved message in @alice@bob/));
      assert.deepEqual(raw(home, "SELECT check_value FROM sealing"), before);
      assert.deepEqual(raw(home, "SELECT text FROM history WHERE room = '#lobby'"), lobbyText);
      assert.equal(raw(home, "SELECT * FROM integrity"), undefined);
    }));
});
