import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ClientError,
  type Command,
  type MemberInfo,
  type MessageEvent,
  type RoomListing,
  type SessionOutcome,
  type UiEvent,
} from "@secure-chat/client";
import { groupOfLabel, type GroupId, type UserName } from "@secure-chat/protocol";
import { TuiController, type ClientPort, type SessionPort } from "../src/tui/controller.js";
import type { SavedRoom } from "../src/tui/saved-rooms.js";
import { message } from "./tui-fixtures.js";

class FakeClient implements ClientPort {
  joined = new Set<string>(["#lobby"]);
  stored = new Map<string, MessageEvent[]>();
  historyCalls: [string, number][] = [];
  /** The typing notices and receipts the UI asked for. */
  notices: string[] = [];
  typing(groupId: GroupId): Promise<void> {
    this.notices.push(`typing ${groupId}`);
    return Promise.resolve();
  }
  seen(groupId: GroupId, id: string): Promise<void> {
    this.notices.push(`seen ${groupId} ${id}`);
    return Promise.resolve();
  }
  who(groupId: GroupId): MemberInfo[] {
    return groupId === "#lobby"
      ? [
          { name: "alice" as UserName, online: true, fingerprint: "aaaa" },
          { name: "bob" as UserName, online: true, fingerprint: "bbbb" },
        ]
      : [{ name: "alice" as UserName, online: true, fingerprint: "aaaa" }];
  }
  joinedRooms(): GroupId[] {
    return [...this.joined] as GroupId[];
  }
  /** Rooms whose stored history fails to read, as a tampered state file's would. */
  unreadable = new Set<string>();
  history(groupId: GroupId, limit: number): Promise<MessageEvent[]> {
    this.historyCalls.push([groupId, limit]);
    if (this.unreadable.has(groupId)) {
      return Promise.reject(new ClientError("STATE_CORRUPT", `a saved message in ${groupId} does not authenticate`));
    }
    return Promise.resolve((this.stored.get(groupId) ?? []).slice(-limit));
  }
  /** The server's room list, in pages of two; undefined: offline. */
  listed: string[] | undefined = ["#lobby", "#ops", "#oracle", "+hidden"];
  roomPages: (string | undefined)[] = [];
  rooms(after?: GroupId): Promise<{ rooms: RoomListing[]; next: GroupId | undefined }> {
    this.roomPages.push(after);
    const listed = this.listed;
    if (listed === undefined) return Promise.reject(new ClientError("DISCONNECTED", "not connected"));
    const from = after === undefined ? 0 : listed.indexOf(after) + 1;
    const page = listed.slice(from, from + 2).map((id): RoomListing => ({
      groupId: id as GroupId,
      members: 1,
      joined: this.joined.has(id),
      kind: id.startsWith("+") ? "invite" : "open",
    }));
    const next = from + 2 < listed.length ? (page.at(-1)?.groupId as GroupId) : undefined;
    return Promise.resolve({ rooms: page, next });
  }
}

class FakeSession implements SessionPort {
  ran: { room: string; command: Command }[] = [];
  replies: ((event: UiEvent) => void) | undefined;
  constructor(private readonly client: FakeClient) {}
  async run(command: Command, room: string): Promise<SessionOutcome> {
    this.ran.push({ room, command });
    if (command.kind === "join") {
      this.client.joined.add(command.room);
      this.replies?.({ type: "info", message: `now talking in ${command.room}` });
      return { kind: "focus", room: command.room };
    }
    return undefined;
  }
}

/** Lets the fake client's answers (resolved promises) be handled. */
const settled = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** A message as the client stores it (its room by group id). */
function stored(room: string, from: string, text: string): MessageEvent {
  const { room: label, ...rest } = message(room, from, text);
  return { ...rest, groupId: groupOfLabel(label, "alice" as UserName) as GroupId };
}

