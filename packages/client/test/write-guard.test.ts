import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ClientError } from "../src/errors.js";
import { MemoryClientStore } from "../src/store/memory-store.js";
import type { ClientStore } from "../src/store/store.js";
import { guardWrites, storeAccess } from "../src/store/write-guard.js";

/** A memory store whose writes fail with DISK_FULL while `disk.full` is set. */
function fillableStore(disk: { full: boolean }): ClientStore {
  return new Proxy(new MemoryClientStore(), {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (!disk.full || storeAccess[property as keyof ClientStore] !== "write") return value;
      return () => Promise.reject(new ClientError("DISK_FULL", "no room"));
    },
  });
}

describe("guardWrites", () => {
  it("reports a failed write and fails on; refuses every write while halted, without touching the store", async () => {
    const disk = { full: false };
    const store = fillableStore(disk);
    let halted = false;
    const reported: unknown[] = [];
    const guarded = guardWrites(store, { failed: (error) => reported.push(error), halted: () => halted });
    await guarded.apply({ cursor: 1 });
    disk.full = true;
    await assert.rejects(guarded.apply({ cursor: 2 }), (error: unknown) => (error as ClientError).code === "DISK_FULL");
    assert.equal(reported.length, 1, "the failed write is reported");
    assert.equal(await guarded.cursor(), 1, "reads go through");

    disk.full = false;
    halted = true;
    await assert.rejects(guarded.apply({ cursor: 3 }), (error: unknown) => (error as ClientError).code === "RELOADING");
    await assert.rejects(
      guarded.addOutbox({
        room: "#lobby" as never,
        sendId: new Uint8Array(1),
        id: "x",
        sentAt: 1,
        content: new Uint8Array(1),
      }),
      (error: unknown) => (error as ClientError).code === "RELOADING",
    );
    assert.equal(await store.cursor(), 1, "nothing reached the store while halted");
    assert.equal(await store.outboxSize(), 0);
    assert.equal(reported.length, 1, "refusals are not failures");
  });
});
