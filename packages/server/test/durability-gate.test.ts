import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { GroupId, UserName } from "@secure-chat/protocol";
import { DurabilityGate } from "../src/services/durability-gate.js";
import { SendBatcher, type SendOutcome } from "../src/services/send-batcher.js";
import { StorageFullError, type AppendInput, type AppendResult, type Storage } from "../src/storage/storage.js";
import type { Logger } from "../src/log.js";

/** A logger that keeps its error events. */
function recordingLog(): Logger & { errors: string[] } {
  const errors: string[] = [];
  return { errors, info: () => undefined, warn: () => undefined, error: (event) => errors.push(event) };
}

/** The end of this turn: whatever the settling of a promise set off has run by then. */
const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A storage whose disk syncs finish only when the test says so (each `syncs` entry ends one and
 * settles once what that set off has run); with `room`, a disk with room for that many payload
 * bytes per transaction (more is refused whole, as SQLite does).
 */
function manualDisk(room = Infinity): {
  storage: Storage;
  appended: AppendInput[];
  syncs: ((error?: Error) => Promise<void>)[];
} {
  const appended: AppendInput[] = [];
  const syncs: ((error?: Error) => Promise<void>)[] = [];
  const storage = {
    sync: () =>
      new Promise<void>((resolve, reject) =>
        syncs.push((error) => {
          if (error === undefined) resolve();
          else reject(error);
          return settled();
        }),
      ),
    appendMessages: async (inputs: AppendInput[]): Promise<AppendResult[]> => {
      if (inputs.reduce((bytes, input) => bytes + input.payload.length, 0) > room) {
        throw new StorageFullError(new Error("SQLITE_FULL"));
      }
      return inputs.map((input) => {
        appended.push(input);
        const { groupId, sender, serverTs, payload } = input;
        return {
          kind: "stored",
          delivery: { seq: appended.length, groupId, sender, serverTs, payload, kind: "message" },
        };
      });
    },
  } as Partial<Storage> as Storage;
  return { storage, appended, syncs };
}

