import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ClientError } from "../src/errors.js";
import type { ClientStore } from "../src/store/store.js";
import { guardWrites } from "../src/store/write-guard.js";

describe("guardWrites", () => {
  it("reports a write that throws and throws it on; successful writes and reads go through unreported", () => {
    let full = false;
    const store = {
      cursor: () => 7,
      apply() {
        if (full) throw new ClientError("DISK_FULL", "this computer's disk is full");
      },
      outboxSize() {
        throw new Error("a read that fails is the caller's business");
      },
    } as Partial<ClientStore> as ClientStore;
    const reported: unknown[] = [];
    const guarded = guardWrites(store, (error) => reported.push(error));

    guarded.apply({ cursor: 1 });
    assert.equal(guarded.cursor(), 7);
    assert.throws(() => guarded.outboxSize());
    assert.equal(reported.length, 0);

    full = true;
    assert.throws(
      () => guarded.apply({ cursor: 2 }),
      (error: unknown) => (error as ClientError).code === "DISK_FULL",
    );
    assert.equal(reported.length, 1);
    assert.equal((reported[0] as ClientError).code, "DISK_FULL");
  });
});
