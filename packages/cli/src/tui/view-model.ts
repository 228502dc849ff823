import {
  deviceChange,
  deviceRefusal,
  invitation,
  presenceKnownWhen,
  reactionCountsWith,
  shortId,
  TYPING_SHOWN_MS,
  type LinkState,
  type MemberInfo,
  type UiEvent,
  type UiMessage,
} from "@secure-chat/client";
import { formatHuman, sizeText } from "../format-human.js";
import { computeLayout, type Layout } from "./layout.js";
import type { SavedRoom } from "./saved-rooms.js";
import {
  atTop,
  entriesBelow,
  scrollBy,
  scrollToTop,
  type Entry,
  type PaneGeometry,
  type ScrollAnchor,
} from "./scrollback.js";

/**
 * The full-screen UI's state and the reducer that moves it: every client event, command reply
 * and user action is an action; `reduce` is pure, so each transition is a unit test.
 */

/** Entries kept per room; older ones are dropped (they stay in the local store: /history). */
export const MAX_SCROLLBACK = 10_000;

export type RoomKind = "open" | "invite" | "direct";

export interface MemberView {
  readonly name: string;
  readonly fingerprint: string;
}

export interface RoomView {
  readonly label: string;
  readonly kind: RoomKind;
  /** False once we were removed: the room stays listed, greyed, with its scrollback. */
  readonly joined: boolean;
  readonly entries: readonly Entry[];
  /** `n` of the next entry appended. */
  readonly nextN: number;
  /** Messages from others since the room was last shown. */
  readonly unread: number;
  /** Of those, mentions of you and private messages. */
  readonly highlights: number;
  /** Entries from this `n` on arrived while the room was not shown (the "new messages" separator). */
  readonly marker: number | undefined;
  readonly members: readonly MemberView[];
  /** Undefined: follow the newest line. */
  readonly scroll: ScrollAnchor | undefined;
  /** The local store's history was merged in (done the first time the room is shown). */
  readonly historyLoaded: boolean;
  /** Everything the local store has for this room is loaded (no older messages to fetch). */
  readonly historyComplete: boolean;
  /** Names whose key changed (new device) while they are in this room: verify out of band. */
  readonly keyWarnings: readonly string[];
  /** Who is typing here, and when their last notice came (local clock). */
  readonly typing: ReadonlyMap<string, number>;
  /** Select mode: the id of the picked message (its entry is marked `selected`). */
  readonly selected: string | undefined;
}

export interface TuiState {
  readonly phase: "starting" | "ready";
  readonly self: string;
  readonly fingerprint: string;
  readonly server: string;
  readonly cipherSuite: string;
  /** The client's link state, from its events (the status bar shows it). */
  readonly connection: LinkState;
  readonly rooms: ReadonlyMap<string, RoomView>;
  /** Room labels in list order; Alt+1 is order[0]. */
  readonly order: readonly string[];
  readonly current: string;
  readonly online: ReadonlySet<string>;
  readonly help: boolean;
  /** Counts mentions and private messages that should ring the bell. */
  readonly bell: number;
  readonly layout: Layout;
  /** The room list as it was at the last run: its order, and the rooms you had been removed from. */
  readonly savedRooms: readonly SavedRoom[];
}

export type TuiAction =
  | { type: "event"; event: UiEvent; now: number }
  | { type: "select"; room: string }
  | { type: "cycle"; delta: number }
  | { type: "select-index"; index: number }
  | { type: "next-activity" }
  | { type: "members"; room: string; members: readonly MemberInfo[] }
  | { type: "history"; room: string; messages: readonly UiMessage[]; complete: boolean }
  | { type: "scroll"; to: "page-up" | "page-down" | "top" | "bottom" }
  | { type: "resize"; cols: number; rows: number }
  | { type: "help"; open: boolean }
  /** Select mode: pick the message before or after the picked one in the shown room, or none. */
  | { type: "select-message"; move: "older" | "newer" | "clear" }
  /** Time passes: typing notices older than TYPING_SHOWN_MS are dropped. */
  | { type: "tick"; now: number };

