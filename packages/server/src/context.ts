import { join } from "node:path";
import { BlobStore } from "./services/blob-store.js";
import { randomBytes } from "node:crypto";
import { ACK_INTERVAL_MS, type GroupId, type UserName } from "@secure-chat/protocol";
import type { Bus } from "./bus/bus.js";
import type { Connection } from "./connection.js";
import type { ServerConfig } from "./config.js";
import type { Logger } from "./log.js";
import { ServerMetrics } from "./metrics/server-metrics.js";
import { timed } from "./metrics/timed.js";
import type { Storage } from "./storage/storage.js";
import { CursorBatcher } from "./services/cursor-batcher.js";
import type { OrderedDelivery } from "./services/delivery.js";
import { DurabilityGate } from "./services/durability-gate.js";
import { Quotas } from "./services/quotas.js";
import { SendBatcher } from "./services/send-batcher.js";
import { KeyedQueue } from "./keyed-queue.js";
import type { TokenBucket } from "./token-bucket.js";

/** Everything a handler may use. Built once by the composition root. */
export interface ServerContext {
  config: ServerConfig;
  storage: Storage;
  bus: Bus;
  log: Logger;
  now(): number;
  randomBytes(count: number): Uint8Array;
  /** Open connections per user name on this node: presence (other nodes' is the bus's). */
  online: Map<UserName, number>;
  /**
   * Cache of each group's current members, filled from storage on first use. Each set is a
   * value: a change replaces it (never mutate one), so the bus may cache who it reaches.
   * A change made on another node drops the entry (see Bus.onMembersChanged).
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
  /** Each user's presence announcements, in the order made (see announcePresence). */
  presenceOrder: KeyedQueue<UserName>;
  /** New-name registrations per remote address (see registrationsPerHourPerAddress). */
  registrationBuckets: Map<string, TokenBucket>;
  /** Holds answers and fan-out until their writes are on disk. */
  durable: DurabilityGate;
  /** Group commit of incoming messages. */
  sends: SendBatcher;
  /** Delivery cursors, flushed to storage in batches. */
  cursors: CursorBatcher;
  /** What /metrics shows (counts and latencies, nothing about who). */
  metrics: ServerMetrics;
  /** Set once shutdown has begun: health checks answer "not ready" from then on. */
  draining: boolean;
  /** Live connections whose deliveries are fetched in order (several nodes; see OrderedDelivery). */
  orderedDeliveries: Map<Connection, OrderedDelivery>;
  /** Encrypted files, in DATA_DIR/blobs. */
  blobs: BlobStore;
  /** Device links waiting for approval, by rendezvous code (in memory: a link lives minutes). */
  links: Map<string, PendingLink>;
}

/** A new device's link: its connection, its account, and once joined the approving device's connection. */
export interface PendingLink {
  account: UserName;
  newDevice: Connection;
  approver: Connection | undefined;
}

/**
 * The server's state around the adapters it is given (the composition root picks them); every
 * call to them is timed for /metrics. Cursors are written at the pace clients acknowledge: more
 * often would write nothing new.
 */
export function createContext(
  config: ServerConfig,
  adapterStorage: Storage,
  adapterBus: Bus,
  log: Logger,
  cursorFlushMs = ACK_INTERVAL_MS,
): ServerContext {
  const online = new Map<UserName, number>();
  const metrics = new ServerMetrics(() => online.size);
  const storage = timed(adapterStorage, (operation, seconds) => metrics.storageSeconds.observe(operation, seconds));
  const bus = timed(adapterBus, (operation, seconds) => metrics.busSeconds.observe(operation, seconds));
  const durable = new DurabilityGate(storage, log);
  const members = new Map<GroupId, ReadonlySet<UserName>>();
  bus.onMembersChanged((groupId) => members.delete(groupId));
  return {
    config,
    storage,
    bus,
    log,
    now: () => Date.now(),
    randomBytes: (count) => new Uint8Array(randomBytes(count)),
    online,
    members,
    userBuckets: new Map(),
    connectionsByAddress: new Map(),
    mlsChecks: new Map(),
    presenceOrder: new KeyedQueue(),
    quotas: new Quotas(config),
    registrationBuckets: new Map(),
    durable,
    // The send handler has the group's members in the cache before it adds (never evicted).
    sends: new SendBatcher(storage, durable, (groupId) => members.get(groupId) ?? new Set()),
    cursors: new CursorBatcher(storage, log, cursorFlushMs),
    metrics,
    draining: false,
    links: new Map(),
    orderedDeliveries: new Map(),
    blobs: new BlobStore(join(config.dataDir, "blobs"), config),
  };
}

/** A group's current members: from the cache, or read from storage on first use. */
export async function groupMembers(ctx: ServerContext, groupId: GroupId): Promise<ReadonlySet<UserName>> {
  const cached = ctx.members.get(groupId);
  if (cached !== undefined) return cached;
  const read = new Set(await ctx.storage.currentMembers(groupId));
  // A commit accepted while this read ran has set members at least as new as what it read.
  const meanwhile = ctx.members.get(groupId);
  if (meanwhile !== undefined) return meanwhile;
  ctx.members.set(groupId, read);
  return read;
}

/** A group's members changed here: cached now, and forgotten by the other nodes. */
export function setGroupMembers(ctx: ServerContext, groupId: GroupId, members: ReadonlySet<UserName>): void {
  ctx.members.set(groupId, members);
  ctx.bus.shareMembersChanged(groupId);
}