function setup(bell = true, rooms: { saved?: readonly SavedRoom[]; joined?: string[]; offline?: boolean } = {}) {
  const client = new FakeClient();
  if (rooms.offline === true) client.listed = undefined;
  for (const room of rooms.joined ?? []) client.joined.add(room);
  const session = new FakeSession(client);
  let rung = 0;
  let quit = 0;
  const saves: (readonly SavedRoom[])[] = [];
  const controller = new TuiController({
    savedRooms: rooms.saved ?? [],
    saveRooms: (list) => saves.push(list),
    self: "alice" as UserName,
    server: "ws://x",
    cols: 120,
    rows: 40,
    client,
    bell,
    ringBell: () => rung++,
    onQuit: () => quit++,
    now: () => 0,
  });
  controller.attach(session);
  session.replies = controller.reply;
  controller.event({ type: "room", room: "#lobby", change: "created" });
  controller.event({ type: "link", state: "live" });
  controller.event({
    type: "ready",
    name: "alice",
    fingerprint: "f",
    server: "ws://x",
    cipherSuite: "MLS_256_XWING_AES256GCM_SHA512_Ed25519",
    room: "#lobby",
  });
  return { client, session, controller, saves, rung: () => rung, quit: () => quit };
}

const type = (controller: TuiController, ...tokens: string[]): void => tokens.forEach((t) => controller.onInput(t));