export function initialState(options: {
  self: string;
  server: string;
  cols: number;
  rows: number;
  savedRooms?: readonly SavedRoom[];
}): TuiState {
  return {
    phase: "starting",
    self: options.self,
    fingerprint: "",
    server: options.server,
    cipherSuite: "",
    connection: "connecting",
    rooms: new Map(),
    order: [],
    current: "#lobby",
    online: new Set([options.self]),
    help: false,
    bell: 0,
    layout: computeLayout(options.cols, options.rows),
    savedRooms: options.savedRooms ?? [],
  };
}

export function roomKind(label: string): RoomKind {
  return label.startsWith("@") ? "direct" : label.startsWith("+") ? "invite" : "open";
}

function newRoom(label: string): RoomView {
  return {
    label,
    kind: roomKind(label),
    joined: true,
    entries: [],
    nextN: 0,
    unread: 0,
    highlights: 0,
    marker: undefined,
    members: [],
    scroll: undefined,
    historyLoaded: false,
    historyComplete: false,
    keyWarnings: [],
    typing: new Map(),
    selected: undefined,
  };
}

/** True when `text` names `self` as a word (`alice`, `@alice`, `Alice:`), not inside another word. */
export function mentions(text: string, self: string): boolean {
  if (self === "") return false;
  const escaped = self.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(?<![a-z0-9_-])@?${escaped}(?![a-z0-9_-])`, "i").test(text);
}

/** Sender name columns in the message pane for this room. */
export function nickWidth(room: RoomView, self: string): number {
  const longest = Math.max(self.length, ...room.members.map((m) => m.name.length));
  return Math.min(12, Math.max(6, longest));
}

export function paneGeometry(state: TuiState, room: RoomView): PaneGeometry {
  return { width: state.layout.paneWidth, height: state.layout.paneHeight, nickWidth: nickWidth(room, state.self) };
}

// ------------------------------------------------------------------ helpers on the state

function withRoom(state: TuiState, label: string, update: (room: RoomView) => RoomView): TuiState {
  const existing = state.rooms.get(label);
  const room = update(existing ?? newRoom(label));
  const rooms = new Map(state.rooms);
  rooms.set(label, room);
  return { ...state, rooms, order: existing === undefined ? [...state.order, label] : state.order };
}

function append(room: RoomView, entry: Omit<Entry, "n">): RoomView {
  let entries = [...room.entries, { ...entry, n: room.nextN }];
  if (entries.length > MAX_SCROLLBACK) entries = entries.slice(entries.length - MAX_SCROLLBACK);
  return { ...room, entries, nextN: room.nextN + 1 };
}

/** Adds a line to the room being looked at (command replies, errors, connection notices). */
function toCurrent(state: TuiState, entry: Omit<Entry, "n">): TuiState {
  return withRoom(state, state.current, (room) => append(room, entry));
}

/** Makes `label` the shown room: its counts are read; the room left behind loses its separator. */
function select(state: TuiState, label: string): TuiState {
  if (!state.rooms.has(label) || label === state.current) return state;
  const rooms = new Map(state.rooms);
  const previous = rooms.get(state.current);
  if (previous !== undefined) rooms.set(state.current, { ...previous, marker: undefined });
  const next = rooms.get(label);
  if (next !== undefined) rooms.set(label, { ...next, unread: 0, highlights: 0 });
  return { ...state, rooms, current: label, help: false };
}

function roomOrderKey(label: string): string {
  // #lobby first, then rooms by name, then private conversations by name.
  return label === "#lobby" ? "0" : label.startsWith("@") ? `2${label}` : `1${label.slice(1)}`;
}

/** The line a reply quotes: the message it answers if `shown` has it. */
function quoteOf(shown: readonly Omit<Entry, "n">[], replyTo: string | undefined): string | undefined {
  if (replyTo === undefined) return undefined;
  const quoted = shown.find((e) => e.kind === "message" && e.id === replyTo);
  if (quoted === undefined) return "an earlier message";
  return quoted.deleted === true
    ? `<${quoted.from ?? "?"}> (message deleted)`
    : `<${quoted.from ?? "?"}> ${quoted.text}`;
}

/** A message's scrollback entry, with what the history knows of it. */
function messageEntry(state: TuiState, shown: readonly Omit<Entry, "n">[], m: UiMessage): Omit<Entry, "n"> {
  const own = m.from === state.self;
  const quote = quoteOf(shown, m.replyTo);
  return {
    kind: "message",
    time: m.serverTs,
    text: m.file === undefined ? m.text : `[file ${m.file.name}, ${sizeText(m.file.size)}: /save ${shortId(m.id)}]`,
    from: m.from,
    own,
    mention: !own && m.deleted !== true && mentions(m.text, state.self),
    id: m.id,
    ...(m.replyTo === undefined ? {} : { replyTo: m.replyTo, quote }),
    ...(m.edited === true ? { edited: true } : {}),
    ...(m.deleted === true ? { deleted: true } : {}),
    ...(m.reactions === undefined ? {} : { reactions: m.reactions }),
  };
}

/** History entries with the lines their replies quote, from among themselves and what is shown. */
function withQuotes(older: Omit<Entry, "n">[], shown: readonly Entry[]): Omit<Entry, "n">[] {
  const all = [...older, ...shown];
  return older.map((e) => (e.replyTo === undefined ? e : { ...e, quote: quoteOf(all, e.replyTo) }));
}

/** Replaces the entry of message `id` in `label` (a new object: its wrapped lines are made again). */
function reviseMessage(state: TuiState, label: string, id: string, revise: (entry: Entry) => Entry): TuiState {
  const room = state.rooms.get(label);
  const index = room?.entries.findIndex((e) => e.kind === "message" && e.id === id) ?? -1;
  const entry = room?.entries[index];
  if (room === undefined || entry === undefined) return state;
  const entries = [...room.entries];
  entries[index] = revise(entry);
  return withRoom(state, label, (r) => ({ ...r, entries }));
}

/** The replies to message `id` quote it again (after an edit, or a delete: its old text goes from them too). */
function requote(state: TuiState, label: string, id: string): TuiState {
  const room = state.rooms.get(label);
  if (room === undefined || !room.entries.some((e) => e.replyTo === id)) return state;
  const entries = room.entries.map((e) => (e.replyTo === id ? { ...e, quote: quoteOf(room.entries, id) } : e));
  return withRoom(state, label, (r) => ({ ...r, entries }));
}

/** Room `label` with its typing names changed by `update` (a new map: the bars redraw). */
function withTyping(state: TuiState, label: string, update: (typing: Map<string, number>) => void): TuiState {
  if (!state.rooms.has(label)) return state;
  return withRoom(state, label, (room) => {
    const typing = new Map(room.typing);
    update(typing);
    return { ...room, typing };
  });
}

/** Moves select mode's pick in the shown room (messages only, not tombstones). */
function selectMessage(state: TuiState, move: "older" | "newer" | "clear"): TuiState {
  const label = state.current;
  const room = state.rooms.get(label);
  if (room === undefined) return state;
  const ids = room.entries.flatMap((e) =>
    e.kind === "message" && e.id !== undefined && e.deleted !== true ? [e.id] : [],
  );
  const at = room.selected === undefined ? ids.length : ids.indexOf(room.selected);
  const next = move === "clear" ? undefined : ids[move === "older" ? Math.max(0, at - 1) : at + 1];
  let updated = state;
  if (room.selected !== undefined)
    updated = reviseMessage(updated, label, room.selected, (e) => ({ ...e, selected: false }));
  if (next !== undefined) updated = reviseMessage(updated, label, next, (e) => ({ ...e, selected: true }));
  // The pick is kept on screen: its last row at the bottom of the pane (as if scrolled to it).
  const entry = next === undefined ? undefined : room.entries.find((e) => e.id === next);
  return withRoom(updated, label, (r) => ({
    ...r,
    selected: next,
    // Leaving the mode goes back to the newest line, where what was started there will show.
    scroll: entry === undefined ? undefined : { n: entry.n, line: Number.MAX_SAFE_INTEGER },
  }));
}

/** Marks `seen` our last message at or before message `id` (the peer has been shown everything up to it). */
function markSeen(state: TuiState, label: string, id: string): TuiState {
  const room = state.rooms.get(label);
  if (room === undefined) return state;
  const upTo = room.entries.findIndex((e) => e.kind === "message" && e.id === id);
  if (upTo < 0) return state;
  let ours = upTo;
  while (ours >= 0 && !(room.entries[ours]?.kind === "message" && room.entries[ours]?.own === true)) ours--;
  const entries = room.entries.map((e, i) => {
    const seen = i === ours;
    return (e.seen === true) === seen ? e : { ...e, seen };
  });
  return withRoom(state, label, (r) => ({ ...r, entries }));
}

function onMessage(state: TuiState, event: UiMessage): TuiState {
  const own = event.from === state.self;
  const direct = roomKind(event.room) === "direct";
  const mention = !own && mentions(event.text, state.self);
  const shown = state.phase === "ready" && event.room === state.current;
  let next = withRoom(state, event.room, (room) => {
    // The client already drops replays and duplicates; history merges skip what is here.
    let updated = append(room, messageEntry(state, room.entries, event));
    if (room.typing.has(event.from)) {
      const typing = new Map(room.typing);
      typing.delete(event.from);
      updated = { ...updated, typing };
    }
    if (!own && !shown) {
      updated = {
        ...updated,
        unread: updated.unread + 1,
        highlights: updated.highlights + (mention || direct ? 1 : 0),
        marker: updated.marker ?? updated.nextN - 1,
      };
    }
    return updated;
  });
  if (!own && (mention || direct) && state.phase === "ready") next = { ...next, bell: next.bell + 1 };
  return next;
}

function onInvitation(state: TuiState, label: string, by: string, now: number): TuiState {
  if (state.phase === "ready" && label === state.current) return state;
  const marked = withRoom(state, label, (room) => ({
    ...room,
    unread: room.unread + 1,
    highlights: room.highlights + 1,
    marker: room.marker ?? room.nextN - 1,
  }));
  const told = toCurrent(marked, { kind: "notice", time: now, text: invitation(label, by) });
  return state.phase === "ready" ? { ...told, bell: told.bell + 1 } : told;
}

function onEvent(state: TuiState, event: UiEvent, now: number): TuiState {
  switch (event.type) {
    case "message":
      return onMessage(state, event);
    case "reaction":
      return reviseMessage(state, event.room, event.id, (e) => ({
        ...e,
        reactions: reactionCountsWith(e.reactions ?? [], event.emoji, event.from, event.removed),
      }));
    case "edit":
      return requote(
        reviseMessage(state, event.room, event.id, (e) => ({ ...e, text: event.text, edited: true })),
        event.room,
        event.id,
      );
    case "delete":
      return requote(
        reviseMessage(state, event.room, event.id, (e) => {
          const tombstone: { -readonly [K in keyof Entry]: Entry[K] } = {
            ...e,
            text: "",
            deleted: true,
            mention: false,
          };
          delete tombstone.reactions;
          return tombstone;
        }),
        event.room,
        event.id,
      );
    case "typing":
      return withTyping(state, event.room, (typing) => typing.set(event.from, now));
    case "seen":
      return markSeen(state, event.room, event.id);
    case "unsupported":
      return withRoom(state, event.room, (room) =>
        append(room, {
          kind: "notice",
          time: now,
          text: `${event.from} sent ${event.what}, which this version can't show`,
        }),
      );
    case "ready": {
      let known = state;
      // A room you were removed from stays listed, greyed: its history is still in the store.
      for (const saved of state.savedRooms) {
        if (!saved.joined && !known.rooms.has(saved.room)) {
          known = withRoom(known, saved.room, (room) => ({ ...room, joined: false }));
        }
      }
      // Rooms keep the numbers they had (as in irssi); rooms new since then follow in the usual order.
      const position = new Map(state.savedRooms.map((saved, i) => [saved.room, i]));
      const order = [...known.order].sort(
        (a, b) =>
          (position.get(a) ?? Infinity) - (position.get(b) ?? Infinity) ||
          roomOrderKey(a).localeCompare(roomOrderKey(b)),
      );
      let next: TuiState = {
        ...known,
        phase: "ready",
        self: event.name,
        fingerprint: event.fingerprint,
        server: event.server,
        cipherSuite: event.cipherSuite,
        order,
      };
      if (!next.rooms.has(event.room)) next = withRoom(next, event.room, (room) => room);
      // What came in while we were away stays marked as new; the shown room is read now.
      return withRoom({ ...next, current: event.room }, event.room, (room) => ({ ...room, unread: 0, highlights: 0 }));
    }
    case "presence": {
      const online = new Set(state.online);
      if (event.online) online.add(event.name);
      else online.delete(event.name);
      return { ...state, online };
    }
    case "member": {
      const how =
        event.change === "joined"
          ? `joined ${event.room}`
          : event.change === "left"
            ? `left ${event.room}`
            : `was removed from ${event.room} by ${event.by}`;
      return withRoom(state, event.room, (room) => {
        const members =
          event.change === "joined"
            ? [
                ...room.members.filter((m) => m.name !== event.name),
                { name: event.name, fingerprint: event.fingerprint },
              ]
            : room.members.filter((m) => m.name !== event.name);
        return append(
          { ...room, members: members.sort((a, b) => a.name.localeCompare(b.name)) },
          {
            kind: event.change === "joined" ? "join" : "part",
            time: now,
            text: `${event.name} ${how} (key ${event.fingerprint})`,
            from: event.name,
          },
        );
      });
    }
    case "room": {
      const by = event.by === undefined ? "" : ` by ${event.by}`;
      if (event.change === "left") {
        if (!state.rooms.has(event.room)) return state;
        const rooms = new Map(state.rooms);
        rooms.delete(event.room);
        const order = state.order.filter((label) => label !== event.room);
        const current = state.current === event.room ? (order[0] ?? "#lobby") : state.current;
        const next = { ...state, rooms, order, current };
        return toCurrent(next, { kind: "notice", time: now, text: `you left ${event.room}` });
      }
      if (event.change === "removed") {
        return withRoom(state, event.room, (room) =>
          append(
            { ...room, joined: false, members: [] },
            { kind: "warning", time: now, text: `you were removed from ${event.room}${by}; you can no longer read it` },
          ),
        );
      }
      if (event.change === "rejoined") {
        return withRoom(state, event.room, (room) =>
          append(room, {
            kind: "boundary",
            time: now,
            text: `you rejoined ${event.room}: your copy could not follow a change sent${by} · messages sent meanwhile can't be read`,
          }),
        );
      }
      const who = event.by === undefined ? `you ${event.change}` : `${event.by} added you to`;
      const joinedRoom = withRoom(state, event.room, (room) =>
        append(
          { ...room, joined: true },
          {
            kind: "boundary",
            time: now,
            text: `${who} ${event.room} · MLS: nothing from before this can be read`,
          },
        ),
      );
      // An invitation is news for you, like a private message: said where you are, the room marked.
      // (A private conversation someone started is marked by its first message, right after.)
      if (event.by === undefined || roomKind(event.room) === "direct") return joinedRoom;
      return onInvitation(joinedRoom, event.room, event.by, now);
    }
    case "link":
      return { ...state, connection: event.state };
    case "connection": {
      const connected = event.state === "connected";
      return toCurrent(state, {
        kind: connected ? "notice" : "error",
        time: now,
        text: connected ? `reconnected to ${state.server}` : "connection lost; reconnecting…",
      });
    }
    case "key_changed": {
      const text = `${event.name}'s key changed: pinned ${event.pinned}, now ${event.presented}. The server says this is a new device; verify with ${event.name} out of band (/fingerprint ${event.name}), then /trust ${event.name}; until then nothing is sent to the new key.`;
      let next = state;
      for (const [label, room] of state.rooms) {
        if (label !== state.current && !room.members.some((m) => m.name === event.name)) continue;
        next = withRoom(next, label, (r) =>
          append(
            { ...r, keyWarnings: r.keyWarnings.includes(event.name) ? r.keyWarnings : [...r.keyWarnings, event.name] },
            { kind: "warning", time: now, text },
          ),
        );
      }
      return next === state ? toCurrent(state, { kind: "warning", time: now, text }) : next;
    }
    case "device":
      return withRoom(state, event.room, (room) =>
        append(room, { kind: "notice", time: now, text: deviceChange(event) }),
      );
    case "device_refused":
      return toCurrent(state, { kind: "warning", time: now, text: deviceRefusal(event) });
    case "error": {
      // A request while the link is down fails as DISCONNECTED, but the client keeps
      // reconnecting: say that, not the word the status bar uses for a link given up.
      const text =
        event.code === "DISCONNECTED" && state.connection !== "closed"
          ? "offline: reconnecting…; try again once connected"
          : `${event.code}: ${event.message}`;
      return toCurrent(state, { kind: "error", time: now, text });
    }
    case "who": {
      const next = withRoom(state, event.room, (room) => ({
        ...room,
        members: event.members.map((m) => ({ name: m.name, fingerprint: m.fingerprint })),
      }));
      return notices(next, event, now);
    }
    case "history":
      // One line per message, each at the time the server stored it, not at the time of the reply.
      return notices(
        state,
        event,
        now,
        event.messages.map((m) => m.serverTs),
      );
    case "seen_by":
    case "online":
    case "rooms":
    case "fingerprint":
    case "devices":
    case "device_link":
    case "info":
      return notices(state, event, now);
  }
}

