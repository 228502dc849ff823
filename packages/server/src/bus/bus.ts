import type { UserName } from "@secure-chat/protocol";

/**
 * Publish/subscribe of already-encoded frames, addressed to users, between server nodes.
 * Delivery is best effort: the database is the source of truth and a client that missed
 * a frame catches up by cursor.
 */
export interface Bus {
  /** Delivers `frame` to every recipient but `except` (a sender who already has it). */
  publish(recipients: Iterable<UserName>, frame: Uint8Array, except?: UserName): void;
  /** Returns the unsubscribe function. */
  subscribe(name: UserName, deliver: (frame: Uint8Array) => void): () => void;
  close(): void;
}
