import type { GroupId, UserName } from "@secure-chat/protocol";
import type { ClientErrorCode } from "./errors.js";

/** A room or private message. Events name groups by id; how a group is shown is the UI's business. */
export interface MessageEvent {
  type: "message";
  groupId: GroupId;
  /** The sender's account; a message from another device of ours is from us. */
  from: UserName;
  text: string;
  id: string;
  /** Sender's clock (ms), carried inside the ciphertext. */
  sentAt: number;
  /** Server's clock (ms) when it stored the ciphertext. */
  serverTs: number;
  seq: number;
  /** The message this one answers (absent: none). */
  replyTo?: string;
  /** From the local history: the text was edited, or the message deleted (a tombstone, text ""). */
  edited?: true;
  deleted?: true;
  /** From the local history: who reacted with what, in the order the reactions came. */
  reactions?: ReactionCount[];
  /** A file (`text` is empty): what it is called, its size and type; `saveFile` fetches it. */
  file?: { name: string; size: number; type: string };
}

/** One emoji's reactions to a message: `from.length` is its count. */
export interface ReactionCount {
  emoji: string;
  from: UserName[];
}

export interface MemberInfo {
  name: UserName;
  online: boolean;
  fingerprint: string;
}

/**
 * The link to the server, one state at a time: `offline` between attempts, `connecting` while
 * dialling, `authenticating` during hello/login, `catching_up` until the server says `synced`,
 * `live` after, `halted` after a failed local write until the reload, `closed` for good.
 */
export const linkStates = [
  "offline",
  "connecting",
  "authenticating",
  "catching_up",
  "live",
  "halted",
  "closed",
] as const;
export type LinkState = (typeof linkStates)[number];

/** Everything the client tells its user interface, asynchronously and in order. */
export type ChatEvent =
  | MessageEvent
  | { type: "presence"; name: UserName; online: boolean }
  | {
      type: "member";
      groupId: GroupId;
      name: UserName;
      change: "joined" | "left" | "removed";
      by: UserName;
      fingerprint: string;
    }
  /**
   * A linked device of `account` (ours too) was added to or removed from a group we are in: told
   * before anything the new device sends there. A whole account joining or leaving is a `member` event.
   */
  | {
      type: "device";
      groupId: GroupId;
      account: UserName;
      device: UserName;
      change: "added" | "removed";
      by: UserName;
      fingerprint: string;
    }
  /** A leaf under a device name whose device certificate does not verify under the account's pinned key: refused. */
  | { type: "device_refused"; device: UserName; reason: string }
  /** `rejoined`: our copy could not follow a commit (or Welcome) `by` sent; we joined again by external commit. */
  | { type: "room"; groupId: GroupId; change: "joined" | "created" | "left" | "removed" | "rejoined"; by?: UserName }
  /** `reason` says why the link is not live (the last failure), when there is one. */
  | { type: "connection"; state: LinkState; reason?: string }
  | { type: "key_changed"; name: UserName; pinned: string; presented: string }
  /** `from` reacted to message `id` with `emoji`, or took that reaction back (`removed`). */
  | { type: "reaction"; groupId: GroupId; id: string; from: UserName; emoji: string; removed: boolean }
  /** Message `id`'s sender replaced its text. */
  | { type: "edit"; groupId: GroupId; id: string; from: UserName; text: string }
  /** Message `id`'s sender deleted it. */
  | { type: "delete"; groupId: GroupId; id: string; from: UserName }
  /** `from` is typing in `groupId` (a notice comes every few seconds while it lasts). */
  | { type: "typing"; groupId: GroupId; from: UserName }
  /** The peer of a private conversation has been shown our messages up to `id`. */
  | { type: "seen"; groupId: GroupId; from: UserName; id: string }
  /** A message of a kind this version cannot show; `what` says what it holds. */
  | { type: "unsupported"; groupId: GroupId; id: string; from: UserName; what: string }
  | { type: "error"; code: ClientErrorCode; message: string };

export type ChatEventListener = (event: ChatEvent) => void;