/** A command reply, in the line mode's words, as notices in the shown room; `times[i]` is line i's time. */
function notices(state: TuiState, event: UiEvent, now: number, times: readonly number[] = []): TuiState {
  let next = state;
  formatHuman(event, now).forEach((line, i) => {
    const text = line.replace(/^\[\d\d:\d\d\] /, "");
    next = toCurrent(next, { kind: "notice", time: times[i] ?? now, text });
  });
  return next;
}

function onHistory(state: TuiState, action: Extract<TuiAction, { type: "history" }>): TuiState {
  if (!state.rooms.has(action.room)) return state;
  return withRoom(state, action.room, (room) => {
    const known = new Set(room.entries.flatMap((e) => (e.id === undefined ? [] : [`${e.from} ${e.id}`])));
    const older = action.messages.filter((m) => !known.has(`${m.from} ${m.id}`));
    const room0: Omit<Entry, "n">[] = [];
    const hasBoundary = room.entries[0]?.kind === "boundary";
    if (action.complete && !(hasBoundary && older.length === 0)) {
      room0.push({
        kind: "boundary",
        time: older[0]?.serverTs ?? 0,
        text: `start of ${action.room} on this device · MLS: nothing from before you joined can be read`,
      });
    }
    const added: Omit<Entry, "n">[] = [
      ...room0,
      ...withQuotes(
        older.map((m) => messageEntry(state, [], m)),
        room.entries,
      ),
    ];
    const firstN = (room.entries[0]?.n ?? room.nextN) - added.length;
    const entries = [...added.map((e, i) => ({ ...e, n: firstN + i })), ...room.entries].slice(-MAX_SCROLLBACK);
    return { ...room, entries, historyLoaded: true, historyComplete: action.complete };
  });
}

