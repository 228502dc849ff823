import type { ChatEvent, MemberInfo, MessageEvent } from "@secure-chat/client";

/** What the terminal shows: the client's events plus the replies to commands. */
export type UiEvent =
  | ChatEvent
  | { type: "ready"; name: string; fingerprint: string; server: string; cipherSuite: string; room: string }
  | { type: "who"; room: string; members: MemberInfo[] }
  | { type: "online"; names: string[] }
  | { type: "rooms"; rooms: { room: string; members: number; joined: boolean; kind: string }[] }
  | { type: "history"; room: string; messages: MessageEvent[] }
  | { type: "fingerprint"; name: string; fingerprint: string }
  | { type: "info"; message: string };

export type UiSink = (event: UiEvent) => void;
