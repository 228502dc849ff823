import type { GroupId } from "@secure-chat/protocol";
import type { ServerContext } from "../context.js";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Rows deleted per write: each delete is one transaction, and others wait behind it. */
const ROWS_PER_WRITE = 10_000;

/**
 * Deletes deliveries older than `retentionDays` (0: keeps everything), at start and every hour,
 * a chunk at a time so no one waits behind a large delete. What goes is what members offline
 * for that long never fetched: MLS gives nobody else a key for it.
 */
export function startRetention(ctx: ServerContext): { stop(): void } {
  const days = ctx.config.retentionDays;
  if (days === 0) {
    // Messages are kept for ever, and so are the files they name, but not those of gone groups.
    const timer = setInterval(() => void collectBlobs(ctx, undefined).catch(() => undefined), HOUR_MS);
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }
  let stopped = false;
  const prune = async (): Promise<void> => {
    if (stopped) return;
    try {
      const deleted = await ctx.storage.pruneDeliveries(ctx.now() - days * DAY_MS, ROWS_PER_WRITE);
      if (deleted > 0) ctx.log.info("retention", { deleted, olderThanDays: days });
      // Files once the sweep is done, not after each of its chunks.
      if (deleted === ROWS_PER_WRITE) setImmediate(() => void prune());
      else await collectBlobs(ctx, ctx.now() - days * DAY_MS);
    } catch (error) {
      ctx.log.warn("retention_failed", { error: String(error), action: "retried in an hour" });
    }
  };
  void prune();
  const timer = setInterval(() => void prune(), HOUR_MS);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}

/**
 * Files nobody can refer to any more: older than the messages that could name them, of a group
 * with no members left, or uploads never finished.
 */
async function collectBlobs(ctx: ServerContext, olderThan: number | undefined): Promise<void> {
  const gone = async (groupId: GroupId): Promise<boolean> => (await ctx.storage.currentMembers(groupId)).length === 0;
  const removed = await ctx.blobs.collect(gone, ctx.now(), olderThan);
  if (removed > 0) ctx.log.info("blobs_deleted", { removed });
}
