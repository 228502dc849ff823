import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import type Database from "better-sqlite3";
import { storeContract } from "@secure-chat/client/testing";
import { SqliteClientStore } from "../src/store/sqlite-store.js";

const PASSPHRASE = "correct horse battery staple";

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