function cycle(state: TuiState, delta: number): TuiState {
  const at = state.order.indexOf(state.current);
  if (state.order.length === 0) return state;
  const index = (((at + delta) % state.order.length) + state.order.length) % state.order.length;
  return select(state, state.order[index] ?? state.current);
}

/** The next room with highlights, else the next with unread messages, after the current one. */
function nextActivity(state: TuiState): TuiState {
  const at = state.order.indexOf(state.current);
  const rotated = [...state.order.slice(at + 1), ...state.order.slice(0, Math.max(0, at))];
  const pick =
    rotated.find((label) => (state.rooms.get(label)?.highlights ?? 0) > 0) ??
    rotated.find((label) => (state.rooms.get(label)?.unread ?? 0) > 0);
  return pick === undefined ? state : select(state, pick);
}

function scroll(state: TuiState, to: Extract<TuiAction, { type: "scroll" }>["to"]): TuiState {
  const room = state.rooms.get(state.current);
  if (room === undefined) return state;
  const geometry = paneGeometry(state, room);
  const page = Math.max(1, geometry.height - 2);
  const anchor =
    to === "bottom"
      ? undefined
      : to === "top"
        ? scrollToTop(room, geometry)
        : scrollBy(room, to === "page-up" ? -page : page, geometry);
  return withRoom(state, state.current, (r) => ({ ...r, scroll: anchor }));
}

