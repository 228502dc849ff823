import type { GroupId, UserName } from "@secure-chat/protocol";

/** Where the bus hands a subscriber's frames: a connection's socket writer, or its catch-up hold. */
export interface DeliveryTarget {
  send(frame: Uint8Array): void;
}

/**
 * Publish/subscribe of already-encoded frames, addressed to users, between server nodes.
 * Delivery is best effort: the database is the source of truth and a client that missed
 * a frame catches up by cursor.
 */
export interface Bus {
  /** Delivers `frame` to each of a few named users. */
  publish(recipients: readonly UserName[], frame: Uint8Array): void;
  /**
   * Delivers `frame` to a group's members but `except` (a sender who already has it). The set
   * is a value: the bus may remember whom it reaches, so pass a new set rather than changing
   * one that was published to.
   */
  publishToGroup(members: ReadonlySet<UserName>, frame: Uint8Array, except?: UserName): void;
  /** Returns the unsubscribe function. */
  subscribe(name: UserName, target: DeliveryTarget): () => void;
  /**
   * True when other nodes publish too: frames from different nodes may then arrive in any
   * order, or not at all, so a connection's live deliveries are fetched from storage in seq
   * order, each delivery frame only saying there is something to fetch (see OrderedDelivery).
   */
  readonly crossNode: boolean;
  /**
   * The highest delivery seq announced on the bus by any node, this one included (crossNode
   * only): storage holding a higher one means a frame was lost on the way.
   */
  readonly announcedSeq: number;
  /** Tells the other nodes that `name` is now online on this one (first connection here) or not (last). */
  shareOnline(name: UserName, online: boolean): void;
  /** Whether `name` is online on another node, as far as this one knows. */
  onlineElsewhere(name: UserName): boolean;
  namesOnlineElsewhere(): Iterable<UserName>;
  /** Tells the other nodes that a group's members changed: they forget their cached set. */
  shareMembersChanged(groupId: GroupId): void;
  /** `listener` runs when another node says a group's members changed. */
  onMembersChanged(listener: (groupId: GroupId) => void): void;
  /**
   * Settles once the bus has shown it can carry frames between nodes; rejects with a sentence
   * for the operator otherwise. Health checks call it, so it must be cheap.
   */
  ping(): Promise<void>;
  close(): void;
}
