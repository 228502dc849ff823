import type { UserName } from "@secure-chat/protocol";
import type { Logger } from "../log.js";
import type { Storage } from "../storage/storage.js";

/**
 * Delivery cursors live in memory and reach the disk in one transaction per interval (and when
 * the server stops), not one sync per acknowledgement. A cursor lost in a crash only means some
 * deliveries are sent again, which clients skip by seq. A write that
 * fails (a full disk) keeps the cursors in memory for the next interval instead of stopping
 * the server.
 */
export class CursorBatcher {
  private readonly dirty = new Map<UserName, number>();
  private readonly timer: ReturnType<typeof setInterval>;
  /** Whether the last write failed: logged once per outage, not once per interval. */
  private failing = false;

  constructor(
    private readonly storage: Storage,
    private readonly log: Logger,
    intervalMs: number,
  ) {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  acknowledge(name: UserName, seq: number): void {
    if (seq > (this.dirty.get(name) ?? 0)) this.dirty.set(name, seq);
  }

  /** Where delivery resumes for `name`: the newest acknowledgement, flushed or not. */
  async cursor(name: UserName): Promise<number> {
    const stored = await this.storage.cursor(name);
    return Math.max(stored, this.dirty.get(name) ?? 0);
  }

  /** Writes the cursors acknowledged so far; never rejects (a failed write is kept and retried). */
  async flush(): Promise<void> {
    if (this.dirty.size === 0) return;
    const batch = new Map(this.dirty);
    this.dirty.clear();
    try {
      await this.storage.setCursors(batch);
    } catch (error) {
      // Kept for the next try; acknowledgements that came meanwhile may be newer.
      for (const [name, seq] of batch) this.acknowledge(name, seq);
      if (!this.failing) this.log.warn("cursor_write_failed", { error: String(error), action: "kept; retried" });
      this.failing = true;
      return;
    }
    if (this.failing) this.log.info("cursor_write_recovered", {});
    this.failing = false;
  }

  close(): Promise<void> {
    clearInterval(this.timer);
    return this.flush();
  }
}
