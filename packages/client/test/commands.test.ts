import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  DEFAULT_HISTORY,
  MAX_HISTORY,
  helpText,
  parseCommand,
  parseJsonModeLine,
  type Command,
} from "../src/session/commands.js";
import { parseUserName, type GroupId, type UserName } from "@secure-chat/protocol";

function user(value: string): UserName {
  const name = parseUserName(value);
  if (name === undefined) throw new Error(`bad test user name ${value}`);
  return name;
}
const bob = user("bob");

function expectInvalid(line: string, pattern?: RegExp): string {
  const command = parseCommand(line);
  assert.equal(command.kind, "invalid", `${JSON.stringify(line)} should be invalid, got ${JSON.stringify(command)}`);
  const message = command.kind === "invalid" ? command.message : "";
  assert.ok(message.trim().length > 0, `${JSON.stringify(line)} needs a message`);
  if (pattern !== undefined) assert.match(message, pattern, JSON.stringify(line));
  return message;
}

function expectCommand(line: string, expected: Command): void {
  assert.deepEqual(parseCommand(line), expected, JSON.stringify(line));
}

describe("parseCommand: text lines", () => {
  it("sends a line that does not start with / as text, verbatim", () => {
    for (const text of ["hello", "  indented  ", "a / b", " /not a command", "\tx", "é ✓ 🔐", "@bob hi", "#room"]) {
      expectCommand(text, { kind: "text", text });
    }
  });

  it("refuses empty and whitespace-only lines", () => {
    for (const line of ["", " ", "   ", "\t", " \t \n"]) expectInvalid(line, /nothing to send/);
  });

  it("sends // lines as text with one slash removed", () => {
    expectCommand("//", { kind: "text", text: "/" });
    expectCommand("//join #x", { kind: "text", text: "/join #x" });
    expectCommand("///", { kind: "text", text: "//" });
    expectCommand("// spaced ", { kind: "text", text: "/ spaced " });
  });

  it("never throws; non-slash lines with content are text, unchanged", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), (line) => {
        const command = parseCommand(line);
        if (!line.startsWith("/") && line.trim() !== "") assert.deepEqual(command, { kind: "text", text: line });
        if (line.startsWith("//") && line.slice(1).trim() !== "") {
          assert.deepEqual(command, { kind: "text", text: line.slice(1) });
        }
        if (command.kind === "invalid") assert.ok(command.message.length > 0);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe("parseCommand: commands", () => {
  it("/join takes exactly one #room, +room or @name", () => {
    expectCommand("/join #lobby", { kind: "join", room: "#lobby" });
    expectCommand("/join +team", { kind: "join", room: "+team" });
    expectCommand("/join @bob", { kind: "join", room: "@bob" });
    expectCommand("/join   #lobby  ", { kind: "join", room: "#lobby" });
    expectCommand("/JOIN #lobby", { kind: "join", room: "#lobby" });
    expectInvalid("/join", /usage: \/join/);
    expectInvalid("/join #a #b", /usage: \/join/);
    expectInvalid("/join lobby", /not a room name/);
    expectInvalid("/join #Lobby", /not a room name/);
    expectInvalid("/join #", /not a room name/);
    expectInvalid("/join @Bob", /not a valid name/);
    expectInvalid("/join @", /not a valid name/);
    expectInvalid("/join @bob@carol", /not a valid name/);
  });

  it("/rooms takes at most the room to list after, /leave nothing", () => {
    expectCommand("/rooms", { kind: "rooms" });
    expectCommand("/rooms  ", { kind: "rooms" });
    expectInvalid("/rooms all", /usage: \/rooms/);
    expectCommand("/rooms +r099", { kind: "rooms", after: "+r099" as GroupId });
    expectCommand("/leave", { kind: "leave" });
    expectInvalid("/leave #lobby", /usage: \/leave/);
  });

  it("/msg takes a name and the rest of the line as text, keeping its spaces", () => {
    expectCommand("/msg bob hi", { kind: "msg", name: bob, text: "hi" });
    expectCommand("/msg bob hello   there  world", { kind: "msg", name: bob, text: "hello   there  world" });
    expectCommand("/msg bob  trailing  ", { kind: "msg", name: bob, text: "trailing  " });
    expectCommand("/msg @bob hi", { kind: "msg", name: bob, text: "hi" });
    expectCommand("/msg bob /not a command", { kind: "msg", name: bob, text: "/not a command" });
    expectCommand("/msg bob two\nlines", { kind: "msg", name: bob, text: "two\nlines" });
    expectCommand("/MSG bob hi", { kind: "msg", name: bob, text: "hi" });
    expectInvalid("/msg", /usage: \/msg NAME TEXT/);
    expectInvalid("/msg bob", /usage: \/msg NAME TEXT/);
    expectInvalid("/msg bob ", /usage: \/msg NAME TEXT/);
    expectInvalid("/msg Bob hi", /not a valid name/);
    expectInvalid("/msg #lobby hi", /not a valid name/);
  });

  it("/say takes a room, conversation or name and the rest of the line as text", () => {
    expectCommand("/say #ops pong", { kind: "say", room: "#ops", text: "pong" });
    expectCommand("/say +team two  spaces ", { kind: "say", room: "+team", text: "two  spaces " });
    expectCommand("/say @bob /not a command", { kind: "say", room: "@bob", text: "/not a command" });
    expectInvalid("/say", /usage: \/say ROOM TEXT/);
    expectInvalid("/say #ops", /usage: \/say ROOM TEXT/);
    expectInvalid("/say #ops   ", /usage: \/say ROOM TEXT/);
    expectInvalid("/say ops hi", /not a room name/);
    expectInvalid("/say @Bob hi", /not a valid name/);
  });

  it("/msg refuses whitespace-only text, like a plain text line", () => {
    expectInvalid("/msg bob   ");
    expectInvalid("/msg bob \t");
  });

  it("/who lists the room, /who * the server", () => {
    expectCommand("/who", { kind: "who", all: false });
    expectCommand("/who *", { kind: "who", all: true });
    expectInvalid("/who everyone", /usage: \/who/);
    expectInvalid("/who * *", /usage: \/who/);
  });

  it("/invite and /kick take exactly one valid name (with optional @)", () => {
    for (const kind of ["invite", "kick"] as const) {
      expectCommand(`/${kind} bob`, { kind, name: bob });
      expectCommand(`/${kind} @bob`, { kind, name: bob });
      expectCommand(`/${kind}   bob   `, { kind, name: bob });
      expectInvalid(`/${kind}`, new RegExp(`usage: /${kind} NAME`));
      expectInvalid(`/${kind} bob carol`, new RegExp(`usage: /${kind} NAME`));
      expectInvalid(`/${kind} Bob`, /Bob is not a valid name/);
      expectInvalid(`/${kind} -bob`, /not a valid name/);
      expectInvalid(`/${kind} ${"b".repeat(33)}`, /not a valid name/);
    }
  });

  it("/history takes an optional count from 1 to MAX_HISTORY", () => {
    assert.equal(DEFAULT_HISTORY, 20);
    assert.equal(MAX_HISTORY, 1_000);
    expectCommand("/history", { kind: "history", count: DEFAULT_HISTORY });
    expectCommand("/history 1", { kind: "history", count: 1 });
    expectCommand("/history 50", { kind: "history", count: 50 });
    expectCommand(`/history ${MAX_HISTORY}`, { kind: "history", count: MAX_HISTORY });
    for (const bad of ["0", "-1", "-0", String(MAX_HISTORY + 1), "2.5", "abc", "NaN", "Infinity", "1 2"]) {
      expectInvalid(`/history ${bad}`, /usage: \/history \[N\], N from 1 to 1000/);
    }
  });

  it("/seen asks about your last message, or the message ID names", () => {
    expectCommand("/seen", { kind: "seen", message: undefined });
    expectCommand("/seen 1a2b3c", { kind: "seen", message: "1a2b3c" });
    for (const bad of ["xyz", "1a2", "1a2b3c 4d5e6f"]) expectInvalid(`/seen ${bad}`, /usage: \/seen \[ID\]/);
  });

  it("/devices lists; link takes a code, approve nothing, revoke a linked device's id", () => {
    assert.deepEqual(parseCommand("/devices"), { kind: "devices", action: "list" });
    assert.deepEqual(parseCommand("/devices link ab12-cd34"), { kind: "devices", action: "link", code: "ab12-cd34" });
    assert.deepEqual(parseCommand("/devices approve"), { kind: "devices", action: "approve", history: true });
    assert.deepEqual(parseCommand("/devices approve --no-history"), {
      kind: "devices",
      action: "approve",
      history: false,
    });
    assert.deepEqual(parseCommand("/devices revoke alice.2"), { kind: "devices", action: "revoke", device: "alice.2" });
    for (const bad of [
      "/devices revoke alice",
      "/devices revoke alice.1",
      "/devices link",
      "/devices approve x",
      "/devices drop",
    ]) {
      assert.equal(parseCommand(bad).kind, "invalid", bad);
    }
  });

  it("/reply, /react, /edit and /delete take a message id (4 to 64 hex digits)", () => {
    expectCommand("/reply 3fa9c2 sure,  at 10", { kind: "reply", message: "3fa9c2", text: "sure,  at 10" });
    expectCommand("/edit 3FA9 fixed", { kind: "edit", message: "3FA9", text: "fixed" });
    expectCommand("/react 3fa9c2 👍", { kind: "react", message: "3fa9c2", emoji: "👍" });
    expectCommand("/delete 3fa9c2", { kind: "delete", message: "3fa9c2" });
    expectInvalid("/reply 3fa9c2", /usage: \/reply ID TEXT/);
    expectInvalid("/reply 3fa9c2    ", /usage: \/reply ID TEXT/);
    expectInvalid("/edit zz12 text", /usage: \/edit ID TEXT/);
    expectInvalid("/react 3fa9c2", /usage: \/react ID EMOJI/);
    expectInvalid("/react 3fa9c2 👍 👎", /usage: \/react ID EMOJI/);
    expectInvalid("/delete", /usage: \/delete ID/);
    expectInvalid("/delete abc", /usage: \/delete ID/);
  });

  it("/send takes a path (the rest of the line), /save an id and an optional path", () => {
    expectCommand("/send /tmp/my report.pdf", { kind: "send-file", path: "/tmp/my report.pdf" });
    expectCommand("/save 3fa9c2", { kind: "save-file", message: "3fa9c2", path: undefined });
    expectCommand("/save 3fa9c2 out dir/x.pdf", { kind: "save-file", message: "3fa9c2", path: "out dir/x.pdf" });
    expectInvalid("/send", /usage: \/send PATH/);
    expectInvalid("/save", /usage: \/save ID \[PATH\]/);
    expectInvalid("/save nothex", /usage: \/save ID \[PATH\]/);
  });

  it("/fingerprint with no name or one valid name", () => {
    expectCommand("/fingerprint", { kind: "fingerprint", name: undefined });
    expectCommand("/fingerprint bob", { kind: "fingerprint", name: bob });
    expectCommand("/fingerprint @bob", { kind: "fingerprint", name: bob });
    expectInvalid("/fingerprint Bob", /not a valid name/);
    expectInvalid("/fingerprint bob carol", /usage: \/fingerprint/);
  });

  it("/help, /quit and /exit", () => {
    expectCommand("/help", { kind: "help" });
    expectCommand("/Help", { kind: "help" });
    expectCommand("/quit", { kind: "quit" });
    expectCommand("/exit", { kind: "quit" });
  });

  it("refuses an unknown command, naming it", () => {
    expectInvalid("/frobnicate", /unknown command \/frobnicate/);
    expectInvalid("/frobnicate now please", /unknown command \/frobnicate/);
    expectInvalid("/", /unknown command/);
    expectInvalid("/ join #x", /unknown command/);
    expectInvalid("/joins #x", /unknown command \/joins/);
  });

  it("knows every command the help text lists", () => {
    const listed = helpText.filter((line) => line.startsWith("/")).map((line) => line.split(" ")[0] ?? "");
    assert.ok(listed.length >= 10, `help lists commands: ${listed.join(" ")}`);
    for (const command of listed) {
      const result = parseCommand(command);
      if (result.kind === "invalid") assert.doesNotMatch(result.message, /unknown command/, command);
    }
  });
});

describe("parseJsonModeLine", () => {
  it("sends a JSON object's text to its room, line breaks included, or to the current room", () => {
    assert.deepEqual(parseJsonModeLine('{"room":"#ops","text":"pong"}'), { kind: "say", room: "#ops", text: "pong" });
    assert.deepEqual(parseJsonModeLine(' {"text":"a\\nb","room":"@bob"}'), { kind: "say", room: "@bob", text: "a\nb" });
    assert.deepEqual(parseJsonModeLine('{"text":"here"}'), { kind: "text", text: "here" });
  });

  it("reads other lines as the line mode does", () => {
    assert.deepEqual(parseJsonModeLine("/who"), { kind: "who", all: false });
    assert.deepEqual(parseJsonModeLine("hi {there}"), { kind: "text", text: "hi {there}" });
  });

  it("refuses malformed JSON, other fields, wrong types, bad rooms and empty text", () => {
    const bad: [string, RegExp][] = [
      ["{room", /not valid JSON/],
      ['{"room":"#ops"}', /a JSON input line is/],
      ['{"room":"#ops","text":"x","to":"bob"}', /a JSON input line is/],
      ['{"room":5,"text":"x"}', /a JSON input line is/],
      ['{"room":"ops","text":"x"}', /not a room name/],
      ['{"room":"#ops","text":"  "}', /nothing to send/],
    ];
    for (const [line, pattern] of bad) {
      const command = parseJsonModeLine(line);
      assert.equal(command.kind, "invalid", line);
      if (command.kind === "invalid") assert.match(command.message, pattern, line);
    }
  });
});