export function reduce(state: TuiState, action: TuiAction): TuiState {
  switch (action.type) {
    case "event":
      return onEvent(state, action.event, action.now);
    case "select":
      return select(state, action.room);
    case "cycle":
      return cycle(state, action.delta);
    case "select-index": {
      const label = state.order[action.index];
      return label === undefined ? state : select(state, label);
    }
    case "next-activity":
      return nextActivity(state);
    case "members":
      return withRoom(state, action.room, (room) => ({
        ...room,
        joined: true,
        members: action.members.map((m) => ({ name: m.name, fingerprint: m.fingerprint })),
      }));
    case "history":
      return onHistory(state, action);
    case "scroll":
      return scroll(state, action.to);
    case "resize":
      return { ...state, layout: computeLayout(action.cols, action.rows) };
    case "select-message":
      return selectMessage(state, action.move);
    case "tick": {
      let next = state;
      for (const [label, room] of state.rooms) {
        if ([...room.typing.values()].some((at) => action.now - at >= TYPING_SHOWN_MS)) {
          next = withTyping(next, label, (typing) => {
            for (const [name, at] of typing) if (action.now - at >= TYPING_SHOWN_MS) typing.delete(name);
          });
        }
      }
      return next;
    }
    case "help":
      return { ...state, help: action.open };
  }
}

