import type { DeliveryKind, GroupId, RoomKind, UserName } from "@secure-chat/protocol";

/** One entry of a member's delivery stream, in server order. */
export interface StoredDelivery {
  seq: number;
  serverTs: number;
  groupId: GroupId;
  sender: UserName;
  kind: DeliveryKind;
  payload: Uint8Array;
}

export interface StoredGroup {
  groupId: GroupId;
  kind: RoomKind;
  /** The epoch the next accepted commit must come from. */
  epoch: number;
  /** Latest GroupInfo published for external joins (open rooms only). */
  groupInfo: Uint8Array | undefined;
}

export type RegisterResult =
  | { kind: "registered" }
  | { kind: "known" }
  | { kind: "name_taken" }
  /** A new name with the nameSkeleton of `lookalike`, another name that is registered or was released. */
  | { kind: "confusable"; lookalike: UserName };

/** A linked device of an account (never the account's first device, which is the bare name). */
export interface StoredDevice {
  device: UserName;
  /** encodeDeviceCertificate bytes, as the account key signed them; checked before they were stored. */
  certificate: Uint8Array;
  /** encodeDeviceRevocation bytes once revoked. */
  revocation: Uint8Array | undefined;
  /** When it last logged in (ms), 0 for never. */
  lastSeen: number;
}

export type AddDeviceResult = { kind: "added" } | { kind: "exists" } | { kind: "no_account" };

export interface AppendInput {
  groupId: GroupId;
  sender: UserName;
  payload: Uint8Array;
  serverTs: number;
  sendId?: Uint8Array;
}

export type AppendResult =
  { kind: "stored"; delivery: StoredDelivery } | { kind: "duplicate"; delivery: StoredDelivery };

export type CreateGroupResult =
  | { kind: "created"; seq: number }
  | { kind: "exists" }
  /** The operator reserved this room name for `owner`, and the creator is someone else. */
  | { kind: "reserved"; owner: UserName }
  /** Another room name, in use or reserved, has its roomSkeleton. */
  | { kind: "confusable"; lookalike: GroupId };

export type ReserveRoomResult =
  | { kind: "reserved" }
  /** The room is in use and was left alone: reserving it takes `reclaim`. */
  | { kind: "exists"; members: UserName[] }
  /** The room was in use: its group was ended (these members' memberships closed). */
  | { kind: "reclaimed"; members: UserName[] };

export interface CommitInput {
  groupId: GroupId;
  /** Epoch the commit was made in; it moves the group to epoch + 1. */
  epoch: number;
  sender: UserName;
  /** True for an external commit: the sender joins by it. */
  senderJoins: boolean;
  commit: Uint8Array;
  groupInfo: Uint8Array | undefined;
  welcome: Uint8Array | undefined;
  added: UserName[];
  removed: UserName[];
  serverTs: number;
}

export type CommitResult =
  | {
      kind: "accepted";
      commit: StoredDelivery;
      welcomes: { recipient: UserName; delivery: StoredDelivery }[];
    }
  | { kind: "stale"; currentEpoch: number }
  | { kind: "no_group" };

/** A write refused because the disk (or the database's size limit) is full: none of it was stored. */
export class StorageFullError extends Error {
  constructor(cause: unknown) {
    super("the disk is full", { cause });
    this.name = "StorageFullError";
  }
}

/**
 * A write or read that could not reach the database (a database server restarting, a network
 * cut): nothing of a write was stored, or, for a commit lost on the way, it is stored once
 * (sends carry a sendId; a commit sent again is stale). The adapter connects again by itself.
 */
export class StorageUnavailableError extends Error {
  constructor(cause: unknown) {
    super("the database is unreachable", { cause });
    this.name = "StorageUnavailableError";
  }
}

/**
 * The server's durable state. Coarse, domain-level operations; each call is atomic.
 * Every adapter runs the contract suite in test/storage-contract.ts.
 *
 * Asynchronous, since a database server is, but ordered: writes take effect, and their promises
 * settle, in the order they were called. The server relies on it: the seq order of what it
 * stores is the order in which it announces it (sends stored before a commit get lower seqs,
 * and fan-out follows seq order within a group).
 */
export interface Storage {
  /**
   * Binds `name` to `publicKey` on first use; afterwards only that key is accepted. A name that
   * was never registered is refused when another name, registered or released, has its
   * nameSkeleton; the check and the binding are one write. A released name keeps its skeleton,
   * so no look-alike can take its place until its owner is back, and coming back is not new:
   * look-alikes registered before skeletons were kept stay registered and may come back too.
   */
  registerUser(name: UserName, publicKey: Uint8Array): Promise<RegisterResult>;
  userKey(name: UserName): Promise<Uint8Array | undefined>;
  /** Keys the name was bound to before it was released, oldest first. */
  retiredKeys(name: UserName): Promise<Uint8Array[]>;
  /**
   * Frees a name whose owner lost their device: the key is retired, stocked KeyPackages are
   * dropped and every group membership ends now. The next login registers a new key. The
   * account's linked devices are released with it (their keys retired, KeyPackages dropped,
   * memberships ended, no longer able to log in); their `devices` rows stay, so their names are
   * not reused.
   */
  releaseName(name: UserName): Promise<"released" | "unknown">;

