import { shortId } from "../engine/message-effects.js";
import type { DeviceInfo } from "../chat-client.js";
import type { ClientErrorCode } from "../errors.js";
import type { ChatEvent, LinkState, MemberInfo, MessageEvent } from "../events.js";
import { roomLabel, type GroupId, type UserName } from "@secure-chat/protocol";

/** Codes the terminal adds to the client's: a line it could not make sense of. */
export type UiErrorCode = ClientErrorCode | "BAD_COMMAND";

/** A message as the terminal shows it: its room by label. */
export type UiMessage = Labelled<MessageEvent>;

/**
 * What the terminal shows: the client's events with rooms named by label, plus the replies to
 * commands. `link` is every state of the connection (the full-screen UI's status bar);
 * `connection` is the notice a person reads when a live link drops and when it is back.
 */
export type UiEvent =
  | UiMessage
  | { type: "presence"; name: UserName; online: boolean }
  | Labelled<
      Extract<
        ChatEvent,
        { type: "member" | "room" | "device" | "reaction" | "edit" | "delete" | "unsupported" | "typing" | "seen" }
      >
    >
  | Extract<ChatEvent, { type: "device_refused" }>
  | { type: "link"; state: LinkState; reason?: string }
  | { type: "connection"; state: "reconnecting" | "connected"; reason?: string }
  | { type: "key_changed"; name: UserName; pinned: string; presented: string }
  | { type: "error"; code: UiErrorCode; message: string }
  | { type: "ready"; name: string; fingerprint: string; server: string; cipherSuite: string; room: string }
  /** `presenceKnown`: false while offline, when the members' `online` is what the server said last. */
  | { type: "who"; room: string; members: MemberInfo[]; presenceKnown: boolean }
  | { type: "online"; names: string[] }
  /** `next`: the room to list after (`/rooms NEXT`) when there are more. */
  | { type: "rooms"; rooms: { room: string; members: number; joined: boolean; kind: string }[]; next?: string }
  | { type: "history"; room: string; messages: UiMessage[] }
  /** The answer to /seen: which of the `others` members have been shown message `id`. */
  | { type: "seen_by"; room: string; id: string; seenBy: UserName[]; others: number }
  /** `devices`: every device of NAME's account, when it has linked ones. */
  | {
      type: "fingerprint";
      name: string;
      fingerprint: string;
      devices?: { device: UserName; fingerprint: string; revoked: boolean }[];
    }
  | { type: "devices"; devices: DeviceInfo[] }
  /** A new device's link joined: compare `sas` with the new device's screen, then /devices approve. */
  | { type: "device_link"; code: string; sas: string; label: string; fingerprint: string }
  | { type: "info"; message: string };

export type UiSink = (event: UiEvent) => void;

/** The answer to /seen as people read it, in every interface: `3fa9c2 seen by 2 of 4: bob, carol`. */
export function seenByText(event: Extract<UiEvent, { type: "seen_by" }>): string {
  const who = event.seenBy.length === 0 ? "" : `: ${event.seenBy.join(", ")}`;
  return `${shortId(event.id)} seen by ${event.seenBy.length} of ${event.others}${who}`;
}

/**
 * Whether the client's online set is current in this link state: only while logged in. During
 * an outage it is what the server said last, so /who and the side panel call presence unknown.
 */
export function presenceKnownWhen(link: LinkState): boolean {
  return link === "live" || link === "catching_up" || link === "halted";
}

/** A client event with its group named by label (`#room`, `+room`, `@peer`) instead of by id. */
type Labelled<E> = E extends { groupId: GroupId } ? Omit<E, "groupId"> & { room: string } : never;

/** `event` with its group named by the label `self` sees (`room` second, as people read it). */
function labelled<E extends { type: string; groupId: GroupId }>(event: E, self: UserName): Labelled<E> {
  const { type, groupId, ...rest } = event;
  return { type, room: roomLabel(groupId, self), ...rest } as unknown as Labelled<E>;
}

export function uiMessage(event: MessageEvent, self: UserName): UiMessage {
  return labelled(event, self);
}

/**
 * Turns the client's events into the terminal's: labels instead of group ids, and from the
 * link's states the two notices a person needs (the link dropped; it is back).
 */
export class UiEvents {
  /** Whether the link was live (or halted) before it dropped: a drop before that is a failed start. */
  private wasUp = false;
  private dropped = false;
  /**
   * The online state last told for each name. The server repeats "online" when a roommate
   * starts sharing another room with us (and tells a newcomer about roommates it knew), and the
   * client passes every such frame on: only changes are shown. Forgotten when the link drops;
   * once it is live again, what the client learnt at login is what is known.
   */
  private readonly told = new Map<UserName, boolean>();

  /** `roommates`: the members of the rooms we are in, with the client's online state. */
  constructor(
    private readonly self: UserName,
    private readonly roommates: () => Iterable<MemberInfo> = () => [],
  ) {}

  from(event: ChatEvent): UiEvent[] {
    switch (event.type) {
      case "message":
      case "member":
      case "room":
      case "device":
      case "reaction":
      case "edit":
      case "delete":
      case "unsupported":
      case "typing":
      case "seen":
        return [labelled(event, this.self)];
      case "connection":
        return [
          { type: "link", state: event.state, ...reason(event.reason) },
          ...this.notices(event.state, event.reason),
        ];
      case "presence":
        if (this.told.get(event.name) === event.online) return [];
        this.told.set(event.name, event.online);
        return [event];
      case "key_changed":
      case "device_refused":
      case "error":
        return [event];
    }
  }

  private notices(state: LinkState, why: string | undefined): UiEvent[] {
    switch (state) {
      case "live":
      case "halted": {
        for (const member of this.roommates()) this.told.set(member.name, member.online);
        const back = this.dropped;
        this.wasUp = true;
        this.dropped = false;
        return back ? [{ type: "connection", state: "connected" }] : [];
      }
      case "offline":
        this.told.clear();
        if (!this.wasUp || this.dropped) return [];
        this.dropped = true;
        return [{ type: "connection", state: "reconnecting", ...reason(why) }];
      case "connecting":
      case "authenticating":
      case "catching_up":
      case "closed":
        return [];
    }
  }
}

const reason = (why: string | undefined): { reason?: string } => (why === undefined ? {} : { reason: why });