describe("tui controller", () => {
  it("loads members of every room at start", () => {
    const { controller } = setup();
    assert.deepEqual(
      controller.state.rooms.get("#lobby")?.members.map((m) => m.name),
      ["alice", "bob"],
    );
  });

  it("keeps room numbers and the rooms you were removed from across restarts", async () => {
    const first = setup(true, { joined: ["#zed", "#abc"] });
    assert.deepEqual(first.controller.state.order, ["#lobby", "#abc", "#zed"]);
    first.client.joined.add("#new");
    first.controller.event({ type: "room", room: "#new", change: "joined" });
    first.client.joined.delete("#abc");
    first.controller.event({ type: "room", room: "#abc", change: "removed", by: "bob" as UserName });
    const saved = first.saves.at(-1) ?? [];
    assert.deepEqual(saved, [
      { room: "#lobby", joined: true },
      { room: "#abc", joined: false },
      { room: "#zed", joined: true },
      { room: "#new", joined: true },
    ]);

    // The next start lists #new, then a room joined since (#aaa), as before: Alt+4 is still #new.
    const next = setup(true, { saved, joined: ["#aaa", "#new", "#zed"] });
    next.client.stored.set("#abc", [stored("#abc", "bob", "said before the kick")]);
    assert.deepEqual(next.controller.state.order, ["#lobby", "#abc", "#zed", "#new", "#aaa"]);
    assert.equal(next.controller.state.rooms.get("#abc")?.joined, false, "greyed");
    type(next.controller, "\x1b2");
    await next.controller.idle();
    assert.ok(next.controller.state.rooms.get("#abc")?.entries.some((e) => e.text === "said before the kick"));
  });

  it("sends typed text to the room that was shown when Enter was pressed", async () => {
    const { controller, session, client } = setup();
    client.joined.add("#dev");
    controller.event({ type: "room", room: "#dev", change: "joined" });
    type(controller, "\x1b2", "hello dev\r");
    type(controller, "\x1b1");
    await controller.idle();
    assert.deepEqual(session.ran, [{ room: "#dev", command: { kind: "text", text: "hello dev" } }]);
  });

  it("tells the room you are typing text (not a command), and a private conversation what you saw", () => {
    const { controller, client } = setup();
    type(controller, "h", "i");
    assert.deepEqual(client.notices, ["typing #lobby", "typing #lobby"], "the client keeps them to one per 3 s");
    type(controller, "\x15", "/who");
    assert.equal(client.notices.length, 2, "no notice while typing a command");
    client.joined.add("@alice@bob");
    controller.event({ type: "room", room: "@bob", change: "joined", by: "bob" as UserName });
    const psst = message("@bob", "bob", "psst");
    controller.event(psst);
    assert.ok(!client.notices.some((n) => n.startsWith("seen")), "not seen while another room is shown");
    type(controller, "\x1b2");
    assert.equal(controller.state.current, "@bob");
    assert.deepEqual(client.notices.slice(2), [`seen @alice@bob ${psst.id}`]);
    controller.event({ type: "typing", room: "@bob", from: "bob" as UserName });
    assert.deepEqual([...(controller.state.rooms.get("@bob")?.typing.keys() ?? [])], ["bob"]);
    controller.event(message("@bob", "bob", "there?"));
    assert.equal(controller.state.rooms.get("@bob")?.typing.size, 0, "his message ends his typing");
  });

  it("select mode: Alt+Up picks the newest message, Up/Down move, r / e / d / + start its command", () => {
    const { controller } = setup();
    const first = message("#lobby", "bob", "first");
    const mine = { ...message("#lobby", "alice", "my text"), id: `01${"ab".repeat(31)}` };
    controller.event(first);
    controller.event(mine);
    const selected = () => controller.state.rooms.get("#lobby")?.selected;
    type(controller, "\x1b[1;3A");
    assert.equal(selected(), mine.id, "Alt+Up: the newest message");
    type(controller, "\x1b[A");
    assert.equal(selected(), first.id);
    type(controller, "\x1b[A");
    assert.equal(selected(), first.id, "stays at the oldest");
    type(controller, "\x1b[B");
    type(controller, "e");
    assert.equal(controller.editorState.text, "/edit ababab my text");
    assert.equal(selected(), undefined, "acting leaves select mode");
    type(controller, "\x15", "\x1b[1;3A", "+");
    assert.equal(controller.editorState.text, "/react ababab ");
    type(controller, "\x15", "\x1b[1;3A", "\x1b[A", "r");
    assert.equal(controller.editorState.text, `/reply ${first.id} `);
    type(controller, "\x15", "\x1b[1;3A", "x");
    assert.equal(selected(), undefined, "another key leaves select mode…");
    assert.equal(controller.editorState.text, "x", "…and does what it does");
  });

  it("never loses what is being typed while messages arrive", () => {
    const { controller } = setup();
    type(controller, "half a sen");
    for (let i = 0; i < 50; i++) controller.event(message("#lobby", "bob", `noise ${i}`));
    type(controller, "tence");
    assert.equal(controller.editorState.text, "half a sentence");
  });

  it("sends a multi-line paste as one message, even one starting with /", async () => {
    const { controller, session } = setup();
    type(controller, "\x1b[200~/etc/hosts says\r127.0.0.1 localhost\x1b[201~", "\r");
    await controller.idle();
    assert.deepEqual(session.ran.at(-1)?.command, { kind: "text", text: "/etc/hosts says\n127.0.0.1 localhost" });
  });

  it("runs line-mode commands through the session, and switches to a joined room", async () => {
    const { controller, session } = setup();
    type(controller, "/join #new\r");
    controller.event({ type: "room", room: "#new", change: "joined" });
    await controller.idle();
    assert.deepEqual(session.ran.at(-1)?.command, { kind: "join", room: "#new" });
    assert.equal(controller.state.current, "#new");
    assert.equal(controller.state.rooms.get("#new")?.entries.at(-1)?.text, "* now talking in #new");
    assert.ok(!controller.state.rooms.get("#lobby")?.entries.some((e) => e.text.includes("now talking")));
  });

  it("opens the help overlay for /help and F1; Esc closes it", () => {
    const { controller, session } = setup();
    type(controller, "/help\r");
    assert.equal(controller.state.help, true);
    type(controller, "\x1b");
    assert.equal(controller.state.help, false);
    type(controller, "\x1bOP");
    assert.equal(controller.state.help, true);
    assert.equal(session.ran.length, 0);
  });

  it("refuses room commands in a room you were removed from instead of sending elsewhere", async () => {
    const { controller, session, client } = setup();
    client.joined.add("#dev");
    controller.event({ type: "room", room: "#dev", change: "joined" });
    type(controller, "\x1b2");
    client.joined.delete("#dev");
    controller.event({ type: "room", room: "#dev", change: "removed", by: "bob" as UserName });
    type(controller, "still here?\r");
    await controller.idle();
    assert.equal(session.ran.length, 0);
    assert.match(controller.state.rooms.get("#dev")?.entries.at(-1)?.text ?? "", /NOT_IN_ROOM/);
  });

  it("completes names with Tab and cycles with repeated Tab", () => {
    const { controller } = setup();
    controller.event({
      type: "member",
      room: "#lobby",
      name: "bella" as UserName,
      change: "joined",
      by: "bella" as UserName,
      fingerprint: "cc",
    });
    type(controller, "b", "\t");
    assert.equal(controller.editorState.text, "bella: ");
    type(controller, "\t");
    assert.equal(controller.editorState.text, "bob: ");
    type(controller, "hi");
    assert.equal(controller.editorState.text, "bob: hi");
  });

  it("completes /join with the server's open rooms too, read at the start and again on each Tab there", async () => {
    const { controller, client } = setup();
    await settled();
    assert.deepEqual(client.roomPages, [undefined, "#ops"], "every page");
    type(controller, "/join #o", "\t");
    assert.equal(controller.editorState.text, "/join #ops ");
    type(controller, "\t");
    assert.equal(controller.editorState.text, "/join #oracle ");
    type(controller, "\t");
    assert.equal(controller.editorState.text, "/join #ops ", "cycles; +hidden (invite-only) is not offered");
    // A room made since: the Tab above read the list again, so the next completion has it.
    client.listed = ["#lobby", "#ops", "#oracle", "#owls"];
    await settled();
    assert.equal(client.roomPages.length, 4, "read again once: a read under way is not started twice");
    type(controller, "\x15", "/join #ow", "\t");
    assert.equal(controller.editorState.text, "/join #owls ");
  });

  it("completes /join with your own rooms when the server's list can't be read", async () => {
    const { controller } = setup(true, { joined: ["#dev"], offline: true });
    await settled();
    type(controller, "/join #d", "\t");
    assert.equal(controller.editorState.text, "/join #dev ");
  });

  it("recalls sent lines with Up", async () => {
    const { controller } = setup();
    type(controller, "first\r", "second\r", "\x1b[A", "\x1b[A");
    assert.equal(controller.editorState.text, "first");
    await controller.idle();
  });

  it("rings the bell on a private message or a mention, unless turned off", () => {
    const on = setup(true);
    on.controller.event(message("#lobby", "bob", "hello all"));
    assert.equal(on.rung(), 0);
    on.controller.event(message("#lobby", "bob", "alice?"));
    on.controller.event(message("@bob", "bob", "psst"));
    assert.equal(on.rung(), 2);
    const off = setup(false);
    off.controller.event(message("@bob", "bob", "psst"));
    assert.equal(off.rung(), 0);
  });

  it("loads a room's stored history the first time it is shown", async () => {
    const { controller, client } = setup();
    client.joined.add("#dev");
    client.stored.set("#dev", [stored("#dev", "bob", "from last week")]);
    controller.event({ type: "room", room: "#dev", change: "joined" });
    assert.ok(!client.historyCalls.some(([room]) => room === "#dev"), "not before it is shown");
    type(controller, "\x0e");
    assert.equal(controller.state.current, "#dev");
    await controller.idle();
    assert.ok(controller.state.rooms.get("#dev")?.entries.some((e) => e.text === "from last week"));
  });

  it("shows a history that can't be read as an error, and goes on running commands", async () => {
    const { controller, client, session } = setup();
    client.joined.add("#dev");
    client.unreadable.add("#dev");
    controller.event({ type: "room", room: "#dev", change: "joined" });
    type(controller, "\x0e");
    await controller.idle();
    assert.ok(
      controller.state.rooms
        .get("#dev")
        ?.entries.some((e) => e.kind === "error" && e.text.startsWith("STATE_CORRUPT: a saved message in #dev")),
    );
    type(controller, "still here\r");
    await controller.idle();
    assert.deepEqual(session.ran, [{ room: "#dev", command: { kind: "text", text: "still here" } }]);
  });

  it("quits on /quit and Ctrl+C once queued commands have run, and Ctrl+D only on an empty line", async () => {
    const a = setup();
    type(a.controller, "x", "\x04");
    await a.controller.idle();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(a.quit(), 0);
    type(a.controller, "\x03");
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(a.quit(), 1);
    const b = setup();
    type(b.controller, "/quit\r");
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(b.quit(), 1);
  });
});
