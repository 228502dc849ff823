import {
  deviceChange,
  deviceRefusal,
  reactionCountsWith,
  seenByText,
  TYPING_SHOWN_MS,
  type LinkState,
  type UiEvent,
  type UiMessage,
} from "@secure-chat/client";

/** One line of a room's pane: a message, or a notice (replies to commands, joins, warnings). */
export type PaneItem =
  | { kind: "message"; message: UiMessage }
  | { kind: "notice"; key: string; text: string; tone: "info" | "warning" | "error"; at: number };

export interface RoomView {
  label: string;
  items: PaneItem[];
  unread: number;
  mentions: number;
  /** Who is typing here, and when their last notice came (local clock). */
  typing: Map<string, number>;
  /** Private conversations: our last message the peer has been shown, marked "seen". */
  seen?: string;
}

/** Messages kept per room in the page; older ones stay in the store (/history). */
const PANE_LIMIT = 500;

/**
 * What the page shows, built from the client's UiEvents (the same ones the terminal gets): the
 * rooms with their panes and unread counts, which room is shown, the link state and the key
 * warnings. The page re-renders on `changed`; nothing here touches the DOM.
 */
export class ChatModel {
  readonly rooms = new Map<string, RoomView>();
  current = "#lobby";
  link: LinkState = "connecting";
  linkReason: string | undefined;
  /** Names whose key changed and that the user has not trusted yet, with what to compare. */
  readonly keyWarnings = new Map<string, { pinned: string; presented: string }>();
  private listeners = new Set<() => void>();
  private notices = 0;

