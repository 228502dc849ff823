import type { ServerContext } from "./context.js";

/** A health check that takes longer counts as a failure: a stalled database must not stall the balancer. */
export const HEALTH_TIMEOUT_MS = 2_000;

export type Health = { ready: true } | { ready: false; reason: string };

/** Why `check` failed ("PART: reason"), or undefined once it succeeded within the time allowed. */
async function failure(part: string, check: () => Promise<void>): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return undefined;
  } catch (error) {
    return `${part}: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Ready to take clients: not shutting down, the disk confirms what is stored, and storage and
 * bus answer. Otherwise the first reason found, for the operator (a balancer only needs the status).
 */
export async function checkHealth(ctx: ServerContext): Promise<Health> {
  if (ctx.draining) return { ready: false, reason: "draining: the server is shutting down" };
  if (ctx.durable.broken) {
    return { ready: false, reason: "a disk sync failed: nothing more is acknowledged until the server is restarted" };
  }
  const reasons = await Promise.all([
    failure("storage", () => ctx.storage.ping()),
    failure("bus", () => ctx.bus.ping()),
  ]);
  const reason = reasons.filter((found) => found !== undefined).join("; ");
  return reason === "" ? { ready: true } : { ready: false, reason };
}
