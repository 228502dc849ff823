import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FlushScheduler, type SyncProgress } from "../src/flush-scheduler.js";

/** A disk whose syncs the test starts and ends. */
class TestDisk implements SyncProgress {
  syncing = false;
  private watchers: (() => void)[] = [];

  whenSynced(callback: () => void): void {
    this.watchers.push(callback);
  }

  /** Ends the sync in flight; `another` starts the next one at once, as the gate does under load. */
  endSync(another = false): void {
    this.syncing = another;
    for (const watcher of this.watchers.splice(0)) watcher();
  }
}

function setup(
  minSocketsPerTurn?: number,
  turnsPerPass?: number,
  maxSocketsPerTurn?: number,
): {
  disk: TestDisk;
  scheduler: FlushScheduler;
  written: string[];
  socket(name: string): { flush(): void };
} {
  const disk = new TestDisk();
  const written: string[] = [];
  return {
    disk,
    scheduler: new FlushScheduler(disk, minSocketsPerTurn, turnsPerPass, maxSocketsPerTurn),
    written,
    socket: (name) => ({ flush: () => written.push(name) }),
  };
}

const endOfTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("FlushScheduler", () => {
  it("writes queued sockets at the end of the turn when no sync is in flight", async () => {
    const { scheduler, written, socket } = setup();
    scheduler.queued(socket("a"));
    scheduler.queued(socket("b"));
    assert.deepEqual(written, []);
    await endOfTurn();
    assert.deepEqual(written, ["a", "b"]);
  });

  it("writes answers at the end of the turn and before deliveries", async () => {
    const { scheduler, written, socket } = setup();
    scheduler.queued(socket("delivery"));
    scheduler.answered(socket("answer"));
    await endOfTurn();
    assert.deepEqual(written, ["answer", "delivery"]);
  });

  it("holds deliveries while a sync is in flight, not answers, and writes them when it ends", async () => {
    const { disk, scheduler, written, socket } = setup();
    disk.syncing = true;
    scheduler.queued(socket("delivery"));
    scheduler.answered(socket("answer"));
    await endOfTurn();
    assert.deepEqual(written, ["answer"]);
    scheduler.queued(socket("later delivery"));
    await endOfTurn();
    assert.deepEqual(written, ["answer"], "still held");
    disk.endSync();
    await endOfTurn();
    assert.deepEqual(written, ["answer", "delivery", "later delivery"]);
  });

  it("never holds deliveries twice in a row, although the next sync is already in flight", async () => {
    const { disk, scheduler, written, socket } = setup();
    disk.syncing = true;
    scheduler.queued(socket("first"));
    await endOfTurn();
    disk.endSync(true);
    await endOfTurn();
    assert.deepEqual(written, ["first"]);
    // Having written, the next burst may wait again.
    scheduler.queued(socket("second"));
    await endOfTurn();
    assert.deepEqual(written, ["first"]);
    disk.endSync(false);
    await endOfTurn();
    assert.deepEqual(written, ["first", "second"]);
  });

  it("writes a few sockets per turn and the rest in the next turns, in order, even while a sync runs", async () => {
    const { disk, scheduler, written, socket } = setup(2, 100);
    for (const name of ["a", "b", "c", "d", "e"]) scheduler.queued(socket(name));
    await endOfTurn();
    assert.deepEqual(written, ["a", "b"]);
    disk.syncing = true;
    scheduler.queued(socket("f"));
    await endOfTurn();
    assert.deepEqual(written, ["a", "b", "c", "d"], "the rest of a burst does not wait for the disk");
    await endOfTurn();
    await endOfTurn();
    assert.deepEqual(written, ["a", "b", "c", "d", "e", "f"]);
  });

  it("spreads a pass over the turns per pass, keeping its size per turn as it empties", async () => {
    const { scheduler, written, socket } = setup(1, 4);
    const names = Array.from({ length: 10 }, (_, i) => `s${i}`);
    for (const name of names) scheduler.queued(socket(name));
    const perTurn: number[] = [];
    while (written.length < names.length) {
      const before = written.length;
      await endOfTurn();
      perTurn.push(written.length - before);
    }
    // ceil(10 / 4) = 3 per turn for the whole pass (not ceil(7 / 4) = 2 once 7 are left).
    assert.deepEqual(perTurn, [3, 3, 3, 1]);
    assert.deepEqual(written, names);
  });

  it("lets sockets that join a pass under way make its turns larger", async () => {
    const { scheduler, written, socket } = setup(1, 4);
    for (const name of ["a", "b", "c", "d"]) scheduler.queued(socket(name));
    await endOfTurn();
    assert.deepEqual(written, ["a"]);
    for (let i = 0; i < 20; i++) scheduler.queued(socket(`late${i}`));
    await endOfTurn();
    // 23 waiting: ceil(23 / 4) = 6 this turn.
    assert.equal(written.length, 7);
  });

  it("writes at most the maximum per turn, however large the pass", async () => {
    const { scheduler, written, socket } = setup(1, 4, 3);
    for (let i = 0; i < 20; i++) scheduler.queued(socket(`s${i}`));
    await endOfTurn();
    assert.equal(written.length, 3, "not ceil(20 / 4) = 5");
  });

  it("starts afresh after answers wrote the rest of a pass: the next burst waits for a sync in flight", async () => {
    const { disk, scheduler, written, socket } = setup(1, 4);
    const [a, b, c, d] = ["a", "b", "c", "d"].map(socket);
    for (const s of [a!, b!, c!, d!]) scheduler.queued(s);
    await endOfTurn();
    assert.deepEqual(written, ["a"], "one per turn: ceil(4 / 4)");
    for (const s of [b!, c!, d!]) scheduler.answered(s);
    await endOfTurn();
    assert.deepEqual(written, ["a", "b", "c", "d"], "the answers emptied the pass");
    disk.syncing = true;
    for (const name of ["e", "f", "g", "h"]) scheduler.queued(socket(name));
    await endOfTurn();
    assert.deepEqual(written, ["a", "b", "c", "d"], "a new burst waits for the sync in flight");
    disk.endSync();
    await endOfTurn();
    assert.deepEqual(written, ["a", "b", "c", "d", "e"]);
  });

  it("writes a room of the default minimum in one turn", async () => {
    const { scheduler, written, socket } = setup();
    for (let i = 0; i < 25; i++) scheduler.queued(socket(`m${i}`));
    await endOfTurn();
    assert.equal(written.length, 25);
  });

  it("lists a socket once, and not again among deliveries once an answer has written its queue", async () => {
    const { scheduler, written, socket } = setup(2, 100);
    const both = socket("both");
    scheduler.queued(both);
    scheduler.queued(both);
    scheduler.answered(both);
    scheduler.answered(both);
    for (const name of ["a", "b"]) scheduler.queued(socket(name));
    await endOfTurn();
    // "both" went out once, as an answer, so it does not take one of the two places per turn.
    assert.deepEqual(written, ["both", "a", "b"]);
  });
});
