import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SqliteStorage } from "../src/storage/sqlite-storage.js";
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
    cleanup() {
      // closing an already closed SqliteStorage is harmless
      for (const storage of opened) storage.close();
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
