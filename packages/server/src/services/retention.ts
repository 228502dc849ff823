import type { ServerContext } from "../context.js";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Rows deleted per turn of the event loop: each delete is one synchronous write. */
const ROWS_PER_TURN = 10_000;

/**
 * Deletes deliveries older than `retentionDays` (0: keeps everything), at start and every hour,
 * a chunk per turn so no one waits behind a large delete. What goes is what members offline
 * for that long never fetched: MLS gives nobody else a key for it.
 */
export function startRetention(ctx: ServerContext): { stop(): void } {
  const days = ctx.config.retentionDays;
  if (days === 0) return { stop: () => undefined };
  let stopped = false;
  const prune = (): void => {
    if (stopped) return;
    try {
      const deleted = ctx.storage.pruneDeliveries(ctx.now() - days * DAY_MS, ROWS_PER_TURN);
      if (deleted > 0) ctx.log.info("retention", { deleted, olderThanDays: days });
      if (deleted === ROWS_PER_TURN) setImmediate(prune);
    } catch (error) {
      ctx.log.warn("retention_failed", { error: String(error), action: "retried in an hour" });
    }
  };
  prune();
  const timer = setInterval(prune, HOUR_MS);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
