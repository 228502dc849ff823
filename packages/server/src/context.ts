import { randomBytes } from "node:crypto";
import { ACK_INTERVAL_MS, type GroupId, type UserName } from "@secure-chat/protocol";
import type { Bus } from "./bus/bus.js";
import type { ServerConfig } from "./config.js";
import type { Logger } from "./log.js";
import type { Storage } from "./storage/storage.js";
import { CursorBatcher } from "./services/cursor-batcher.js";
import { DurabilityGate } from "./services/durability-gate.js";
import { Quotas } from "./services/quotas.js";
import { SendBatcher } from "./services/send-batcher.js";
import type { TokenBucket } from "./token-bucket.js";

/** Everything a handler may use. Built once by the composition root. */
export interface ServerContext {
  config: ServerConfig;
  storage: Storage;
  bus: Bus;
  log: Logger;
  now(): number;
  randomBytes(count: number): Uint8Array;
  /** Open connections per user name: presence. */
  online: Map<UserName, number>;
  /**
   * Cache of each group's current members, filled from storage on first use. Each set is a
   * value: a change replaces it (never mutate one), so the bus may cache who it reaches.
   */
  members: Map<GroupId, ReadonlySet<UserName>>;
  /** Rate limit shared by all connections of a user. */
  userBuckets: Map<UserName, TokenBucket>;
  /** Open connections per remote address. */
  connectionsByAddress: Map<string, number>;
  /** What each user may still store and create today. */
  quotas: Quotas;
  /** MLS checks of each user running (see MAX_MLS_CHECKS_PER_USER). */
  mlsChecks: Map<UserName, number>;
  /** New-name registrations per remote address (see registrationsPerHourPerAddress). */
  registrationBuckets: Map<string, TokenBucket>;
  /** Holds answers and fan-out until their writes are on disk. */
  durable: DurabilityGate;
  /** Group commit of incoming messages. */
  sends: SendBatcher;
  /** Delivery cursors, flushed to storage in batches. */
  cursors: CursorBatcher;
}

/**
 * The server's state around the adapters it is given (the composition root picks them).
 * Cursors are written at the pace clients acknowledge: more often would write nothing new.
 */
export function createContext(
  config: ServerConfig,
  storage: Storage,
  bus: Bus,
  log: Logger,
  cursorFlushMs = ACK_INTERVAL_MS,
): ServerContext {
  const durable = new DurabilityGate(storage, log);
  return {
    config,
    storage,
    bus,
    log,
    now: () => Date.now(),
    randomBytes: (count) => new Uint8Array(randomBytes(count)),
    online: new Map(),
    members: new Map(),
    userBuckets: new Map(),
    connectionsByAddress: new Map(),
    mlsChecks: new Map(),
    quotas: new Quotas(config),
    registrationBuckets: new Map(),
    durable,
    sends: new SendBatcher(storage, durable),
    cursors: new CursorBatcher(storage, log, cursorFlushMs),
  };
}

export function groupMembers(ctx: ServerContext, groupId: GroupId): ReadonlySet<UserName> {
  let members = ctx.members.get(groupId);
  if (members === undefined) {
    members = new Set(ctx.storage.currentMembers(groupId));
    ctx.members.set(groupId, members);
  }
  return members;
}
