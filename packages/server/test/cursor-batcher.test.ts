import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { UserName } from "@secure-chat/protocol";
import { CursorBatcher } from "../src/services/cursor-batcher.js";
import { StorageFullError, type Storage } from "../src/storage/storage.js";
import { silentLog } from "./fakes.js";

const alice = "alice" as UserName;
const bob = "bob" as UserName;

/** A storage whose cursor writes fail while `full` is set; what it wrote is in `written`. */
function cursorStorage(): { storage: Storage; written: Map<UserName, number>; state: { full: boolean } } {
  const written = new Map<UserName, number>();
  const state = { full: false };
  const storage = {
    cursor: async (name: UserName) => written.get(name) ?? 0,
    async setCursors(cursors: ReadonlyMap<UserName, number>) {
      if (state.full) throw new StorageFullError(new Error("SQLITE_FULL"));
      for (const [name, seq] of cursors) written.set(name, Math.max(written.get(name) ?? 0, seq));
    },
  } as Partial<Storage> as Storage;
  return { storage, written, state };
}

describe("CursorBatcher", () => {
  it("keeps the cursors of a write that failed (a full disk) and writes them, the newest, once it can", async () => {
    const { storage, written, state } = cursorStorage();
    const warnings: string[] = [];
    const batcher = new CursorBatcher(storage, { ...silentLog, warn: (event) => warnings.push(event) }, 3_600_000);
    try {
      batcher.acknowledge(alice, 5);
      batcher.acknowledge(bob, 3);
      state.full = true;
      await assert.doesNotReject(batcher.flush());
      batcher.acknowledge(alice, 7); // newer than the one kept
      await batcher.flush();
      assert.deepEqual(warnings, ["cursor_write_failed"], "logged once per outage");
      assert.equal(written.size, 0);
      assert.equal(await batcher.cursor(alice), 7, "the newest acknowledgement still counts");
      state.full = false;
      await batcher.flush();
      assert.deepEqual(
        [...written],
        [
          [alice, 7],
          [bob, 3],
        ],
      );
    } finally {
      await batcher.close();
    }
  });
});
