import type { UserName } from "@secure-chat/protocol";

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
   * Settles once the bus has shown it can carry frames between nodes; rejects with a sentence
   * for the operator otherwise. Health checks call it, so it must be cheap.
   */
  ping(): Promise<void>;
  close(): void;
}
