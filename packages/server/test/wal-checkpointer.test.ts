/**
 * BackgroundCheckpointer's fallback, isolated from timing: when the thread reports a log of
 * `restartFrames` or more, the serving connection checkpoints once itself (under sustained
 * writes a background checkpoint never lets the log start over, so without this it would grow
 * for as long as the load lasts). The end-to-end behaviour under load is in sqlite-storage.test.ts.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { BackgroundCheckpointer } from "../src/storage/wal-checkpointer.js";

/** A WAL database whose connection records the pragmas the checkpointer runs on it. */
function servingDatabase(): { file: string; serving: Database.Database; pragmas: string[]; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secure-chat-checkpointer-"));
  const file = path.join(dir, "server.sqlite");
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.exec("CREATE TABLE pages (data BLOB NOT NULL)");
  const pragmas: string[] = [];
  const serving = new Proxy(db, {
    get(target, property, receiver) {
      if (property !== "pragma") return Reflect.get(target, property, receiver) as unknown;
      return (source: string) => {
        pragmas.push(source);
        return target.pragma(source);
      };
    },
  });
  return {
    file,
    serving,
    pragmas,
    cleanup() {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until `done()` holds; fails after `ms` (a deadline against hanging, not a timing claim). */
async function eventually(done: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("BackgroundCheckpointer", () => {
  it("turns SQLite's own checkpoints off, and checkpoints on the serving connection once the log reaches restartFrames", async () => {
    const { file, serving, pragmas, cleanup } = servingDatabase();
    const checkpointer = new BackgroundCheckpointer(file, serving, { intervalMs: 0, restartFrames: 50 });
    try {
      assert.deepEqual(pragmas, ["wal_autocheckpoint = 0"]);
      // ~100 pages of 4 KB in one transaction: the log holds more than 50 frames.
      serving.prepare("INSERT INTO pages (data) VALUES (?)").run(new Uint8Array(400_000));
      checkpointer.afterSync();
      await eventually(
        () => pragmas.includes("wal_checkpoint(PASSIVE)"),
        30_000,
        "the serving connection's own checkpoint",
      );
      assert.equal(pragmas.filter((p) => p === "wal_checkpoint(PASSIVE)").length, 1);
      // The log was copied in full, so the next write starts it over: a small log again.
      serving.prepare("INSERT INTO pages (data) VALUES (?)").run(new Uint8Array(10));
      const [counts] = serving.pragma("wal_checkpoint(PASSIVE)") as { log: number }[];
      assert.ok((counts?.log ?? Infinity) < 50, `the log started over (${counts?.log} frames)`);
    } finally {
      checkpointer.stop();
      cleanup();
    }
  });

  it("leaves the serving connection alone while the log stays under restartFrames", async () => {
    const { file, serving, pragmas, cleanup } = servingDatabase();
    const checkpointer = new BackgroundCheckpointer(file, serving, { intervalMs: 0, restartFrames: 1_000 });
    try {
      serving.prepare("INSERT INTO pages (data) VALUES (?)").run(new Uint8Array(400_000));
      const copied = fs.statSync(file).size;
      checkpointer.afterSync();
      // The thread's checkpoint has copied the log once the database file has grown; its answer
      // follows. A second request is taken only after that answer, so wait for its copy too.
      await eventually(() => fs.statSync(file).size > copied, 30_000, "the thread's checkpoint");
      serving.prepare("INSERT INTO pages (data) VALUES (?)").run(new Uint8Array(400_000));
      const second = fs.statSync(file).size;
      await eventually(
        () => {
          checkpointer.afterSync();
          return fs.statSync(file).size > second;
        },
        30_000,
        "a second checkpoint by the thread",
      );
      assert.deepEqual(pragmas, ["wal_autocheckpoint = 0"]);
    } finally {
      checkpointer.stop();
      cleanup();
    }
  });
});
