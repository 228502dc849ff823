import type { GroupId, UserName } from "@secure-chat/protocol";

/** A room or private message, as shown to the user. Private conversations are `@peer`. */
export interface MessageEvent {
  type: "message";
  room: string;
  from: UserName;
  text: string;
  id: string;
  /** Sender's clock (ms), carried inside the ciphertext. */
  sentAt: number;
  /** Server's clock (ms) when it stored the ciphertext. */
  serverTs: number;
  seq: number;
}

export interface MemberInfo {
  name: UserName;
  online: boolean;
  fingerprint: string;
}

/** Everything the client tells its user interface, asynchronously and in order. */
export type ChatEvent =
  | MessageEvent
  | { type: "presence"; name: UserName; online: boolean }
  | {
      type: "member";
      room: string;
      name: UserName;
      change: "joined" | "left" | "removed";
      by: UserName;
      fingerprint: string;
    }
  | { type: "room"; room: string; change: "joined" | "created" | "left" | "removed"; by?: UserName }
  | { type: "connection"; state: "connected" }
  | { type: "connection"; state: "reconnecting"; reason: string }
  | { type: "key_changed"; name: UserName; pinned: string; presented: string }
  | { type: "error"; code: string; message: string };

export type ChatEventListener = (event: ChatEvent) => void;

/** The name a user sees for a group: the room name, or `@peer` for a private conversation. */
export type RoomLabel = (groupId: GroupId) => string;
