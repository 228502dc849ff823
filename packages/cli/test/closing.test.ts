import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { closeTelling } from "../src/closing.js";

describe("closeTelling (/quit)", () => {
  it("says what it waits for while messages are not stored yet, every 5 s, until it has closed", async (t) => {
    t.mock.timers.enable({ apis: ["setInterval"] });
    const told: string[] = [];
    let stored: () => void = () => undefined;
    const client = { outboxEmpty: false, close: () => new Promise<void>((resolve) => (stored = resolve)) };
    const closing = closeTelling(client, (line) => told.push(line));
    assert.equal(told.length, 1, "at once");
    assert.match(told[0] ?? "", /waiting for the server to store what you sent; Ctrl\+C/);
    t.mock.timers.tick(4_999);
    assert.equal(told.length, 1);
    t.mock.timers.tick(1);
    assert.equal(told.length, 2, "again after 5 s");
    client.outboxEmpty = true;
    stored();
    await closing;
    t.mock.timers.tick(10_000);
    assert.equal(told.length, 2, "nothing once closed");
  });

  it("says nothing when everything is stored", async () => {
    const told: string[] = [];
    await closeTelling({ outboxEmpty: true, close: async () => undefined }, (line) => told.push(line));
    assert.deepEqual(told, []);
  });
});
