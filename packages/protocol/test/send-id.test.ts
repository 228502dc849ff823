/// <reference types="node" />
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SEND_ID_BYTES, SendIds } from "../src/index.js";

function hex(id: Uint8Array): string {
  return Buffer.from(id).toString("hex");
}

describe("SendIds", () => {
  it("makes distinct ids of 16 bytes that grow within a session", () => {
    const ids = new SendIds();
    const made = Array.from({ length: 10_000 }, () => ids.next());
    for (const id of made) assert.equal(id.length, SEND_ID_BYTES);
    assert.equal(new Set(made.map(hex)).size, made.length);
    for (let i = 1; i < made.length; i++)
      assert.ok(hex(made[i - 1]!) < hex(made[i]!), `id ${i} sorts after id ${i - 1}`);
  });

  it("keeps sessions apart by their random prefix", () => {
    const prefixes = new Set(Array.from({ length: 1_000 }, () => hex(new SendIds().next()).slice(0, 16)));
    assert.equal(prefixes.size, 1_000);
  });
});
