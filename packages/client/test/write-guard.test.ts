import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import type Database from "better-sqlite3";
import type { GroupId, UserName } from "@secure-chat/protocol";
import type { ClientError } from "../src/errors.js";
import { SqliteClientStore } from "../src/store/sqlite-store.js";
import type { ClientStore } from "../src/store/store.js";
import { guardWrites, storeAccess } from "../src/store/write-guard.js";

const alice = "alice" as UserName;
const room = "#lobby" as GroupId;

/** One call of each store method, with arguments it accepts. */
const calls: { [M in keyof ClientStore]: (store: ClientStore) => unknown } = {
  identity: (s) => s.identity(),
  saveIdentity: (s) =>
    s.saveIdentity({ name: alice, secretKey: new Uint8Array(32), publicKey: new Uint8Array(32), server: "ws://x" }),
  groups: (s) => s.groups(),
  cursor: (s) => s.cursor(),
  apply: (s) => s.apply({ cursor: 1 }),
  keyPackages: (s) => s.keyPackages(),
  addKeyPackages: (s) =>
    s.addKeyPackages([
      {
        ref: new Uint8Array(32).fill(1),
        publicPackage: new Uint8Array(8),
        initPrivateKey: new Uint8Array(32),
        hpkePrivateKey: new Uint8Array(32),
        lastResort: false,
      },
    ]),
  pinnedKey: (s) => s.pinnedKey(alice),
  pin: (s) => s.pin(alice, new Uint8Array(32)),
  history: (s) => s.history(room, 10),
  hasMessage: (s) => s.hasMessage(room, "id"),
  nextOutbox: (s) => s.nextOutbox(),
  outboxSize: (s) => s.outboxSize(),
  addOutbox: (s) => s.addOutbox({ room, sendId: new Uint8Array(16), id: "id", sentAt: 1, text: "hi" }),
  close: () => undefined, // closing is neither: it ends every later call
};

function withStore(run: (store: SqliteClientStore, db: Database.Database) => void): void {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "secure-chat-guard-"));
  const store = new SqliteClientStore(home, "correct horse battery staple");
  try {
    run(store, (store as unknown as { db: Database.Database }).db);
  } finally {
    store.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

describe("guardWrites", () => {
  it("knows every method that writes: exactly those fail on a read-only database", () => {
    withStore((store, db) => {
      db.pragma("query_only = ON");
      for (const [method, call] of Object.entries(calls) as [keyof ClientStore, (s: ClientStore) => unknown][]) {
        let writes = false;
        try {
          call(store);
        } catch {
          writes = true;
        }
        assert.equal(storeAccess[method], writes ? "write" : "read", method);
      }
    });
  });

  it("reports a failed write and throws it on; refuses every write while halted, without touching the store", () => {
    withStore((store, db) => {
      let halted = false;
      const reported: unknown[] = [];
      const guarded = guardWrites(store, { failed: (error) => reported.push(error), halted: () => halted });
      guarded.apply({ cursor: 1 });
      db.pragma("query_only = ON");
      assert.throws(() => guarded.apply({ cursor: 2 }));
      assert.equal(reported.length, 1, "the failed write is reported");
      assert.equal(guarded.cursor(), 1, "reads go through");

      db.pragma("query_only = OFF");
      halted = true;
      for (const [method, call] of Object.entries(calls) as [keyof ClientStore, (s: ClientStore) => unknown][]) {
        if (storeAccess[method] !== "write") continue;
        assert.throws(
          () => call(guarded),
          (error: unknown) => (error as ClientError).code === "RELOADING",
          method,
        );
      }
      assert.equal(store.cursor(), 1, "nothing reached the store while halted");
      assert.equal(store.outboxSize(), 0);
      assert.equal(reported.length, 1, "refusals are not failures");
    });
  });
});
