import {
  errorCode,
  errorMessage,
  parseCommand,
  shortId,
  TYPING_SHOWN_MS,
  uiMessage,
  type ChatClient,
  type Command,
  type MemberInfo,
  type MessageEvent,
  type SessionOutcome,
  type UiEvent,
} from "@secure-chat/client";
import { groupOfLabel, roomLabel, type GroupId, type UserName } from "@secure-chat/protocol";
import { candidateText, completionsAt, type CompletionCycle, type CompletionContext } from "./completion.js";
import { bindKey, bindSelectKey, type EditOp, type Intent } from "./key-bindings.js";
import { decodeToken, initialDecoder, type DecoderState, type KeyEvent } from "./keys.js";
import * as editor from "./line-editor.js";
import { atTop } from "./scrollback.js";
import type { SavedRoom } from "./saved-rooms.js";
import {
  initialState,
  paneGeometry,
  reduce,
  roomsToSave,
  MAX_SCROLLBACK,
  type TuiAction,
  type TuiState,
} from "./view-model.js";

/**
 * Glue between the chat client, the command session, the keyboard and the view: it feeds events
 * and keys through the pure reducers, runs commands one after another (so messages keep the
 * order they were typed in), and publishes snapshots that the terminal driver draws (run-tui.ts).
 */

/** What the controller uses of `ChatClient`. */
export interface ClientPort {
  who(groupId: GroupId): MemberInfo[];
  typing(groupId: GroupId): Promise<void>;
  seen(groupId: GroupId, id: string): Promise<void>;
  joinedRooms(): GroupId[];
  history(groupId: GroupId, limit: number): Promise<MessageEvent[]>;
  rooms: ChatClient["rooms"];
}

/** What the controller uses of `ChatSession`: commands run in the room the UI shows. */
export interface SessionPort {
  run(command: Command, room: string): Promise<SessionOutcome>;
}

export interface Snapshot {
  readonly view: TuiState;
  readonly editor: editor.EditorState;
  /** Bumped by Ctrl+L and resizes so the screen is drawn again from scratch. */
  readonly generation: number;
}

export interface ControllerOptions {
  self: UserName;
  server: string;
  cols: number;
  rows: number;
  client: ClientPort;
  /** Ring the terminal bell on mentions and private messages. */
  bell: boolean;
  ringBell: () => void;
  /** Called once, after every command typed before /quit has run. */
  onQuit: () => void;
  now?: () => number;
  /** The room list of the last run, and where to keep this one's (numbers and removed rooms). */
  savedRooms?: readonly SavedRoom[];
  saveRooms?: (rooms: readonly SavedRoom[]) => void;
}

/** Messages loaded from the local store per step (first view of a room, then when scrolled to the top). */
export const HISTORY_PAGE = 1_000;

/** Pages of the server's room list read for Tab completion (100 rooms a page). */
export const COMPLETION_ROOM_PAGES = 10;

/** Commands that act on the current room: refused if the shown room is not one you are in. */
const roomCommands = new Set<Command["kind"]>(["text", "leave", "invite", "kick", "history"]);

export class TuiController {
  private view: TuiState;
  private edit: editor.EditorState = editor.emptyEditor;
  private decoder: DecoderState = initialDecoder;
  private cycle: CompletionCycle | undefined;
  private session: SessionPort | undefined;
  private snapshot: Snapshot;
  private generation = 0;
  private readonly listeners = new Set<() => void>();
  private chain: Promise<void> = Promise.resolve();
  private quitting = false;
  private bellsRung = 0;
  private deferred: UiEvent[] | undefined;
  private readonly now: () => number;
  private savedList: string;
  /** The server's open rooms, for Tab completion of /join (read at the start, again on each Tab there). */
  private serverRooms: readonly string[] = [];
  private readingRooms = false;

  constructor(private readonly options: ControllerOptions) {
    this.now = options.now ?? Date.now;
    this.view = initialState(options);
    this.savedList = JSON.stringify(options.savedRooms ?? []);
    this.snapshot = { view: this.view, editor: this.edit, generation: 0 };
  }

