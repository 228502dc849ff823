import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { GroupId, UserName } from "@secure-chat/protocol";
import { DurabilityGate } from "../src/services/durability-gate.js";
import { SendBatcher, type SendOutcome } from "../src/services/send-batcher.js";
import type { AppendInput, AppendResult, Storage } from "../src/storage/storage.js";

/** A storage whose disk syncs finish only when the test says so. */
function manualDisk(): {
  storage: Storage;
  appended: AppendInput[];
  syncs: ((error?: Error) => void)[];
} {
  const appended: AppendInput[] = [];
  const syncs: ((error?: Error) => void)[] = [];
  const storage = {
    sync: (done: (error?: Error) => void) => syncs.push(done),
    appendMessages: (inputs: AppendInput[]): AppendResult[] =>
      inputs.map((input) => {
        appended.push(input);
        const { groupId, sender, serverTs, payload } = input;
        return {
          kind: "stored",
          delivery: { seq: appended.length, groupId, sender, serverTs, payload, kind: "message" },
        };
      }),
  } as Partial<Storage> as Storage;
  return { storage, appended, syncs };
}

describe("DurabilityGate", () => {
  it("runs actions only after a sync that started after them, in the order queued", () => {
    const disk = manualDisk();
    const gate = new DurabilityGate(disk.storage, () => assert.fail("no sync fails here"));
    const ran: string[] = [];
    gate.after((durable) => ran.push(`a:${durable}`));
    assert.equal(disk.syncs.length, 1, "the first action starts a sync at once");
    gate.after((durable) => ran.push(`b:${durable}`));
    gate.after((durable) => ran.push(`c:${durable}`));
    assert.equal(disk.syncs.length, 1, "one sync at a time");
    assert.deepEqual(ran, [], "nothing runs before the disk confirms");
    disk.syncs[0]!();
    assert.deepEqual(ran, ["a:true"], "b and c were queued while that sync ran: it may not cover their writes");
    assert.equal(disk.syncs.length, 2, "one sync covers everything queued meanwhile (group commit)");
    disk.syncs[1]!();
    assert.deepEqual(ran, ["a:true", "b:true", "c:true"]);
    assert.equal(disk.syncs.length, 2, "idle when nothing waits");
  });

  it("tells each action when the disk failed, reports the error, and keeps going", () => {
    const disk = manualDisk();
    const failures: Error[] = [];
    const gate = new DurabilityGate(disk.storage, (error) => failures.push(error));
    const ran: boolean[] = [];
    gate.after((durable) => ran.push(durable));
    disk.syncs[0]!(new Error("EIO"));
    assert.deepEqual(ran, [false]);
    assert.deepEqual(
      failures.map((e) => e.message),
      ["EIO"],
    );
    gate.after((durable) => ran.push(durable));
    disk.syncs[1]!();
    assert.deepEqual(ran, [false, true]);
  });
});

describe("SendBatcher", () => {
  const input = (text: string): AppendInput => ({
    groupId: "#room" as GroupId,
    sender: "alice" as UserName,
    payload: new TextEncoder().encode(text),
    serverTs: 1,
    sendId: new Uint8Array(16),
  });

  it("stores a turn's messages in one batch and answers none of them before the disk confirms", async () => {
    const disk = manualDisk();
    const batcher = new SendBatcher(disk.storage, new DurabilityGate(disk.storage, () => undefined));
    const outcomes: SendOutcome[] = [];
    batcher.add(input("one"), (outcome) => outcomes.push(outcome));
    batcher.add(input("two"), (outcome) => outcomes.push(outcome));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(disk.appended.length, 2, "stored at the end of the turn");
    assert.equal(outcomes.length, 0, "not acknowledged before the sync");
    disk.syncs[0]!();
    assert.deepEqual(
      outcomes.map((o) => (o.kind === "ok" ? o.result.delivery.seq : o.kind)),
      [1, 2],
    );
  });

  it("answers `unconfirmed` when the disk fails after the messages were stored", async () => {
    const disk = manualDisk();
    const batcher = new SendBatcher(disk.storage, new DurabilityGate(disk.storage, () => undefined));
    const outcomes: SendOutcome[] = [];
    batcher.add(input("one"), (outcome) => outcomes.push(outcome));
    batcher.flush();
    disk.syncs[0]!(new Error("EIO"));
    assert.deepEqual(outcomes, [{ kind: "unconfirmed" }]);
  });
});