  /**
   * Adds a linked device of `account` (registered): its name is bound to `publicKey` as
   * registerUser binds a name (so KeyPackages, cursor and memberships are the device's own), and
   * its certificate is kept to show peers. The caller has verified the certificate. A device
   * name is added once, never reused (`exists`, revoked or not). One write.
   */
  addDevice(
    account: UserName,
    device: UserName,
    publicKey: Uint8Array,
    certificate: Uint8Array,
  ): Promise<AddDeviceResult>;
  /**
   * Marks a device revoked (the caller verified the revocation; it is kept to show peers) and
   * drops its stocked KeyPackages, so nobody can add it anywhere again. Its key stays known (its
   * leaves leave groups by the commits of the account's other devices). `unknown` for a name
   * that is no linked device, `already` when revoked before (the first revocation stays).
   */
  revokeDevice(device: UserName, revocation: Uint8Array): Promise<"revoked" | "already" | "unknown">;
  /** The linked devices of `account`, revoked ones included, in the order they were added. */
  devices(account: UserName): Promise<StoredDevice[]>;
  /** One linked device, or undefined if `device` is no linked device's name. */
  device(device: UserName): Promise<StoredDevice | undefined>;
  /** Records a device's login time (last seen); unknown names are ignored. */
  deviceSeen(device: UserName, at: number): Promise<void>;

  addKeyPackages(name: UserName, keyPackages: Uint8Array[], lastResort: Uint8Array | undefined): Promise<void>;
  /** Hands out one KeyPackage exactly once; falls back to the last-resort package, which stays. */
  claimKeyPackage(name: UserName): Promise<Uint8Array | undefined>;
  countKeyPackages(name: UserName): Promise<number>;

  /**
   * Creates a group with `creator` as its only member. A `#`/`+` room is refused when the operator
   * reserved its name for someone else, or when it is new and another room name (in use or
   * reserved) has its roomSkeleton; the check and the creation are one write.
   */
  createGroup(
    groupId: GroupId,
    kind: RoomKind,
    creator: UserName,
    groupInfo: Uint8Array | undefined,
  ): Promise<CreateGroupResult>;
  /**
   * The operator's hold on a `#`/`+` room name: from now on only `owner` may create it. A room in
   * use is ended first, but only with `reclaim` (a squatter's group: its memberships close, its
   * deliveries stay until retention), so the owner can create it anew.
   */
  reserveRoom(groupId: GroupId, owner: UserName, reclaim: boolean): Promise<ReserveRoomResult>;
  /** Lifts a reservation; the room, if it exists, goes on. */
  unreserveRoom(groupId: GroupId): Promise<"unreserved" | "unknown">;
  group(groupId: GroupId): Promise<StoredGroup | undefined>;
  /**
   * Accepts exactly one commit per (group, epoch); any later one for that epoch is stale. Each
   * added member gets a delivery of the Welcome, whose bytes are stored once for all of them.
   */
  acceptCommit(input: CommitInput): Promise<CommitResult>;
  /**
   * Appends application messages or proposals in one transaction, in order. A repeated
   * (sender, sendId) is stored once: the resend gets the first delivery back as `duplicate`.
   */
  appendMessages(inputs: AppendInput[]): Promise<AppendResult[]>;
  currentMembers(groupId: GroupId): Promise<UserName[]>;
  /** The groups `name` is a member of now. */
  groupsOf(name: UserName): Promise<GroupId[]>;
  /**
   * The groups `viewer` may see (every open room, and the groups it is in), with their current
   * members: at most `limit`, those whose id sorts after `after`, in id order.
   */
  listGroups(
    viewer: UserName,
    after: string,
    limit: number,
  ): Promise<{ groupId: GroupId; kind: RoomKind; members: UserName[] }[]>;

  /** Deliveries for `name` after `cursor`, in order, at most `limit`. */
  fetchSince(name: UserName, cursor: number, limit: number): Promise<StoredDelivery[]>;
  cursor(name: UserName): Promise<number>;
  /** The highest seq handed out so far (0 before the first delivery): no cursor can be beyond it. */
  lastSeq(): Promise<number>;
  /**
   * Retention: deletes up to `limit` of the oldest deliveries, those before the first one stored
   * at or after `serverTs` (in seq order), and answers how many. Whoever had not fetched them
   * misses them.
   */
  pruneDeliveries(serverTs: number, limit: number): Promise<number>;
  /** Advances several cursors in one transaction (never backwards). */
  setCursors(cursors: ReadonlyMap<UserName, number>): Promise<void>;

  /**
   * Settles once every write that settled before this call is on disk (rejects if that could not
   * be confirmed). Writes themselves settle once visible to readers; what is announced to
   * clients waits for this (see DurabilityGate).
   */
  sync(): Promise<void>;
  /**
   * Settles once the storage has answered a trivial request; rejects with a sentence for the
   * operator (what is wrong, what to do) when it cannot serve. Health checks call it, so it must
   * be cheap and write nothing.
   */
  ping(): Promise<void>;
  /** Makes every write durable, then closes. */
  close(): Promise<void>;
}