  // ------------------------------------------------------------ store for React (useSyncExternalStore)

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): Snapshot => this.snapshot;

  private publish(): void {
    if (
      this.snapshot.view === this.view &&
      this.snapshot.editor === this.edit &&
      this.snapshot.generation === this.generation
    ) {
      return;
    }
    this.snapshot = { view: this.view, editor: this.edit, generation: this.generation };
    for (const listener of this.listeners) listener();
  }

  private dispatch(action: TuiAction): void {
    const before = this.view;
    this.view = reduce(this.view, action);
    if (this.view.bell > this.bellsRung) {
      this.bellsRung = this.view.bell;
      if (this.options.bell) this.options.ringBell();
    }
    if (before.current !== this.view.current) {
      this.loadHistory(this.view.current);
      this.tellSeen();
    }
  }

  /** The room on screen has shown its last message from someone else (a room's receipt is spaced out). */
  private tellSeen(): void {
    const label = this.view.current;
    const groupId = this.joinedGroup(label);
    if (groupId === undefined || this.view.phase !== "ready") return;
    const last = this.view.rooms.get(label)?.entries.findLast((e) => e.kind === "message" && e.own !== true);
    if (last?.id !== undefined) void this.options.client.seen(groupId, last.id);
  }

  /** "bob is typing…" goes once his notices stop: a tick after the longest it is shown. */
  private expireTyping(): void {
    const timer = setTimeout(() => {
      this.dispatch({ type: "tick", now: this.now() });
      this.publish();
    }, TYPING_SHOWN_MS + 100);
    timer.unref?.();
  }

  get state(): TuiState {
    return this.view;
  }

  get editorState(): editor.EditorState {
    return this.edit;
  }

  attach(session: SessionPort): void {
    this.session = session;
  }

  // ------------------------------------------------------------ client events and command replies

  /** The sink for every client event and command reply. */
  readonly event = (event: UiEvent): void => {
    // Every room we are in is listed before `ready` puts the list in order.
    if (event.type === "ready") {
      for (const groupId of this.options.client.joinedRooms()) this.refreshMembers(this.label(groupId));
    }
    this.dispatch({ type: "event", event, now: this.now() });
    if (event.type === "typing") this.expireTyping();
    if (event.type === "message" && event.room === this.view.current) this.tellSeen();
    if (event.type === "ready") {
      this.loadHistory(this.view.current);
      this.readServerRooms();
    } else if (event.type === "room" && (event.change === "joined" || event.change === "created")) {
      this.refreshMembers(event.room);
      if (event.room === this.view.current) this.loadHistory(event.room);
    }
    if (event.type === "ready" || event.type === "room") this.saveRooms();
    this.publish();
  };

  /** Keeps the room list for the next run when it changed (rooms come and go rarely). */
  private saveRooms(): void {
    if (this.view.phase !== "ready") return;
    const rooms = roomsToSave(this.view);
    const list = JSON.stringify(rooms);
    if (list === this.savedList) return;
    this.savedList = list;
    this.options.saveRooms?.(rooms);
  }

  /**
   * The sink for the session's replies. Replies to /join wait until the UI has switched to the
   * joined room, so "now talking in #dev" shows in #dev rather than in the room left behind.
   */
  readonly reply = (event: UiEvent): void => {
    if (this.deferred !== undefined) this.deferred.push(event);
    else this.event(event);
  };

  private label(groupId: GroupId): string {
    return roomLabel(groupId, this.options.self);
  }

  /** The group a shown room is, if we are in it. */
  private joinedGroup(label: string): GroupId | undefined {
    const groupId = groupOfLabel(label, this.options.self);
    return groupId !== undefined && this.options.client.joinedRooms().includes(groupId) ? groupId : undefined;
  }

  private refreshMembers(label: string): void {
    const groupId = this.joinedGroup(label);
    if (groupId === undefined) return;
    this.dispatch({ type: "members", room: label, members: this.options.client.who(groupId) });
    // The client's own view of who is online is the authority for these names.
    for (const member of this.options.client.who(groupId)) {
      if (member.online !== this.view.online.has(member.name)) {
        this.dispatch({
          type: "event",
          event: { type: "presence", name: member.name, online: member.online },
          now: this.now(),
        });
      }
    }
  }

  /** Merges the local store's history of `label` the first time it is shown, and older pages on demand. */
  private loadHistory(label: string, more = false): void {
    const room = this.view.rooms.get(label);
    if (room === undefined || (room.historyLoaded && !more) || room.historyComplete) return;
    // Also for a room we were removed from: what was stored before stays readable.
    const groupId = groupOfLabel(label, this.options.self);
    if (groupId === undefined) return;
    const messages = room.entries.filter((e) => e.kind === "message").length;
    const limit = Math.min(MAX_SCROLLBACK, (more ? messages : 0) + HISTORY_PAGE);
    // Loads run in the command chain, one at a time, so pages land in the order asked for.
    this.chain = this.chain.then(async () => {
      // A load that fails (a saved message that does not authenticate) is shown like a failed
      // command, and the chain goes on: a rejected chain would run no command typed after it.
      const history = await this.options.client.history(groupId, limit).catch((error: unknown) => {
        this.event({ type: "error", code: errorCode(error), message: errorMessage(error) });
        return undefined;
      });
      if (history === undefined) return;
      const shown = history.map((m) => uiMessage(m, this.options.self));
      this.dispatch({ type: "history", room: label, messages: shown, complete: history.length < limit });
      this.publish();
    });
  }

  // ------------------------------------------------------------ terminal

  resize(cols: number, rows: number): void {
    this.dispatch({ type: "resize", cols, rows });
    this.generation++;
    this.publish();
  }

  /** One token of terminal input, as `splitInput` splits it. */
  readonly onInput = (token: string): void => {
    const decoded = decodeToken(this.decoder, token);
    this.decoder = decoded.state;
    for (const key of decoded.events) this.key(key);
    this.publish();
  };

  key(event: KeyEvent): void {
    const selecting = this.view.rooms.get(this.view.current)?.selected !== undefined;
    const picked = selecting ? bindSelectKey(event) : undefined;
    if (selecting && picked === undefined) this.dispatch({ type: "select-message", move: "clear" });
    const intent = picked ?? bindKey(event, this.view.help);
    if (intent.kind !== "complete") this.cycle = undefined;
    this.apply(intent);
  }

  private apply(intent: Intent): void {
    switch (intent.kind) {
      case "insert": {
        this.edit = editor.insert(this.edit, intent.text);
        const groupId = this.joinedGroup(this.view.current);
        if (groupId !== undefined && !this.edit.text.startsWith("/")) void this.options.client.typing(groupId);
        return;
      }
      case "edit":
        this.edit = editOps[intent.op](this.edit);
        return;
      case "submit":
        this.submit();
        return;
      case "complete":
        this.complete(intent.reverse);
        return;
      case "history":
        this.edit = intent.direction === "prev" ? editor.historyPrev(this.edit) : editor.historyNext(this.edit);
        return;
      case "room":
        if (intent.to === "activity") this.dispatch({ type: "next-activity" });
        else this.dispatch({ type: "cycle", delta: intent.to === "next" ? 1 : -1 });
        return;
      case "room-number":
        this.dispatch({ type: "select-index", index: intent.index });
        return;
      case "scroll":
        this.dispatch({ type: "scroll", to: intent.to });
        this.loadOlderAtTop();
        return;
      case "help":
        this.dispatch({ type: "help", open: intent.open === "toggle" ? !this.view.help : intent.open });
        return;
      case "redraw":
        this.generation++;
        return;
      case "quit-if-empty":
        if (this.edit.text === "") this.quit();
        return;
      case "quit":
        this.quit();
        return;
      case "select":
        this.dispatch({ type: "select-message", move: intent.move });
        return;
      case "select-act":
        this.actOnSelected(intent.act);
        return;
      case "none":
        return;
    }
  }

  /** Puts the command for the picked message in the input line, to finish and send with Enter. */
  private actOnSelected(act: "reply" | "edit" | "delete" | "react"): void {
    const room = this.view.rooms.get(this.view.current);
    const entry = room?.entries.find((e) => e.kind === "message" && e.id === room.selected);
    this.dispatch({ type: "select-message", move: "clear" });
    if (entry?.id === undefined) return;
    const id = shortId(entry.id);
    const line = {
      reply: `/reply ${id} `,
      edit: `/edit ${id} ${entry.text}`,
      delete: `/delete ${id}`,
      react: `/react ${id} `,
    }[act];
    this.edit = editor.insert({ ...this.edit, text: "", cursor: 0, historyIndex: undefined }, line);
  }

  private loadOlderAtTop(): void {
    const room = this.view.rooms.get(this.view.current);
    if (room === undefined || room.historyComplete || !room.historyLoaded) return;
    if (room.entries.length >= MAX_SCROLLBACK) return;
    if (atTop(room, paneGeometry(this.view, room))) this.loadHistory(this.view.current, true);
  }

  /**
   * Reads the server's open rooms into `serverRooms`, a page at a time. Nothing is said when
   * it fails (offline, say): Tab then offers the rooms you are in, as it would anyway.
   */
  private readServerRooms(): void {
    if (this.readingRooms) return;
    this.readingRooms = true;
    void (async () => {
      const labels: string[] = [];
      let after: GroupId | undefined;
      for (let page = 0; page < COMPLETION_ROOM_PAGES; page++) {
        const { rooms, next } = await this.options.client.rooms(after);
        for (const room of rooms) if (room.kind === "open") labels.push(this.label(room.groupId));
        if (next === undefined) break;
        after = next;
      }
      this.serverRooms = labels;
    })()
      .catch(() => undefined)
      .finally(() => (this.readingRooms = false));
  }

  private complete(reverse: boolean): void {
    const cycle = this.cycle;
    if (cycle !== undefined && cycle.text === this.edit.text && cycle.cursor === this.edit.cursor) {
      const index = cycle.index + (reverse ? -1 : 1);
      const previous = candidateText(cycle.completion, cycle.index);
      // Put the original word back, then insert the next candidate.
      const start = cycle.completion.start;
      const restored = { ...this.edit, cursor: start + previous.length };
      this.edit = editor.replaceBeforeCursor(restored, start, candidateText(cycle.completion, index));
      this.cycle = { ...cycle, index, text: this.edit.text, cursor: this.edit.cursor };
      return;
    }
    const context = this.completionContext();
    const completion = completionsAt(this.edit.text, this.edit.cursor, context);
    // Rooms come and go on the server: the list is read again for the next Tab.
    if (completion?.rooms === true) this.readServerRooms();
    if (completion === undefined) return;
    const index = reverse ? completion.candidates.length - 1 : 0;
    this.edit = editor.replaceBeforeCursor(this.edit, completion.start, candidateText(completion, index));
    this.cycle = { completion, index, text: this.edit.text, cursor: this.edit.cursor };
  }

  private completionContext(): CompletionContext {
    const view = this.view;
    const members = (view.rooms.get(view.current)?.members ?? []).map((m) => m.name);
    const names = new Set<string>(view.online);
    for (const room of view.rooms.values()) for (const m of room.members) names.add(m.name);
    for (const label of view.order) if (label.startsWith("@")) names.add(label.slice(1));
    return { rooms: view.order, serverRooms: this.serverRooms, members, names: [...names].sort(), self: view.self };
  }

  // ------------------------------------------------------------ commands

  private submit(): void {
    const { state, line } = editor.submit(this.edit);
    if (line.trim() === "") return;
    this.edit = state;
    // A multi-line paste is a message even if it starts with "/" (the line mode's "//" escape).
    const text = line.includes("\n") && line.startsWith("/") && !line.startsWith("//") ? `/${line}` : line;
    const command = parseCommand(text);
    if (command.kind === "help") {
      this.dispatch({ type: "help", open: true });
      return;
    }
    if (command.kind === "quit") {
      this.quit();
      return;
    }
    const room = this.view.current;
    const session = this.session;
    if (session === undefined) return;
    this.chain = this.chain.then(async () => {
      const needsRoom = roomCommands.has(command.kind) || (command.kind === "who" && !command.all);
      if (needsRoom && this.joinedGroup(room) === undefined) {
        this.event({ type: "error", code: "NOT_IN_ROOM", message: `you are not in ${room}` });
        return;
      }
      if (command.kind === "join") this.deferred = [];
      const outcome = await session.run(command, room); // never throws: failures are error events
      if (outcome?.kind === "focus" && this.view.rooms.has(outcome.room)) {
        this.dispatch({ type: "select", room: outcome.room });
        this.publish();
      }
      const replies = this.deferred ?? [];
      this.deferred = undefined;
      replies.forEach(this.event);
      if (outcome?.kind === "quit") this.quit();
    });
  }

  /** Ends the program once every command already typed has run (like /quit in line mode). */
  quit(): void {
    if (this.quitting) return;
    this.quitting = true;
    void this.chain.then(() => this.options.onQuit());
  }

  /** Resolves when every command typed so far has run (for tests). */
  idle(): Promise<void> {
    return this.chain;
  }
}

const editOps: Record<EditOp, (state: editor.EditorState) => editor.EditorState> = {
  backspace: editor.backspace,
  delete: editor.deleteForward,
  left: editor.left,
  right: editor.right,
  home: editor.home,
  end: editor.end,
  "word-left": editor.wordLeft,
  "word-right": editor.wordRight,
  "kill-to-start": editor.killToStart,
  "kill-to-end": editor.killToEnd,
  "delete-word": editor.deleteWordBack,
};