describe("DurabilityGate", () => {
  it("runs actions only after a sync that started after them, in the order queued", async () => {
    const disk = manualDisk();
    const log = recordingLog();
    const gate = new DurabilityGate(disk.storage, log);
    const ran: string[] = [];
    gate.after((durable) => ran.push(`a:${durable}`));
    assert.equal(disk.syncs.length, 1, "the first action starts a sync at once");
    gate.after((durable) => ran.push(`b:${durable}`));
    gate.after((durable) => ran.push(`c:${durable}`));
    assert.equal(disk.syncs.length, 1, "one sync at a time");
    assert.deepEqual(ran, [], "nothing runs before the disk confirms");
    await disk.syncs[0]!();
    assert.deepEqual(ran, ["a:true"], "b and c were queued while that sync ran: it may not cover their writes");
    assert.equal(disk.syncs.length, 2, "one sync covers everything queued meanwhile (group commit)");
    await disk.syncs[1]!();
    assert.deepEqual(ran, ["a:true", "b:true", "c:true"]);
    assert.equal(disk.syncs.length, 2, "idle when nothing waits");
    assert.deepEqual(log.errors, []);
  });

  it("after a failed sync, tells every action so, now and from then on, and logs it once", async () => {
    const disk = manualDisk();
    const log = recordingLog();
    const gate = new DurabilityGate(disk.storage, log);
    const ran: string[] = [];
    gate.after((durable) => ran.push(`a:${durable}`));
    gate.after((durable) => ran.push(`b:${durable}`));
    await disk.syncs[0]!(new Error("EIO"));
    assert.deepEqual(ran, ["a:false", "b:false"], "in order, the waiting one too");
    gate.after((durable) => ran.push(`c:${durable}`));
    assert.deepEqual(ran, ["a:false", "b:false", "c:false"], "a later sync could not be trusted");
    assert.equal(disk.syncs.length, 1, "no sync is even tried");
    assert.deepEqual(log.errors, ["disk_sync_failed"]);
  });

  it("an action that throws is logged and does not keep the others from running", async () => {
    const disk = manualDisk();
    const log = recordingLog();
    const gate = new DurabilityGate(disk.storage, log);
    const ran: string[] = [];
    gate.after(() => ran.push("a"));
    gate.after(() => {
      throw new Error("boom");
    });
    await disk.syncs[0]!();
    gate.after(() => ran.push("c"));
    await disk.syncs[1]!();
    assert.deepEqual(ran, ["a"]);
    await disk.syncs[2]!();
    assert.deepEqual(ran, ["a", "c"]);
    assert.deepEqual(log.errors, ["announce_failed"]);
  });

  it("tells whenSynced callers when the sync in flight has ended, after its actions, also when it failed", async () => {
    const disk = manualDisk();
    const gate = new DurabilityGate(disk.storage, recordingLog());
    const events: string[] = [];
    assert.equal(gate.syncing, false);
    gate.after((durable) => events.push(`action:${durable}`));
    assert.equal(gate.syncing, true);
    gate.whenSynced(() => events.push("synced"));
    gate.after((durable) => events.push(`next action:${durable}`));
    await disk.syncs[0]!();
    assert.deepEqual(events, ["action:true", "synced"], "the next action waits for the next sync");
    assert.equal(gate.syncing, true, "that next sync is in flight");
    gate.whenSynced(() => events.push("synced again"));
    await disk.syncs[1]!(new Error("EIO"));
    assert.deepEqual(events, ["action:true", "synced", "next action:false", "synced again"]);
    assert.equal(gate.syncing, false);
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
    const batcher = new SendBatcher(disk.storage, new DurabilityGate(disk.storage, recordingLog()), () => new Set());
    const outcomes: SendOutcome[] = [];
    batcher.add(input("one"), (outcome) => outcomes.push(outcome));
    batcher.add(input("two"), (outcome) => outcomes.push(outcome));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(disk.appended.length, 2, "stored at the end of the turn");
    assert.equal(outcomes.length, 0, "not acknowledged before the sync");
    await disk.syncs[0]!();
    assert.deepEqual(
      outcomes.map((o) => (o.kind === "ok" ? o.result.delivery.seq : o.kind)),
      [1, 2],
    );
  });

  it("on a nearly full disk, stores each message that fits alone, in order, and refuses only the one that does not", async () => {
    const disk = manualDisk(100);
    const batcher = new SendBatcher(disk.storage, new DurabilityGate(disk.storage, recordingLog()), () => new Set());
    const outcomes: string[] = [];
    for (const text of ["one", "x".repeat(200), "three"]) {
      batcher.add(input(text), (outcome) =>
        outcomes.push(
          outcome.kind === "ok"
            ? `${new TextDecoder().decode(outcome.result.delivery.payload)} #${outcome.result.delivery.seq}`
            : outcome.kind === "failed" && outcome.error instanceof StorageFullError
              ? "full"
              : outcome.kind,
        ),
      );
    }
    await batcher.flush();
    assert.deepEqual(outcomes, ["full"], "the refusal at once; the others wait for the disk");
    await disk.syncs[0]!();
    assert.deepEqual(outcomes, ["full", "one #1", "three #2"]);
  });

  it("answers `unconfirmed` when the disk fails after the messages were stored", async () => {
    const disk = manualDisk();
    const batcher = new SendBatcher(disk.storage, new DurabilityGate(disk.storage, recordingLog()), () => new Set());
    const outcomes: SendOutcome[] = [];
    batcher.add(input("one"), (outcome) => outcomes.push(outcome));
    await batcher.flush();
    await disk.syncs[0]!(new Error("EIO"));
    assert.deepEqual(outcomes, [{ kind: "unconfirmed" }]);
  });
  it("an exclusive write comes after the messages pending, before those that come meanwhile, which go to the members it leaves", async () => {
    const disk = manualDisk();
    let members = new Set(["alice", "bob"] as UserName[]);
    const batcher = new SendBatcher(disk.storage, new DurabilityGate(disk.storage, recordingLog()), () => members);
    const outcomes: string[] = [];
    const record = (text: string) => (outcome: SendOutcome) =>
      outcomes.push(
        outcome.kind === "ok"
          ? `${text} #${outcome.result.delivery.seq} to ${[...outcome.recipients].join(",")}`
          : outcome.kind,
      );
    batcher.add(input("before"), record("before"));
    let finishWrite = (): void => undefined;
    const written = batcher.exclusive(async () => {
      const storedBefore = disk.appended.length;
      await new Promise<void>((resolve) => (finishWrite = resolve));
      members = new Set(["alice", "carol"] as UserName[]);
      return storedBefore;
    });
    await settled();
    batcher.add(input("during"), record("during"));
    await settled();
    assert.equal(disk.appended.length, 1, "nothing is stored while the exclusive write runs");
    finishWrite();
    assert.equal(await written, 1, "the message pending was stored before it");
    await settled();
    assert.equal(disk.appended.length, 2, "the one that came meanwhile is stored after it");
    await disk.syncs[0]!();
    await disk.syncs[1]!();
    assert.deepEqual(outcomes, ["before #1 to alice,bob", "during #2 to alice,carol"]);
  });
});
