import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { closeTelling } from "../src/closing.js";

describe("closeTelling (/quit)", () => {
  it("says what it waits for while messages are not stored yet, then closes", async () => {
    const told: string[] = [];
    let closed = false;
    const client = {
      outboxEmpty: false,
      close: async () => {
        closed = true;
      },
    };
    await closeTelling(client, (line) => told.push(line));
    assert.equal(closed, true);
    assert.equal(told.length, 1);
    assert.match(told[0] ?? "", /waiting for the server to store what you sent; Ctrl\+C/);
  });

  it("says nothing when everything is stored", async () => {
    const told: string[] = [];
    await closeTelling({ outboxEmpty: true, close: async () => undefined }, (line) => told.push(line));
    assert.deepEqual(told, []);
  });
});
