import type { GroupId, UserName } from "@secure-chat/protocol";
import type { FileRef } from "../content/content.js";

export interface StoredIdentity {
  name: UserName;
  secretKey: Uint8Array;
  publicKey: Uint8Array;
  /** Server URL this identity registered with. */
  server: string;
}

export interface StoredGroupState {
  groupId: GroupId;
  /** Encoded ts-mls GroupState at the current epoch. */
  state: Uint8Array;
  /** Our own commit (or external join) waiting for the server's verdict, if any. */
  pending: Uint8Array | undefined;
}

export interface StoredKeyPackage {
  /** KeyPackage reference (RFC 9420 §5.2), how a Welcome names the package it is for. */
  ref: Uint8Array;
  /** The encoded public KeyPackage (an MLSMessage). */
  publicPackage: Uint8Array;
  initPrivateKey: Uint8Array;
  hpkePrivateKey: Uint8Array;
  lastResort: boolean;
}

/** A reaction to a stored message: `id` is the reaction's own message id (an unreaction names it). */
export interface StoredReaction {
  from: UserName;
  emoji: string;
  id: string;
}

export interface HistoryEntry {
  room: GroupId;
  id: string;
  from: UserName;
  /** The latest text: an edit replaces it, a delete empties it. */
  text: string;
  sentAt: number;
  serverTs: number;
  seq: number;
  /** The message this one answers (it may be one this client never had). */
  replyTo?: string;
  /** Its sender replaced the text. */
  edited?: boolean;
  /** Its sender deleted it: a tombstone, with no text and no reactions. */
  deleted?: boolean;
  /** In the order they arrived; one per sender and emoji. */
  reactions?: StoredReaction[];
  /** A file message: where its ciphertext is and the key to it (its `text` is empty). */
  file?: FileRef;
}

/** A message the user sent that the server has not acknowledged yet. */
export interface OutboxEntry {
  localId: number;
  room: GroupId;
  /** Random per message; a resend reuses it so the server stores the message once. */
  sendId: Uint8Array;
  id: string;
  sentAt: number;
  /** The plaintext (MIMI content, unpadded): what it is, and what is stored once the server has it. */
  content: Uint8Array;
  /** Set once encrypted: a resend must reuse the same ciphertext (its MLS key is spent). */
  ciphertext: Uint8Array | undefined;
}

/**
 * One atomic write: group states, history and the delivery cursor move together. A group with
 * `state: null` is deleted; the cursor only moves forward; removing a KeyPackage never removes
 * the last-resort one.
 */
export interface StoreBatch {
  groups?: { groupId: GroupId; state: Uint8Array | null; pending: Uint8Array | null }[];
  /** New messages (a second copy of an id is ignored). */
  messages?: HistoryEntry[];
  /** Stored messages written again whole: edited, deleted, reacted to. */
  revisions?: HistoryEntry[];
  cursor?: number;
  removeKeyPackage?: Uint8Array;
  outboxCiphertext?: { localId: number; ciphertext: Uint8Array };
  removeOutbox?: number;
}

/**
 * The client's local state. Asynchronous because the browser's IndexedDB is; the Node adapter
 * (SQLite, in the CLI package) answers at once. `apply` is the one atomic write the delivery
 * path uses: everything in a batch is saved, or nothing is.
 */
export interface ClientStore {
  identity(): Promise<StoredIdentity | undefined>;
  saveIdentity(identity: StoredIdentity): Promise<void>;
  groups(): Promise<StoredGroupState[]>;
  cursor(): Promise<number>;
  apply(batch: StoreBatch): Promise<void>;
  keyPackages(): Promise<StoredKeyPackage[]>;
  /** Adds packages; a last-resort package replaces the one held before. */
  addKeyPackages(keyPackages: StoredKeyPackage[]): Promise<void>;
  pinnedKey(name: UserName): Promise<Uint8Array | undefined>;
  /** Pins `key` for `name`, replacing any earlier pin. */
  pin(name: UserName, key: Uint8Array): Promise<void>;
  /** Names whose key changed and whose new key the user has not accepted yet. */
  untrustedNames(): Promise<UserName[]>;
  setTrusted(name: UserName, trusted: boolean): Promise<void>;
  /** The last `limit` messages of a room, oldest first. */
  history(room: GroupId, limit: number): Promise<HistoryEntry[]>;
  message(room: GroupId, id: string): Promise<HistoryEntry | undefined>;
  /** The oldest pending message, if any. */
  nextOutbox(): Promise<OutboxEntry | undefined>;
  outboxSize(): Promise<number>;
  addOutbox(entry: Omit<OutboxEntry, "localId" | "ciphertext">): Promise<number>;
  close(): Promise<void>;
}
