import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { UserName } from "@secure-chat/protocol";
import {
  MAX_SCROLLBACK,
  memberListView,
  mentions,
  nickWidth,
  paneGeometry,
  reduce,
  roomListView,
  type TuiState,
} from "../src/tui/view-model.js";
import { titleLine } from "../src/tui/bars.js";
import { memberListLines } from "../src/tui/member-list.js";
import { entryLines } from "../src/tui/scrollback.js";
import { plain } from "../src/tui/styled.js";
import { ev, joined, message, ready, run, started } from "./tui-fixtures.js";

function room(state: TuiState, label: string) {
  const r = state.rooms.get(label);
  assert.ok(r !== undefined, `no room ${label}`);
  return r;
}

describe("tui view model: rooms and unread counts", () => {
  it("lists #lobby first, then rooms, then private conversations", () => {
    const s = run([joined("@zed", "zed"), joined("#zoo"), joined("#lobby"), joined("+abc"), ready()]);
    assert.deepEqual(s.order, ["#lobby", "+abc", "#zoo", "@zed"]);
    assert.deepEqual(run([joined("#new")], s).order.at(-1), "#new", "rooms joined later are appended");
  });

  it("counts messages from others in rooms that are not shown; the shown room stays read", () => {
    let s = started();
    s = run(
      [ev(message("#dev", "bob", "one")), ev(message("#dev", "bob", "two")), ev(message("#lobby", "bob", "x"))],
      s,
    );
    assert.equal(room(s, "#dev").unread, 2);
    assert.equal(room(s, "#dev").highlights, 0);
    assert.equal(room(s, "#lobby").unread, 0);
  });

  it("does not count your own messages", () => {
    const s = run([ev(message("#dev", "alice", "mine"))], started());
    assert.equal(room(s, "#dev").unread, 0);
    assert.equal(room(s, "#dev").entries.at(-1)?.own, true);
  });

  it("highlights mentions and private messages, and rings the bell for them only", () => {
    let s = started();
    s = run([ev(message("#dev", "bob", "plain"))], s);
    assert.equal(s.bell, 0);
    s = run([ev(message("#dev", "bob", "hey @alice look"))], s);
    assert.equal(room(s, "#dev").highlights, 1);
    assert.equal(room(s, "#dev").entries.at(-1)?.mention, true);
    assert.equal(s.bell, 1);
    s = run([ev(message("@bob", "bob", "psst"))], s);
    assert.equal(room(s, "@bob").highlights, 1);
    assert.equal(s.bell, 2);
    s = run([ev(message("#lobby", "bob", "alice: in the room you look at"))], s);
    assert.equal(s.bell, 3, "a mention rings even in the shown room");
    s = run([ev(message("#lobby", "alice", "alice talking about alice"))], s);
    assert.equal(s.bell, 3, "your own messages never ring");
  });

  it("recognises a mention as a word, not inside another word", () => {
    assert.ok(mentions("hi alice", "alice"));
    assert.ok(mentions("@Alice: hi", "alice"));
    assert.ok(mentions("alice, look", "alice"));
    assert.ok(!mentions("malice aforethought", "alice"));
    assert.ok(!mentions("alice_bot says hi", "alice"));
    assert.ok(!mentions("alice-2 says hi", "alice"));
  });

  it("does not ring for what arrives while catching up, but counts it", () => {
    const s = run([joined("#lobby"), ev(message("@bob", "bob", "while you were away")), ready()]);
    assert.equal(s.bell, 0);
    assert.equal(room(s, "@bob").unread, 1);
    assert.equal(room(s, "@bob").highlights, 1);
  });

  it("reads a room when it is shown and drops its separator when you leave it", () => {
    let s = run([ev(message("#dev", "bob", "one")), ev(message("#dev", "bob", "two"))], started());
    const marker = room(s, "#dev").marker;
    assert.equal(marker, room(s, "#dev").entries.find((e) => e.text === "one")?.n);
    s = reduce(s, { type: "select", room: "#dev" });
    assert.equal(s.current, "#dev");
    assert.equal(room(s, "#dev").unread, 0);
    assert.equal(room(s, "#dev").marker, marker, "the separator stays while you read");
    s = reduce(s, { type: "select", room: "#lobby" });
    assert.equal(room(s, "#dev").marker, undefined);
    s = run([ev(message("#dev", "bob", "three"))], s);
    assert.equal(room(s, "#dev").marker, room(s, "#dev").entries.at(-1)?.n, "the next separator goes before 'three'");
  });

  it("switches rooms by number, cyclically, and to the next activity (mentions first)", () => {
    let s = started();
    assert.deepEqual(s.order, ["#lobby", "#dev", "@bob"]);
    s = reduce(s, { type: "select-index", index: 2 });
    assert.equal(s.current, "@bob");
    s = reduce(s, { type: "cycle", delta: 1 });
    assert.equal(s.current, "#lobby");
    s = reduce(s, { type: "cycle", delta: -1 });
    assert.equal(s.current, "@bob");
    s = reduce(s, { type: "select-index", index: 7 });
    assert.equal(s.current, "@bob", "no room 8: nothing happens");
    s = run([{ type: "select", room: "#lobby" }, ev(message("#dev", "bob", "x")), ev(message("@bob", "bob", "y"))], s);
    s = reduce(s, { type: "next-activity" });
    assert.equal(s.current, "@bob", "the private message first");
    s = reduce(s, { type: "next-activity" });
    assert.equal(s.current, "#dev");
  });

  it("keeps the current room visible in a list of hundreds of rooms", () => {
    let s = started();
    for (let i = 0; i < 300; i++) s = reduce(s, joined(`#room-${String(i).padStart(3, "0")}`));
    s = reduce(s, { type: "select-index", index: 250 });
    s = run([ev(message("#room-000", "bob", "early")), ev(message("#room-299", "bob", "late"))], s);
    const view = roomListView(s, 30);
    assert.ok(view.items.some((item) => item.current && item.number === 251));
    assert.ok(view.items.length <= 28);
    assert.equal(view.above + view.items.length + view.below, 303);
    assert.equal(view.activityAbove, 1);
    assert.equal(view.activityBelow, 1);
  });
});

