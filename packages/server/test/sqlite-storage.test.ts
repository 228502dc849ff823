import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { deliveryKinds, type GroupId, type UserName } from "@secure-chat/protocol";
import { SqliteStorage } from "../src/storage/sqlite-storage.js";
import { StorageFullError } from "../src/storage/storage.js";
import { storageContract } from "./storage-contract.js";

storageContract("SqliteStorage", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secure-chat-storage-"));
  const file = path.join(dir, "server.sqlite");
  const opened = [new SqliteStorage(file)];
  return {
    storage: opened[0] as SqliteStorage,
    reopen() {
      const storage = new SqliteStorage(file);
      opened.push(storage);
      return storage;
    },
    async cleanup() {
      // closing an already closed SqliteStorage is harmless
      for (const storage of opened) await storage.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe("SqliteStorage without a write-ahead log", () => {
  it("refuses to open, since it could not make acknowledged writes durable", () => {
    // An in-memory database reports journal_mode=memory: there is no log to sync.
    assert.throws(() => new SqliteStorage(":memory:"), /cannot use SQLite's WAL mode/);
  });
});

describe("SqliteStorage on a database made by an earlier version", () => {
  it("drops the per-group message index, which no query uses", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secure-chat-storage-"));
    const file = path.join(dir, "server.sqlite");
    try {
      const first = new SqliteStorage(file);
      await first.close();
      const raw = new Database(file);
      raw.exec("CREATE INDEX messages_by_group ON messages(group_id, seq)");
      raw.close();
      const reopened = new SqliteStorage(file);
      await reopened.close();
      const check = new Database(file, { readonly: true });
      const indexes = check.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all() as { name: string }[];
      check.close();
      assert.ok(indexes.length > 0);
      assert.ok(!indexes.some((index) => index.name === "messages_by_group"), JSON.stringify(indexes));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("SqliteStorage on a database made before name skeletons were kept", () => {
  it("gives every earlier name its skeleton: look-alikes among them stay, new look-alikes are refused", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secure-chat-storage-"));
    const file = path.join(dir, "server.sqlite");
    const keys = new Map(
      ["alice", "a1ice", "carol"].map((name, index) => [name as UserName, new Uint8Array(32).fill(index + 1)]),
    );
    try {
      const first = new SqliteStorage(file);
      await first.registerUser("dave" as UserName, new Uint8Array(32).fill(4));
      assert.equal(await first.releaseName("dave" as UserName), "released");
      await first.close();
      // An earlier version's database: no skeleton table, so alice and a1ice could both register.
      const raw = new Database(file);
      raw.exec("DROP TABLE name_skeletons");
      const insert = raw.prepare("INSERT INTO users (name, public_key) VALUES (?, ?)");
      for (const [name, publicKey] of keys) insert.run(name, publicKey);
      raw.close();

      const storage = new SqliteStorage(file);
      try {
        for (const [name, publicKey] of keys)
          assert.deepEqual(await storage.registerUser(name, publicKey), { kind: "known" });
        const refused = await storage.registerUser("al1ce" as UserName, new Uint8Array(32));
        assert.equal(refused.kind, "confusable");
        assert.ok(refused.kind === "confusable" && ["alice", "a1ice"].includes(refused.lookalike), refused.lookalike);
        assert.deepEqual(await storage.registerUser("clave" as UserName, new Uint8Array(32)), {
          kind: "confusable",
          lookalike: "dave",
        });
        // A name released before the upgrade comes back; so does a look-alike registered before it.
        assert.deepEqual(await storage.registerUser("dave" as UserName, new Uint8Array(32).fill(5)), {
          kind: "registered",
        });
        assert.equal(await storage.releaseName("a1ice" as UserName), "released");
        assert.deepEqual(await storage.registerUser("a1ice" as UserName, new Uint8Array(32).fill(6)), {
          kind: "registered",
        });
      } finally {
        await storage.close();
      }
      const check = new Database(file, { readonly: true });
      const plan = check
        .prepare("EXPLAIN QUERY PLAN SELECT name FROM name_skeletons WHERE skeleton = ? AND name <> ?")
        .all("x", "y") as { detail: string }[];
      check.close();
      assert.ok(
        plan.some((step) => step.detail.includes("name_skeletons_by_skeleton")),
        `the look-alike check is indexed: ${JSON.stringify(plan)}`,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("SqliteStorage on a database made before room names were kept", () => {
  it("gives its rooms their skeletons, so a look-alike of an earlier room is refused", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secure-chat-storage-"));
    const file = path.join(dir, "server.sqlite");
    const alice = "alice" as UserName;
    try {
      const first = new SqliteStorage(file);
      await first.registerUser(alice, new Uint8Array(32).fill(1));
      await first.createGroup("+team" as GroupId, "invite", alice, undefined);
      await first.createGroup("@alice@bob" as GroupId, "direct", alice, undefined);
      await first.close();
      const raw = new Database(file);
      raw.exec("DROP TABLE room_names");
      raw.close();
      const storage = new SqliteStorage(file);
      try {
        assert.deepEqual(await storage.createGroup("#tearn" as GroupId, "open", alice, undefined), {
          kind: "confusable",
          lookalike: "+team",
        });
      } finally {
        await storage.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("SqliteStorage stores a Welcome once, whoever it adds", () => {
  const team = "+team" as GroupId;
  const alice = "alice" as UserName;
  const welcomeOf = (size: number, fill: number) => new Uint8Array(size).fill(fill);
  async function addMembers(
    storage: SqliteStorage,
    epoch: number,
    added: UserName[],
    welcome: Uint8Array,
    serverTs: number,
  ) {
    for (const name of added) await storage.registerUser(name, new Uint8Array(32).fill(added.indexOf(name) + 2));
    const result = await storage.acceptCommit({
      groupId: team,
      epoch,
      sender: alice,
      senderJoins: false,
      commit: new Uint8Array(100),
      groupInfo: undefined,
      welcome,
      added,
      removed: [],
      serverTs,
    });
    assert.equal(result.kind, "accepted");
  }
  async function withStorage(body: (storage: SqliteStorage, file: string) => Promise<void>): Promise<void> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secure-chat-storage-"));
    const file = path.join(dir, "server.sqlite");
    const storage = new SqliteStorage(file);
    try {
      await storage.registerUser(alice, new Uint8Array(32).fill(1));
      assert.equal((await storage.createGroup(team, "invite", alice, undefined)).kind, "created");
      await body(storage, file);
    } finally {
      await storage.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const bytesOnDisk = (file: string) => fs.statSync(file).size + fs.statSync(`${file}-wal`).size;

  it("a 1 MiB Welcome to 40 members grows the files by about 1 MiB, and each member fetches it whole", async () => {
    await withStorage(async (storage, file) => {
      const before = bytesOnDisk(file);
      const added = Array.from({ length: 40 }, (_, index) => `member${index}` as UserName);
      const welcome = welcomeOf(1 << 20, 7);
      await addMembers(storage, 0, added, welcome, 1000);
      const grown = bytesOnDisk(file) - before;
      assert.ok(grown < 2 << 20, `the files grew by ${grown} bytes, not once per member`);
      for (const name of added) {
        const [delivery] = await storage.fetchSince(name, 0, 10);
        assert.equal(delivery?.kind, "welcome");
        assert.deepEqual(delivery?.payload, welcome, `${name} gets the whole Welcome`);
      }
    });
  });

  it("retention frees a Welcome once no delivery of it is left, and keeps the later ones", async () => {
    await withStorage(async (storage, file) => {
      await addMembers(storage, 0, ["bob", "carol"] as UserName[], welcomeOf(5000, 1), 1000);
      await addMembers(storage, 1, ["dave"] as UserName[], welcomeOf(5000, 2), 2000);
      assert.ok((await storage.pruneDeliveries(1500, 100)) > 0);
      const check = new Database(file, { readonly: true });
      const kept = check.prepare("SELECT count(*) AS n FROM shared_payloads").get() as { n: number };
      check.close();
      assert.equal(kept.n, 1, "only dave's Welcome is still referenced");
      assert.deepEqual((await storage.fetchSince("dave" as UserName, 0, 10))[0]?.payload, welcomeOf(5000, 2));
      const bobs = (await storage.fetchSince("bob" as UserName, 0, 10)).map((delivery) => delivery.kind);
      assert.deepEqual(bobs, ["commit"], "bob's Welcome is gone; the later commit is his");
      assert.ok((await storage.pruneDeliveries(3000, 100)) > 0);
      const after = new Database(file, { readonly: true });
      const left = after.prepare("SELECT count(*) AS n FROM shared_payloads").get() as { n: number };
      after.close();
      assert.equal(left.n, 0);
    });
  });

  it("opens a database made before Welcomes were shared: old deliveries stay, new ones share", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secure-chat-storage-"));
    const file = path.join(dir, "server.sqlite");
    try {
      const first = new SqliteStorage(file);
      await first.close();
      // An earlier version's messages table: no shared_payload column, every Welcome in its row.
      const raw = new Database(file);
      raw.exec("DROP INDEX messages_by_shared_payload; DROP TABLE shared_payloads");
      raw.exec("ALTER TABLE messages DROP COLUMN shared_payload");
      raw
        .prepare(
          "INSERT INTO messages (group_id, recipient, sender, kind, server_ts, payload) VALUES ('+old', 'bob', 'alice', ?, 1, ?)",
        )
        .run(deliveryKinds.welcome, Buffer.from([9, 9, 9]));
      raw.close();
      const storage = new SqliteStorage(file);
      try {
        assert.deepEqual((await storage.fetchSince("bob" as UserName, 0, 10))[0]?.payload, new Uint8Array([9, 9, 9]));
        await storage.registerUser(alice, new Uint8Array(32).fill(1));
        assert.equal((await storage.createGroup(team, "invite", alice, undefined)).kind, "created");
        await addMembers(storage, 0, ["carol"] as UserName[], welcomeOf(10, 3), 1000);
        assert.deepEqual((await storage.fetchSince("carol" as UserName, 0, 10))[0]?.payload, welcomeOf(10, 3));
      } finally {
        await storage.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("SqliteStorage checkpoints on a thread of its own", () => {
  it("copies the log into the database file while writes go on, and the log starts over", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secure-chat-storage-"));
    const file = path.join(dir, "server.sqlite");
    const storage = new SqliteStorage(file, { intervalMs: 0, restartFrames: 200 });
    try {
      const alice = "alice" as UserName;
      const room = "#checkpoints" as GroupId;
      await storage.registerUser(alice, new Uint8Array(32).fill(1));
      await storage.createGroup(room, "open", alice, new Uint8Array(8));
      const emptyDatabase = fs.statSync(file).size;
      const rounds = 300;
      const perRound = 20;
      const payload = new Uint8Array(1_000).fill(9);
      for (let round = 0; round < rounds; round++) {
        await storage.appendMessages(
          Array.from({ length: perRound }, () => ({ groupId: room, sender: alice, payload, serverTs: round })),
        );
        await storage.sync();
        // A busy machine may starve the checkpoint thread; give it a moment now and then.
        if (round % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      // The serving connection never checkpoints by itself: only the thread grows the file.
      assert.ok(fs.statSync(file).size > emptyDatabase + 1_000_000, "the database file received the log's pages");
      // Without starting over, the log would hold every page written: more than the payloads.
      // (Whether the serving connection's own checkpoint at 4,000 frames is needed depends on
      // timing: here the pauses let background checkpoints finish between writes. That
      // fallback is tested apart, without timing, in wal-checkpointer.test.ts.)
      const written = rounds * perRound * payload.length;
      const log = fs.statSync(`${file}-wal`).size;
      assert.ok(log < written, `the log started over (${log} bytes for ${written} written)`);
      assert.equal((await storage.fetchSince(alice, 0, 10_000)).length, rounds * perRound);
    } finally {
      await storage.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("SqliteStorage on a full disk", () => {
  it("refuses a write with StorageFullError, stores none of it, and writes again once there is room", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secure-chat-storage-"));
    const storage = new SqliteStorage(path.join(dir, "server.sqlite"));
    try {
      const alice = "alice" as UserName;
      const room = "#full" as GroupId;
      await storage.registerUser(alice, new Uint8Array(32).fill(1));
      await storage.createGroup(room, "open", alice, new Uint8Array(8));
      const message = (fill: number) => ({
        groupId: room,
        sender: alice,
        payload: new Uint8Array(20_000), // more than a page: the database must grow
        serverTs: 1,
        sendId: new Uint8Array(16).fill(fill),
      });
      // SQLite answers a database at its size limit as it answers a full disk (SQLITE_FULL).
      const db = (storage as unknown as { db: Database.Database }).db;
      db.pragma(`max_page_count = ${String(db.pragma("page_count", { simple: true }))}`);
      await assert.rejects(storage.appendMessages([message(1), message(2)]), StorageFullError);
      assert.deepEqual(await storage.fetchSince(alice, 0, 10), [], "none of the refused batch was stored");

      db.pragma("max_page_count = 1073741823");
      const stored = await storage.appendMessages([message(1), message(2)]);
      assert.deepEqual(
        stored.map((result) => result.kind),
        ["stored", "stored"],
      );
      assert.equal((await storage.fetchSince(alice, 0, 10)).length, 2);
    } finally {
      await storage.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("SqliteStorage and the process", () => {
  it("does not keep a process alive: one that opens a storage and never closes it exits", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secure-chat-storage-"));
    try {
      const module = new URL("../src/storage/sqlite-storage.js", import.meta.url).href;
      const script = path.join(dir, "open.mjs");
      fs.writeFileSync(
        script,
        `import { SqliteStorage } from ${JSON.stringify(module)};\n` +
          `new SqliteStorage(${JSON.stringify(path.join(dir, "server.sqlite"))});\n`,
      );
      // The deadline only bounds a hang; the process normally ends at once.
      const result = spawnSync(process.execPath, [script], { timeout: 30_000 });
      assert.equal(result.signal, null, "it had to be killed: something kept it alive");
      assert.equal(result.status, 0, String(result.stderr));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("SqliteStorage health", () => {
  it("ping fails with a reason, naming no path, once the database file is removed or replaced", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secure-chat-storage-"));
    const file = path.join(dir, "server.sqlite");
    const storage = new SqliteStorage(file);
    try {
      await storage.ping();
      fs.renameSync(file, `${file}.moved`);
      await assert.rejects(storage.ping(), (error: Error) => {
        assert.match(error.message, /removed while the server runs/);
        assert.ok(!error.message.includes(dir), "the reason goes to whoever asks /healthz: no path in it");
        return true;
      });
      fs.writeFileSync(file, "");
      await assert.rejects(storage.ping(), /replaced while the server runs/);
      fs.rmSync(file);
      fs.renameSync(`${file}.moved`, file);
      await storage.ping();
    } finally {
      await storage.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
