import type { Storage } from "../storage/storage.js";

/**
 * Nothing is announced before it is on disk: an answer or a fan-out that follows a write is
 * queued here and runs once a disk sync that started after the write has finished, in the
 * order queued (so deliveries keep their seq order). The sync runs off the event loop, and one
 * sync covers every action queued while the previous one ran (group commit): the server keeps
 * handling frames while the disk works, instead of blocking on an fsync per transaction.
 */
export class DurabilityGate {
  /** Actions whose writes the next sync will cover. */
  private waiting: ((durable: boolean) => void)[] = [];
  private syncing = false;

  constructor(
    private readonly storage: Storage,
    private readonly onSyncFailed: (error: Error) => void,
  ) {}

  /** Runs `action(true)` once everything written so far is on disk; `action(false)` if that failed. */
  after(action: (durable: boolean) => void): void {
    this.waiting.push(action);
    if (!this.syncing) this.sync();
  }

  private sync(): void {
    const covered = this.waiting;
    this.waiting = [];
    this.syncing = true;
    this.storage.sync((error) => {
      this.syncing = false;
      if (error !== undefined) this.onSyncFailed(error);
      // The next sync starts before these actions run, so it overlaps with them.
      if (this.waiting.length > 0) this.sync();
      for (const action of covered) action(error === undefined);
    });
  }
}
