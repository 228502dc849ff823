import { ProtocolError, type UserName } from "@secure-chat/protocol";
import type { ServerConfig } from "../config.js";
import { TokenBucket } from "../token-bucket.js";

const DAY_SECONDS = 86_400;

/**
 * What one user may store per day (bytes) and create (groups), as token buckets that refill over
 * the day. Kept in memory: a restart gives everyone a fresh day, which bounds nothing worse than
 * one more day's allowance.
 */
export class Quotas {
  private readonly bytes = new Map<UserName, TokenBucket>();
  private readonly groups = new Map<UserName, TokenBucket>();

  constructor(private readonly config: Pick<ServerConfig, "quotaBytesPerDay" | "groupsPerDay">) {}

  /** Charges `amount` stored bytes to `name`, or refuses with QUOTA_EXCEEDED (nothing charged). */
  chargeBytes(name: UserName, amount: number, now: number): void {
    const perDay = this.config.quotaBytesPerDay;
    if (!bucket(this.bytes, name, perDay, now).take(now, amount)) {
      throw new ProtocolError(
        "QUOTA_EXCEEDED",
        `you have stored your ${perDay} bytes for today (this needs ${amount} more); try again later`,
      );
    }
  }

  /** Charges one new group to `name`, or refuses with QUOTA_EXCEEDED. */
  chargeGroup(name: UserName, now: number): void {
    const perDay = this.config.groupsPerDay;
    if (!bucket(this.groups, name, perDay, now).take(now)) {
      throw new ProtocolError("QUOTA_EXCEEDED", `you have created your ${perDay} rooms and conversations for today`);
    }
  }
}

function bucket(buckets: Map<UserName, TokenBucket>, name: UserName, perDay: number, now: number): TokenBucket {
  let found = buckets.get(name);
  if (found === undefined) {
    found = new TokenBucket(perDay / DAY_SECONDS, perDay, now);
    buckets.set(name, found);
  }
  return found;
}