// ------------------------------------------------------------------ derived views

export interface RoomListItem {
  readonly number: number;
  readonly label: string;
  readonly current: boolean;
  readonly unread: number;
  readonly highlights: number;
  readonly joined: boolean;
}

/**
 * The rows of the room list for `height` rows: a window that keeps the current room visible,
 * with the number of rooms (and of rooms with activity) hidden above and below.
 */
export function roomListView(
  state: TuiState,
  height: number,
): { items: RoomListItem[]; above: number; below: number; activityAbove: number; activityBelow: number } {
  const all = state.order.map((label, i) => {
    const room = state.rooms.get(label);
    return {
      number: i + 1,
      label,
      current: label === state.current,
      unread: room?.unread ?? 0,
      highlights: room?.highlights ?? 0,
      joined: room?.joined ?? false,
    };
  });
  if (all.length <= height) return { items: all, above: 0, below: 0, activityAbove: 0, activityBelow: 0 };
  const at = Math.max(0, state.order.indexOf(state.current));
  // One row each for the "more above" / "more below" indicators when they are needed.
  const rows = Math.max(1, height - 2);
  const start = Math.min(Math.max(0, at - Math.floor(rows / 2)), all.length - rows);
  const items = all.slice(start, start + rows);
  const active = (item: RoomListItem): boolean => item.unread > 0;
  return {
    items,
    above: start,
    below: all.length - start - items.length,
    activityAbove: all.slice(0, start).filter(active).length,
    activityBelow: all.slice(start + rows).filter(active).length,
  };
}

