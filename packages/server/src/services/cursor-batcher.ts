import type { UserName } from "@secure-chat/protocol";
import type { Storage } from "../storage/storage.js";

/**
 * Delivery cursors live in memory and reach the disk in one transaction per interval (and when
 * a user disconnects or the server stops), not one sync per acknowledgement. A cursor lost in
 * a crash only means some deliveries are sent again, which clients skip by seq.
 */
export class CursorBatcher {
  private readonly dirty = new Map<UserName, number>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly storage: Storage,
    intervalMs: number,
  ) {
    this.timer = setInterval(() => this.flush(), intervalMs);
    this.timer.unref();
  }

  acknowledge(name: UserName, seq: number): void {
    if (seq > (this.dirty.get(name) ?? 0)) this.dirty.set(name, seq);
  }

  /** Where delivery resumes for `name`: the newest acknowledgement, flushed or not. */
  cursor(name: UserName): number {
    return Math.max(this.storage.cursor(name), this.dirty.get(name) ?? 0);
  }

  flush(): void {
    if (this.dirty.size === 0) return;
    const batch = new Map(this.dirty);
    this.dirty.clear();
    this.storage.setCursors(batch);
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
