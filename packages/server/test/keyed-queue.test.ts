import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KeyedQueue } from "../src/keyed-queue.js";

describe("KeyedQueue", () => {
  it("runs one key's tasks in the order given, a slow first one included; other keys do not wait", async () => {
    const queue = new KeyedQueue<string>();
    const ran: string[] = [];
    let releaseSlow = (): void => undefined;
    const slow = queue.run("alice", async () => {
      await new Promise<void>((resolve) => (releaseSlow = resolve));
      ran.push("alice online");
    });
    const next = queue.run("alice", async () => {
      ran.push("alice offline");
    });
    await queue.run("bob", async () => {
      ran.push("bob online");
    });
    assert.deepEqual(ran, ["bob online"], "bob's does not wait for alice's");
    releaseSlow();
    await Promise.all([slow, next]);
    assert.deepEqual(ran, ["bob online", "alice online", "alice offline"]);
  });

  it("goes on after a task that fails, and hands the failure to its caller", async () => {
    const queue = new KeyedQueue<string>();
    const failing = queue.run("alice", () => Promise.reject(new Error("storage down")));
    const after = queue.run("alice", async () => "ran");
    await assert.rejects(failing, /storage down/);
    assert.equal(await after, "ran");
  });
});
