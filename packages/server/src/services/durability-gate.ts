import type { Logger } from "../log.js";
import type { Storage } from "../storage/storage.js";

/** What a client is told when the disk did not confirm what the server stored. */
export const NOT_CONFIRMED =
  "the server's disk did not confirm what it stored; nothing more is acknowledged until the server is restarted";

/**
 * Nothing is announced before it is on disk: an answer or a fan-out that follows a write is
 * queued here and runs once a disk sync that started after the write has finished, in the
 * order queued (so deliveries keep their seq order). The sync runs off the event loop, and one
 * sync covers every action queued while the previous one ran (group commit): the server keeps
 * handling frames while the disk works, instead of blocking on an fsync per transaction.
 *
 * A failed sync is final: after an fsync error the kernel may have dropped the unwritten pages,
 * so a later sync that succeeds proves nothing. From then on every action is told `false` and
 * nothing more is acknowledged until the server is restarted (clients keep their unacknowledged
 * messages and send them again; the database is checked on open).
 */
export class DurabilityGate {
  /** Actions whose writes the next sync will cover. */
  private waiting: ((durable: boolean) => void)[] = [];
  private inFlight = false;
  private failed = false;
  /** Callers of `whenSynced`, told when the sync in flight ends. */
  private watchers: (() => void)[] = [];

  constructor(
    private readonly storage: Storage,
    private readonly log: Logger,
  ) {}

  /** Runs `action(true)` once everything written so far is on disk; `action(false)` if that failed. */
  after(action: (durable: boolean) => void): void {
    if (this.failed) {
      this.run([action], false);
      return;
    }
    this.waiting.push(action);
    if (!this.inFlight) this.sync();
  }

  /** Whether a disk sync failed: nothing is acknowledged any more (see the class comment). */
  get broken(): boolean {
    return this.failed;
  }

  /** Whether a disk sync is running. */
  get syncing(): boolean {
    return this.inFlight;
  }

  /** Runs `callback` once the sync in flight has ended and its actions have run (next turn if none). */
  whenSynced(callback: () => void): void {
    if (this.inFlight) this.watchers.push(callback);
    else setImmediate(callback);
  }

  private sync(): void {
    const covered = this.waiting;
    this.waiting = [];
    this.inFlight = true;
    this.storage.sync().then(
      () => this.synced(covered, undefined),
      (error: unknown) => this.synced(covered, error instanceof Error ? error : new Error(String(error))),
    );
  }

  private synced(covered: ((durable: boolean) => void)[], error: Error | undefined): void {
    this.inFlight = false;
    const watchers = this.watchers;
    this.watchers = [];
    if (error !== undefined && !this.failed) {
      this.failed = true;
      this.log.error("disk_sync_failed", {
        error: error.message,
        action: "nothing more will be acknowledged: check the disk, then restart the server",
      });
    }
    if (this.failed) {
      this.run(covered, false);
      this.run(this.waiting.splice(0), false);
    } else {
      // The next sync starts before these actions run, so it overlaps with them.
      if (this.waiting.length > 0) this.sync();
      this.run(covered, true);
    }
    for (const watcher of watchers) watcher();
  }

  /** One action that throws must not cost the others their answers. */
  private run(actions: ((durable: boolean) => void)[], durable: boolean): void {
    for (const action of actions) {
      try {
        action(durable);
      } catch (error) {
        this.log.error("announce_failed", { error: String(error) });
      }
    }
  }
}