describe("tui view model: replies, reactions, edits, deletes", () => {
  const lines = (s: ReturnType<typeof started>, id: string): string[] => {
    const entry = room(s, "#lobby").entries.find((e) => e.id === id);
    assert.ok(entry !== undefined, `entry ${id}`);
    return entryLines(entry, paneGeometry(s, room(s, "#lobby"))).map(plain);
  };

  it("quotes the message a reply answers, counts reactions, marks edits, leaves a tombstone", () => {
    const question = message("#lobby", "bob", "lunch at 12?");
    const answer = { ...message("#lobby", "alice", "yes!"), replyTo: question.id };
    const stray = { ...message("#lobby", "carol", "me too"), replyTo: "not-shown-here" };
    let s = run([ev(question), ev(answer), ev(stray)], started());
    assert.match(lines(s, answer.id)[0] ?? "", /↪ <bob> lunch at 12\?/);
    assert.match(lines(s, answer.id)[1] ?? "", /│ yes!$/);
    assert.match(lines(s, stray.id)[0] ?? "", /↪ an earlier message/);
    const react = (from: string, emoji: string, removed = false) =>
      ev({ type: "reaction", room: "#lobby", id: question.id, from: from as UserName, emoji, removed });
    s = run([react("alice", "👍"), react("carol", "👍"), react("carol", "🎉"), react("carol", "👍", true)], s);
    assert.match(lines(s, question.id).at(-1) ?? "", /│ 👍 1 {2}🎉 1$/);
    s = run([ev({ type: "edit", room: "#lobby", id: question.id, from: "bob" as UserName, text: "lunch at 1?" })], s);
    assert.match(lines(s, question.id)[0] ?? "", /│ lunch at 1\? \(edited\)$/);
    assert.match(lines(s, answer.id)[0] ?? "", /↪ <bob> lunch at 1\?$/, "the reply quotes the edited text");
    s = run([ev({ type: "delete", room: "#lobby", id: question.id, from: "bob" as UserName })], s);
    assert.match(lines(s, answer.id)[0] ?? "", /↪ <bob> \(message deleted\)$/, "a deleted text goes from replies too");
    assert.deepEqual(lines(s, question.id).length, 1, "no reactions under a tombstone");
    assert.match(lines(s, question.id)[0] ?? "", /│ \(message deleted\)$/);
    const unknown = ev({ type: "edit", room: "#lobby", id: "absent", from: "bob" as UserName, text: "x" });
    assert.equal(run([unknown], s), s, "an edit of a message not shown changes nothing");
  });
});