/** Whether the online set is current (see presenceKnownWhen). */
export function presenceKnown(state: TuiState): boolean {
  return presenceKnownWhen(state.connection);
}

/** Members of the shown room, online first, then by name; `online` undefined: not known now. */
export function memberListView(state: TuiState): { name: string; online: boolean | undefined; self: boolean }[] {
  const room = state.rooms.get(state.current);
  const known = presenceKnown(state);
  return (room?.members ?? [])
    .map((m) => ({ name: m.name, online: known ? state.online.has(m.name) : undefined, self: m.name === state.self }))
    .sort((a, b) => Number(b.online === true) - Number(a.online === true) || a.name.localeCompare(b.name));
}

/** The room list to keep for the next run. */
export function roomsToSave(state: TuiState): SavedRoom[] {
  return state.order.map((room) => ({ room, joined: state.rooms.get(room)?.joined ?? false }));
}

/** Short form of the cipher suite for the status bar. */
export function suiteShortName(suite: string): string {
  if (suite.includes("XWING")) return "X-Wing";
  if (suite.includes("X25519")) return "X25519";
  return suite;
}

export function scrollInfo(state: TuiState): { below: number; atTop: boolean } {
  const room = state.rooms.get(state.current);
  if (room === undefined) return { below: 0, atTop: true };
  return { below: entriesBelow(room), atTop: atTop(room, paneGeometry(state, room)) };
}