  /**
   * `alert`: told of each message that mentions us or is private, not our own, as it arrives.
   * `later`: runs a task after `ms` (a typing notice that ran out is taken off the page).
   */
  constructor(
    readonly self: string,
    private readonly now: () => number = Date.now,
    private readonly alert: (message: UiMessage) => void = () => undefined,
    private readonly later: (ms: number, task: () => void) => void = (ms, task) => void setTimeout(task, ms),
  ) {
    this.room("#lobby");
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  room(label: string): RoomView {
    let room = this.rooms.get(label);
    if (room === undefined) {
      room = { label, items: [], unread: 0, mentions: 0, typing: new Map() };
      this.rooms.set(label, room);
    }
    return room;
  }

  /** Room labels in the order the list shows them: open and invite-only rooms, then conversations. */
  roomLabels(): string[] {
    const order = (label: string): number => (label.startsWith("@") ? 1 : 0);
    return [...this.rooms.keys()].sort((a, b) => order(a) - order(b) || a.localeCompare(b));
  }

  focus(label: string): void {
    const room = this.room(label);
    this.current = label;
    room.unread = 0;
    room.mentions = 0;
    this.changed();
  }

  /** Saved history, merged with what arrived meanwhile (by message id), in server order. */
  loadHistory(label: string, messages: UiMessage[]): void {
    const room = this.room(label);
    const held = new Set(room.items.flatMap((item) => (item.kind === "message" ? [item.message.id] : [])));
    const fresh = messages.filter((m) => !held.has(m.id)).map((message) => ({ kind: "message" as const, message }));
    room.items = [...fresh, ...room.items].sort((a, b) => sortKey(a) - sortKey(b)).slice(-PANE_LIMIT);
    this.changed();
  }

  notice(text: string, tone: "info" | "warning" | "error" = "info", label = this.current): void {
    const room = this.room(label);
    room.items.push({ kind: "notice", key: `n${++this.notices}`, text, tone, at: this.now() });
    if (room.items.length > PANE_LIMIT) room.items.shift();
    this.changed();
  }

  apply(event: UiEvent): void {
    switch (event.type) {
      case "message":
        return this.message(event);
      case "room":
        if (event.change === "left" || event.change === "removed") {
          this.rooms.delete(event.room);
          if (this.current === event.room) this.current = this.roomLabels()[0] ?? "#lobby";
          this.notice(
            event.change === "left"
              ? `you left ${event.room}`
              : `${event.by ?? "someone"} removed you from ${event.room}`,
          );
          return;
        }
        this.room(event.room);
        return this.notice(
          event.change === "rejoined"
            ? `rejoined ${event.room} (our copy could not follow a change)`
            : `you are in ${event.room}`,
          "info",
          event.room,
        );
      case "member":
        return this.notice(
          event.change === "joined"
            ? `${event.name} joined (key ${event.fingerprint})`
            : event.change === "left"
              ? `${event.name} left`
              : `${event.name} was removed by ${event.by}`,
          "info",
          event.room,
        );
      case "link":
        this.link = event.state;
        this.linkReason = event.reason;
        return this.changed();
      case "connection":
        return this.notice(
          event.state === "reconnecting"
            ? `connection lost${event.reason === undefined ? "" : ` (${event.reason})`}; reconnecting…`
            : "connected again",
          event.state === "reconnecting" ? "warning" : "info",
        );
      case "key_changed":
        this.keyWarnings.set(event.name, { pinned: event.pinned, presented: event.presented });
        return this.notice(
          `${event.name}'s key changed: it was ${event.pinned}, it is now ${event.presented}. ` +
            `Compare the new fingerprint with ${event.name} out of band, then /trust ${event.name}.`,
          "warning",
        );
      case "error":
        return this.notice(`${event.message} (${event.code})`, "error");
      case "presence":
        return this.changed();
      case "ready":
        return this.notice(`signed in as ${event.name}, key fingerprint ${event.fingerprint} (${event.cipherSuite})`);
      case "who":
        return this.notice(
          `${event.room}: ${event.members.map((m) => `${m.name}${event.presenceKnown ? (m.online ? " (online)" : "") : " (?)"}`).join(", ")}`,
        );
      case "online":
        return this.notice(`online: ${event.names.join(", ") || "nobody"}`);
      case "rooms":
        return this.notice(
          `rooms: ${event.rooms.map((r) => `${r.room} (${r.members}${r.joined ? ", joined" : ""})`).join(", ") || "none"}` +
            (event.next === undefined ? "" : ` — more: /rooms ${event.next}`),
        );
      case "history":
        return this.loadHistory(event.room, event.messages);
      case "seen_by":
        return this.notice(seenByText(event), "info", event.room);
      case "fingerprint":
        return this.notice(`${event.name}'s key fingerprint: ${event.fingerprint}`);
      case "device":
        return this.notice(deviceChange(event), "info", event.room);
      case "device_refused":
        return this.notice(deviceRefusal(event), "warning");
      case "devices":
        return this.notice(
          `devices: ${event.devices.map((d) => `${d.device}${d.thisDevice ? " (this device)" : ""}${d.revoked ? " (revoked)" : ""} key ${d.fingerprint}`).join(", ")}`,
        );
      case "device_link":
        return this.notice(
          `a device "${event.label}" (key ${event.fingerprint}) asks to join your account. Does it show ${event.sas}? If so: /devices approve.`,
          "warning",
        );
      case "reaction":
        return this.revise(event.room, event.id, (m) => ({
          ...m,
          reactions: reactionCountsWith(m.reactions ?? [], event.emoji, event.from, event.removed),
        }));
      case "edit":
        return this.revise(event.room, event.id, (m) => ({ ...m, text: event.text, edited: true }));
      case "delete":
        return this.revise(event.room, event.id, (m) => {
          const tombstone: UiMessage = { ...m, text: "", deleted: true };
          delete tombstone.reactions;
          delete tombstone.edited;
          return tombstone;
        });
      case "unsupported":
        return this.notice(`${event.from} sent ${event.what}, which this version can't show`, "info", event.room);
      case "typing":
        this.room(event.room).typing.set(event.from, this.now());
        this.later(TYPING_SHOWN_MS, () => this.changed());
        return this.changed();
      case "seen":
        return this.markSeen(event.room, event.id);
      case "info":
        return this.notice(event.message);
    }
  }

  /** Who is typing in `label` now: those whose last notice is less than TYPING_SHOWN_MS old. */
  typingIn(label: string): string[] {
    const typing = this.rooms.get(label)?.typing ?? new Map<string, number>();
    for (const [name, at] of typing) if (this.now() - at >= TYPING_SHOWN_MS) typing.delete(name);
    return [...typing.keys()];
  }

  /** Marks "seen" our last message at or before message `id` (the peer was shown everything up to it). */
  private markSeen(label: string, id: string): void {
    const room = this.rooms.get(label);
    const upTo = room?.items.findIndex((item) => item.kind === "message" && item.message.id === id) ?? -1;
    if (room === undefined || upTo < 0) return;
    const ours = room.items
      .slice(0, upTo + 1)
      .findLast((item) => item.kind === "message" && item.message.from === this.self);
    if (ours?.kind !== "message") return;
    room.seen = ours.message.id;
    this.changed();
  }

  /** Replaces a message on the pane (edited, deleted, reacted to); one not on it stays in the store. */
  private revise(label: string, id: string, change: (message: UiMessage) => UiMessage): void {
    const room = this.rooms.get(label);
    const at = room?.items.findIndex((item) => item.kind === "message" && item.message.id === id) ?? -1;
    const item = room?.items[at];
    if (room === undefined || item?.kind !== "message") return;
    room.items = room.items.map((held, i) => (i === at ? { kind: "message", message: change(item.message) } : held));
    this.changed();
  }

  trusted(name: string): void {
    this.keyWarnings.delete(name);
    this.changed();
  }

  private message(message: UiMessage): void {
    const room = this.room(message.room);
    if (room.items.some((item) => item.kind === "message" && item.message.id === message.id)) return;
    room.items.push({ kind: "message", message });
    if (room.items.length > PANE_LIMIT) room.items.shift();
    room.typing.delete(message.from); // the message ends their typing
    const notable = message.from !== this.self && (mentions(message.text, this.self) || message.room.startsWith("@"));
    if (notable) this.alert(message);
    if (message.room !== this.current && message.from !== this.self) {
      room.unread++;
      if (notable) room.mentions++;
    }
    this.changed();
  }
}

/** Whether `text` names `self` as a word (`@alice`, `alice:`), as the terminal's highlight does. */
export function mentions(text: string, self: string): boolean {
  return new RegExp(`(^|[^a-z0-9_-])@?${self}($|[^a-z0-9_-])`, "i").test(text);
}

const sortKey = (item: PaneItem): number => (item.kind === "message" ? item.message.serverTs : item.at);