describe("tui view model: scrollback content", () => {
  it("caps the sender column at 12 however long a member's name is; longer names end in …", () => {
    const long = "b".repeat(32);
    const s = run(
      [{ type: "members", room: "#lobby", members: [{ name: long as UserName, online: true, fingerprint: "f" }] }],
      started(),
    );
    assert.equal(nickWidth(room(s, "#lobby"), "alice"), 12);
    const line = plain(
      entryLines({ n: 0, kind: "message", time: 0, text: "hi", from: long }, paneGeometry(s, room(s, "#lobby")))[0] ??
        [],
    );
    assert.match(line, / b{11}… │ hi/);
  });

  it("shows /history's lines at their messages' times, not at the time of the reply", () => {
    const old = message("#lobby", "bob", "from before");
    const s = run([ev({ type: "history", room: "#lobby", messages: [old] })], started());
    const line = room(s, "#lobby").entries.at(-1);
    assert.equal(line?.time, old.serverTs);
    assert.match(line?.text ?? "", /^#lobby m\d+ <bob> from before$/);
  });

  it("marks where your membership begins when you join a room", () => {
    const s = run([joined("+team", "bob")], started());
    const first = room(s, "+team").entries[0];
    assert.equal(first?.kind, "boundary");
    assert.match(first?.text ?? "", /bob added you to \+team · MLS: nothing from before this can be read/);
  });

  it("says an invitation where you are, marks the invited room and rings", () => {
    const s = run([joined("+team", "bob")], started());
    assert.equal(room(s, "+team").highlights, 1);
    assert.equal(room(s, "+team").unread, 1);
    assert.equal(room(s, "#lobby").entries.at(-1)?.text, "bob invited you to +team (/join +team to talk there)");
    assert.equal(s.bell, 1);
    const own = run([joined("+mine")], started());
    assert.equal(room(own, "+mine").highlights, 0, "a room you joined yourself is not news");
  });

  it("shows membership and key changes distinctly, and tracks members", () => {
    let s = started();
    s = run(
      [
        ev({
          type: "member",
          room: "#lobby",
          name: "carol" as UserName,
          change: "joined",
          by: "carol" as UserName,
          fingerprint: "cccc",
        }),
      ],
      s,
    );
    assert.equal(room(s, "#lobby").entries.at(-1)?.kind, "join");
    assert.deepEqual(
      room(s, "#lobby").members.map((m) => m.name),
      ["alice", "bob", "carol"],
    );
    s = run(
      [
        ev({
          type: "member",
          room: "#lobby",
          name: "carol" as UserName,
          change: "removed",
          by: "bob" as UserName,
          fingerprint: "cccc",
        }),
      ],
      s,
    );
    assert.equal(room(s, "#lobby").entries.at(-1)?.kind, "part");
    assert.match(room(s, "#lobby").entries.at(-1)?.text ?? "", /carol was removed from #lobby by bob/);
    s = run([ev({ type: "key_changed", name: "bob" as UserName, pinned: "1111", presented: "2222" })], s);
    assert.equal(room(s, "#lobby").entries.at(-1)?.kind, "warning");
    assert.deepEqual(room(s, "#lobby").keyWarnings, ["bob"]);
  });

  it("shows online state from presence, online first", () => {
    let s = run([ev({ type: "presence", name: "bob" as UserName, online: false })], started());
    assert.deepEqual(memberListView(s), [
      { name: "alice", online: true, self: true },
      { name: "bob", online: false, self: false },
    ]);
    s = run([ev({ type: "presence", name: "bob" as UserName, online: true })], s);
    assert.equal(memberListView(s)[1]?.online, true);
  });

  it("shows presence as unknown while the link is down, and known again once it is back", () => {
    let s = run([ev({ type: "presence", name: "bob" as UserName, online: true })], started());
    assert.equal(memberListView(s).find((m) => m.name === "bob")?.online, true);
    s = run([ev({ type: "link", state: "offline", reason: "closed with code 1006" })], s);
    assert.deepEqual(
      memberListView(s).map((m) => m.online),
      memberListView(s).map(() => undefined),
    );
    assert.match(plain(titleLine(s, 120)), /2 members, presence unknown while offline/);
    assert.match(memberListLines(s, 18, 10).map(plain).join("\n"), /\? bob/);
    s = run([ev({ type: "link", state: "live" })], s);
    assert.match(plain(titleLine(s, 120)), /2 members, 2 online/);
    assert.match(memberListLines(s, 18, 10).map(plain).join("\n"), /● bob/);
  });

  it("follows the link state, and shows the drop and the way back in the shown room", () => {
    let s = run(
      [
        ev({ type: "link", state: "offline", reason: "closed with code 1006" }),
        ev({ type: "connection", state: "reconnecting", reason: "closed with code 1006" }),
      ],
      started(),
    );
    assert.equal(s.connection, "offline");
    assert.match(room(s, "#lobby").entries.at(-1)?.text ?? "", /reconnecting/);
    s = run([ev({ type: "link", state: "live" }), ev({ type: "connection", state: "connected" })], s);
    assert.equal(s.connection, "live");
    assert.match(room(s, "#lobby").entries.at(-1)?.text ?? "", /reconnected/);
  });

  it("says a request failed while reconnecting as offline, not DISCONNECTED (the status bar's word for giving up)", () => {
    const refused = ev({ type: "error", code: "DISCONNECTED", message: "not connected to the server right now" });
    let s = run([ev({ type: "link", state: "offline", reason: "closed with code 1006" }), refused], started());
    assert.equal(s.connection, "offline");
    assert.equal(room(s, "#lobby").entries.at(-1)?.text, "offline: reconnecting…; try again once connected");
    s = run([ev({ type: "link", state: "closed" }), refused], s);
    assert.equal(room(s, "#lobby").entries.at(-1)?.text, "DISCONNECTED: not connected to the server right now");
  });

  it("keeps a room you were removed from, greyed, and drops one you left", () => {
    let s = run([ev({ type: "room", room: "#dev", change: "removed", by: "bob" as UserName })], started());
    assert.equal(room(s, "#dev").joined, false);
    assert.match(room(s, "#dev").entries.at(-1)?.text ?? "", /removed from #dev by bob/);
    s = run([{ type: "select", room: "@bob" }, ev({ type: "room", room: "@bob", change: "left" })], s);
    assert.ok(!s.rooms.has("@bob"));
    assert.equal(s.current, "#lobby");
  });

  it("puts command replies in the shown room as notices", () => {
    const s = run([ev({ type: "online", names: ["alice", "bob"] })], started());
    assert.equal(room(s, "#lobby").entries.at(-1)?.kind, "notice");
    assert.equal(room(s, "#lobby").entries.at(-1)?.text, "* online (2): alice, bob");
  });

  it("merges the stored history before live messages without duplicates, with the start boundary", () => {
    // A room you were already in at start (no "you joined" line): its members arrive first.
    const live = message("#old", "bob", "live");
    let s = run([{ type: "members", room: "#old", members: [] }, ev(live)], started());
    const older = [message("#old", "bob", "old 1"), message("#old", "alice", "old 2"), live];
    s = reduce(s, { type: "history", room: "#old", messages: older, complete: true });
    const texts = room(s, "#old").entries.map((e) => e.text);
    assert.equal(texts.filter((t) => t === "live").length, 1);
    assert.deepEqual(texts.slice(-3), ["old 1", "old 2", "live"]);
    assert.match(texts[0] ?? "", /start of #old on this device/);
    assert.equal(room(s, "#old").entries.find((e) => e.text === "old 2")?.own, true);
    const ns = room(s, "#old").entries.map((e) => e.n);
    assert.deepEqual(
      ns,
      ns.map((_, i) => (ns[0] ?? 0) + i),
      "positions stay consecutive",
    );
    assert.equal(room(s, "#old").historyComplete, true);
  });

  it("adds no second boundary when a room joined now has no older history", () => {
    const s = reduce(started(), { type: "history", room: "#dev", messages: [], complete: true });
    assert.equal(room(s, "#dev").entries.filter((e) => e.kind === "boundary").length, 1);
  });

  it("keeps at most MAX_SCROLLBACK entries per room", () => {
    let s = started();
    for (let i = 0; i < MAX_SCROLLBACK + 5; i++) s = reduce(s, ev(message("#lobby", "bob", `m${i}`)));
    const entries = room(s, "#lobby").entries;
    assert.equal(entries.length, MAX_SCROLLBACK);
    assert.equal(entries.at(-1)?.text, `m${MAX_SCROLLBACK + 4}`);
  });
});
