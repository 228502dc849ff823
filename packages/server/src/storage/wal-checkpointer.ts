import { Worker } from "node:worker_threads";
import type Database from "better-sqlite3";

export type CheckpointOutcome =
  { kind: "done"; logFrames: number; copiedFrames: number } | { kind: "failed"; error: string };

export interface CheckpointerOptions {
  /** At most one background checkpoint per this many milliseconds of writing. */
  intervalMs: number;
  /**
   * When the log holds this many frames, the serving connection checkpoints once itself: a
   * background checkpoint never lets the log start over while writes keep coming (SQLite
   * restarts the log only at a write that finds all of it copied), so without this the file
   * would grow for as long as the load lasts. The background thread has copied most frames
   * by then, so this stall is short.
   */
  restartFrames: number;
}

const defaults: CheckpointerOptions = { intervalMs: 200, restartFrames: 4_000 };
/** SQLite's own default, used again if the background thread is lost. */
const AUTOMATIC_CHECKPOINT_PAGES = 1_000;

/**
 * Moves SQLite's checkpoints (copying the write-ahead log into the database file, with an
 * fsync) off the event loop. With SQLite's automatic checkpoint, every ~1,000 pages one commit
 * stalled for the copy and its syncs: ~4.6 ms every ~300 single-message transactions here,
 * which is what a p99 latency is made of. This turns that off on the serving connection and
 * has a worker thread with its own connection do the copying, asked after log syncs.
 */
export class BackgroundCheckpointer {
  private readonly worker: Worker;
  private readonly options: CheckpointerOptions;
  private asked = false;
  private lastFinished = 0;
  private stopped = false;

  constructor(
    path: string,
    private readonly serving: Database.Database,
    options: Partial<CheckpointerOptions> = {},
  ) {
    this.options = { ...defaults, ...options };
    serving.pragma("wal_autocheckpoint = 0");
    this.worker = new Worker(new URL("./checkpoint-worker.js", import.meta.url), { workerData: { path } });
    this.worker.on("message", (outcome: CheckpointOutcome) => this.finished(outcome));
    this.worker.on("error", () => {
      if (this.stopped) return;
      this.stopped = true;
      serving.pragma(`wal_autocheckpoint = ${AUTOMATIC_CHECKPOINT_PAGES}`);
    });
    // Never what keeps a process alive; after the listeners, since adding one refs the port again.
    this.worker.unref();
  }

  /** Called after each successful log sync, that is after writes. */
  afterSync(): void {
    if (this.stopped || this.asked || Date.now() - this.lastFinished < this.options.intervalMs) return;
    this.asked = true;
    this.worker.postMessage("checkpoint");
  }

  stop(): void {
    this.stopped = true;
    void this.worker.terminate();
  }

  private finished(outcome: CheckpointOutcome): void {
    this.asked = false;
    this.lastFinished = Date.now();
    if (this.stopped) return;
    if (outcome.kind === "failed" || outcome.logFrames >= this.options.restartFrames) {
      try {
        this.serving.pragma("wal_checkpoint(PASSIVE)");
      } catch {
        // A full or failing disk: the log keeps the pages (SQLite's own checkpoint ignores this
        // too); writes that then fail are answered with an error, and a failed log sync stops
        // all acknowledgements (DurabilityGate). Tried again after the next background one.
      }
    }
  }
}
