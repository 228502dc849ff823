import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TYPING_SHOWN_MS, type UiMessage } from "@secure-chat/client";
import type { UserName } from "@secure-chat/protocol";
import { ChatModel, mentions } from "../src/ui/chat-model.js";
import { dayLabel, senderClass } from "../src/ui/format.js";

const message = (room: string, id: string, from: string, text: string, seq: number): UiMessage => ({
  type: "message",
  room,
  id,
  from: from as UserName,
  text,
  sentAt: seq * 1000,
  serverTs: seq * 1000,
  seq,
});

describe("ChatModel", () => {
  it("counts unread messages and mentions in rooms not shown, not our own; focusing clears them", () => {
    const model = new ChatModel("alice", () => 0);
    model.apply(message("#dev", "1", "bob", "hello", 1));
    model.apply(message("#dev", "2", "bob", "alice: look", 2));
    model.apply(message("#dev", "3", "alice", "mine", 3));
    model.apply(message("@bob", "4", "bob", "psst", 4));
    model.apply(message("#lobby", "5", "bob", "shown", 5));
    assert.deepEqual(
      [...model.rooms.values()].map((r) => [r.label, r.unread, r.mentions]),
      [
        ["#lobby", 0, 0],
        ["#dev", 2, 1],
        ["@bob", 1, 1],
      ],
    );
    assert.deepEqual(model.roomLabels(), ["#dev", "#lobby", "@bob"]);
    model.focus("#dev");
    assert.equal(model.room("#dev").unread, 0);
    assert.equal(model.current, "#dev");
  });

  it("shows a message once, whether it came live or from saved history, in server order", () => {
    const model = new ChatModel("alice", () => 0);
    model.apply(message("#lobby", "b", "bob", "second", 2));
    model.loadHistory("#lobby", [
      message("#lobby", "a", "bob", "first", 1),
      message("#lobby", "b", "bob", "second", 2),
    ]);
    model.apply(message("#lobby", "a", "bob", "first", 1));
    const texts = model.room("#lobby").items.map((item) => (item.kind === "message" ? item.message.text : item.text));
    assert.deepEqual(texts, ["first", "second"]);
  });

  it("drops a room we left and shows another; keeps a key warning until trusted", () => {
    const model = new ChatModel("alice", () => 0);
    model.apply({ type: "room", room: "#dev", change: "joined" });
    model.focus("#dev");
    model.apply({ type: "room", room: "#dev", change: "left" });
    assert.equal(model.rooms.has("#dev"), false);
    assert.equal(model.current, "#lobby");
    model.apply({ type: "key_changed", name: "bob" as UserName, pinned: "aa", presented: "bb" });
    assert.deepEqual([...model.keyWarnings.keys()], ["bob"]);
    model.trusted("bob");
    assert.equal(model.keyWarnings.size, 0);
  });

  it("shows who is typing in a room for TYPING_SHOWN_MS after the last notice, until their message", () => {
    let now = 0;
    const scheduled: number[] = [];
    let renders = 0;
    const model = new ChatModel(
      "alice",
      () => now,
      undefined,
      (ms) => scheduled.push(ms),
    );
    model.subscribe(() => renders++);
    const bob = "bob" as UserName;
    model.apply({ type: "typing", room: "#lobby", from: bob });
    model.apply({ type: "typing", room: "#lobby", from: "carol" as UserName });
    assert.deepEqual(model.typingIn("#lobby"), ["bob", "carol"]);
    assert.deepEqual(model.typingIn("#dev"), []);
    assert.deepEqual(scheduled, [TYPING_SHOWN_MS, TYPING_SHOWN_MS], "a render is due when each runs out");
    now = TYPING_SHOWN_MS - 1;
    model.apply({ type: "typing", room: "#lobby", from: bob });
    model.apply(message("#lobby", "1", "carol", "done typing", 1));
    assert.deepEqual(model.typingIn("#lobby"), ["bob"], "carol's message ends her typing");
    now = 2 * TYPING_SHOWN_MS - 2;
    assert.deepEqual(model.typingIn("#lobby"), ["bob"], "his second notice keeps him shown");
    now = 2 * TYPING_SHOWN_MS - 1;
    assert.deepEqual(model.typingIn("#lobby"), [], "gone TYPING_SHOWN_MS after his last notice");
    assert.ok(renders >= 4);
  });

  it("marks 'seen' our last message at or before the one the peer was shown", () => {
    const model = new ChatModel("alice", () => 0);
    model.apply(message("@bob", "1", "alice", "one", 1));
    model.apply(message("@bob", "2", "alice", "two", 2));
    model.apply(message("@bob", "3", "bob", "answer", 3));
    model.apply(message("@bob", "4", "alice", "three", 4));
    model.apply({ type: "seen", room: "@bob", from: "bob" as UserName, id: "3" });
    assert.equal(model.room("@bob").seen, "2", "he saw up to his answer: our 'two'");
    model.apply({ type: "seen", room: "@bob", from: "bob" as UserName, id: "unknown" });
    assert.equal(model.room("@bob").seen, "2", "a receipt for a message not on the page changes nothing");
    model.apply({ type: "seen", room: "@bob", from: "bob" as UserName, id: "4" });
    assert.equal(model.room("@bob").seen, "4");
  });

  it("says a device change in its room, and a refused device as a warning, in the terminal's words", () => {
    const model = new ChatModel("alice", () => 0);
    const [bob, laptop] = ["bob" as UserName, "bob.laptop" as UserName];
    model.apply({
      type: "device",
      room: "#dev",
      account: bob,
      device: laptop,
      change: "added",
      by: bob,
      fingerprint: "ab12",
    });
    model.apply({ type: "device_refused", device: laptop, reason: "no certificate" });
    const said = (label: string) =>
      model.room(label).items.flatMap((item) => (item.kind === "notice" ? [[item.tone, item.text]] : []));
    assert.deepEqual(said("#dev"), [["info", "bob added a device: bob.laptop (key ab12) is in #dev now"]]);
    assert.deepEqual(said("#lobby"), [
      [
        "warning",
        "WARNING: refused bob.laptop: no certificate. The server may be trying to add a device to that account; nothing it sends is shown.",
      ],
    ]);
  });

  it("tells a mention from a longer name", () => {
    assert.equal(mentions("hi @alice!", "alice"), true);
    assert.equal(mentions("alice: hi", "alice"), true);
    assert.equal(mentions("alice2 hi", "alice"), false);
    assert.equal(mentions("malice", "alice"), false);
  });
});

describe("format", () => {
  it("gives a name one colour class, and days their names", () => {
    assert.equal(senderClass("bob"), senderClass("bob"));
    assert.match(senderClass("carol"), /^sender-[0-7]$/);
    const now = new Date(2026, 5, 10, 12).getTime();
    assert.equal(dayLabel(now, now), "Today");
    assert.equal(dayLabel(now - 86_400_000, now), "Yesterday");
  });
});
