/**
 * The full-screen UI as a person uses it: the real `secure-chat chat` runs in a tmux pane (a
 * real terminal), keys go in with send-keys, and every assertion is on what capture-pane shows.
 * Bob is a `--json` client on the same real server.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BIN, ChatProcess, PASSPHRASE, ServerProcess, tempDir, type JsonEvent } from "./harness.js";
import { Tmux } from "./tmux.js";

/** The row of the room list that names `label` (the list is the left column). */
function roomRow(lines: string[], label: string): string {
  const row = lines.find((line) => new RegExp(`^ *\\d+ ${label.replace(/[+]/g, "\\+")}\\b`).test(line));
  assert.ok(row !== undefined, `no room list row for ${label}`);
  return row.split("│")[0] ?? "";
}

describe("full-screen UI in a real terminal (tmux)", () => {
  const tmux = new Tmux();
  let server: ServerProcess;
  let bob: ChatProcess;

  before(async () => {
    server = await ServerProcess.start();
    const home = tempDir("alice-tui");
    // The shell prints the exit status when the program ends, where a person would see it.
    const command = `SECURE_CHAT_PASSPHRASE='${PASSPHRASE}' ${process.execPath} ${BIN} chat --server ${server.url} --home ${home} alice`;
    tmux.start(`${command}; s=$?; echo "secure-chat exited with status $s"; exit $s`, 120, 40);
  });

  after(async () => {
    tmux.kill();
    await bob?.kill();
    await server?.kill();
  });

  const bobSays = async (line: string, type = "message"): Promise<JsonEvent> => {
    const from = bob.events.length;
    bob.send(line);
    return bob.waitFor(`bob's ${type} after ${line}`, (e) => e.type === type || e.type === "error", from);
  };

  it("opens full screen: room list, message pane, member list, status bar, input line", async () => {
    await tmux.waitFor("the first screen", (screen, lines) => {
      assert.match(lines[0] ?? "", /#lobby · open room · 1 member, 1 online/);
      assert.match(screen, /Rooms \(1\)/);
      assert.equal(roomRow(lines, "#lobby").trim(), "1 #lobby");
      assert.match(screen, /Members \(1\)/);
      assert.match(screen, /● alice/);
      assert.match(screen, /you (created|joined) #lobby · MLS: nothing from before this can be read/);
      assert.match(
        screen,
        /\[connected\] ws:\/\/127\.0\.0\.1:\d+ \[alice [0-9a-f]{4} [0-9a-f]{4}\] \[#lobby: E2EE MLS X-Wing\]/,
      );
      assert.match(screen, /^\[#lobby\]/m);
    });
  });

  it("shows who joins and what they say, with wide characters and emoji", async () => {
    bob = await ChatProcess.start("bob", server.url, tempDir("bob"));
    await tmux.waitFor("bob in the member list", (screen, lines) => {
      assert.match(lines[0] ?? "", /2 members, 2 online/);
      assert.match(screen, /● bob/);
      assert.match(screen, /--> │ bob joined #lobby/);
    });
    await bobSays("hello alice 🔐 漢字 from bob");
    await tmux.waitFor("bob's message", (screen) => {
      assert.match(screen, /\d\d:\d\d +bob │ hello alice 🔐 漢字 from bob/);
    });
  });

  it("sends what alice types, to the room on screen", async () => {
    const from = bob.events.length;
    tmux.type("hi bob, 👍🏽 works");
    tmux.keys("Enter");
    const got = await bob.waitFor("alice's message", (e) => e.type === "message" && e.from === "alice", from);
    assert.equal(got.text, "hi bob, 👍🏽 works");
    assert.equal(got.room, "#lobby");
    await tmux.waitFor("alice's own message, marked", (screen) => {
      assert.match(screen, /› +alice │ hi bob, 👍🏽 works/);
    });
  });

  it("joins a room with the command; the membership boundary and member list show", async () => {
    await bobSays("/join #dev", "info");
    await bobSays("said before alice joined");
    tmux.type("/join #dev");
    tmux.keys("Enter");
    await tmux.waitFor("#dev on screen", (screen, lines) => {
      assert.match(lines[0] ?? "", /#dev · open room · 2 members, 2 online/);
      assert.equal(roomRow(lines, "#dev").trim(), "2 #dev");
      assert.match(screen, /you joined #dev · MLS: nothing from before this can be read/);
      assert.doesNotMatch(screen, /said before alice joined/);
      assert.match(screen, /● alice/);
      assert.match(screen, /● bob/);
    });
  });

  it("counts unread messages and marks private ones; survives a resize", async () => {
    tmux.keys("M-1");
    await tmux.waitFor("back in #lobby", (_screen, lines) => assert.match(lines[0] ?? "", /^ #lobby/));
    await bobSays("dev one");
    await bobSays("dev two");
    await bobSays("/msg alice psst, private");
    await tmux.waitFor("unread counts", (_screen, lines) => {
      assert.match(roomRow(lines, "#dev"), /2 #dev +2 *$/);
      assert.match(roomRow(lines, "@bob"), /3 @bob +1! *$/);
    });
    tmux.resize(90, 26);
    await tmux.waitFor("the same screen at 90x26", (screen, lines) => {
      assert.equal(lines.filter((l, i) => i < 26).length, 26);
      assert.match(lines[0] ?? "", /#lobby · open room · 2 members, 2 online/);
      assert.match(roomRow(lines, "#dev"), /2 #dev +2 *$/);
      assert.match(roomRow(lines, "@bob"), /3 @bob +1! *$/);
      assert.match(screen, /bob │ hello alice 🔐 漢字 from bob/);
      assert.match(screen, /Members \(2\)/);
      assert.match(screen, /\[connected\]/);
      for (const line of lines) assert.ok([...line].length <= 90, `wider than the terminal: ${line}`);
    });
  });

  it("switches rooms with Ctrl+N: new-messages separator, count read", async () => {
    tmux.keys("C-n");
    await tmux.waitFor("#dev with its new messages", (screen, lines) => {
      assert.match(lines[0] ?? "", /^ #dev/);
      assert.match(screen, /─ new messages ─[\s\S]*dev one[\s\S]*dev two/);
      assert.equal(roomRow(lines, "#dev").trim(), "2 #dev");
      assert.match(roomRow(lines, "@bob"), /1!/);
    });
  });

  it("keeps the line being typed while messages arrive", async () => {
    tmux.type("draft in progress");
    for (const n of [1, 2, 3]) await bobSays(`interrupting ${n}`);
    await tmux.waitFor("the interruptions, input intact", (screen, lines) => {
      assert.match(screen, /interrupting 3/);
      assert.match(lines.find((l) => l.startsWith("[#dev]")) ?? "", /^\[#dev\] draft in progress/);
    });
    const from = bob.events.length;
    tmux.keys("Enter");
    const got = await bob.waitFor("the draft", (e) => e.type === "message" && e.from === "alice", from);
    assert.equal(got.text, "draft in progress");
    assert.equal(got.room, "#dev");
  });

  it("sends a multi-line paste as one message", async () => {
    const from = bob.events.length;
    tmux.paste("first line\nsecond line\nthird line");
    await tmux.waitFor("the paste in the input line", (_screen, lines) => {
      assert.match(lines.find((l) => l.startsWith("[#dev]")) ?? "", /first line↵second line↵third line/);
    });
    tmux.keys("Enter");
    const got = await bob.waitFor("the pasted message", (e) => e.type === "message" && e.from === "alice", from);
    assert.equal(got.text, "first line\nsecond line\nthird line");
    await tmux.waitFor("the three lines in the pane", (screen) => {
      assert.match(screen, /alice │ first line\s*│?\s*\n.*│ second line/);
    });
  });

  it("completes a name with Tab", async () => {
    const from = bob.events.length;
    tmux.type("b");
    tmux.keys("Tab");
    await tmux.waitFor("bob: completed", (_screen, lines) => {
      assert.match(lines.find((l) => l.startsWith("[#dev]")) ?? "", /^\[#dev\] bob:\s*$/);
    });
    tmux.type("ping");
    tmux.keys("Enter");
    const got = await bob.waitFor("the completed message", (e) => e.type === "message" && e.from === "alice", from);
    assert.equal(got.text, "bob: ping");
  });

  it("opens and closes the help overlay", async () => {
    tmux.keys("F1");
    await tmux.waitFor("help", (screen) => {
      assert.match(screen, /Help · Esc, F1 or q closes it/);
      assert.match(screen, /Alt\+1\.\.9, Alt\+0/);
    });
    tmux.keys("Escape");
    await tmux.waitFor("help closed", (screen) => {
      assert.doesNotMatch(screen, /Help · Esc/);
      assert.match(screen, /bob: ping/);
    });
  });

  it("fits a small terminal after another resize", async () => {
    tmux.resize(64, 16);
    await tmux.waitFor("the 64x16 screen", (screen, lines) => {
      assert.match(lines[0] ?? "", /^ #dev/);
      assert.match(screen, /bob: ping/);
      assert.match(roomRow(lines, "#lobby"), /1 #lobby/);
      assert.doesNotMatch(screen, /Members/, "no room for the member list");
      assert.match(screen, /^\[#dev\]/m);
      for (const line of lines) assert.ok([...line].length <= 64, `wider than the terminal: ${line}`);
    });
  });

  it("shows the reconnect state while the server is away, and the way back", async () => {
    const port = Number(new URL(server.url).port);
    await server.kill();
    await tmux.waitFor("reconnecting", (screen) => {
      assert.match(screen, /\[RECONNECTING…\]/);
      assert.match(screen, /!! │ connection lost; reconnecting…/);
    });
    // Asking the server while it is away fails, and says so, but the client keeps reconnecting
    // (issue 19.5: the status bar said DISCONNECTED).
    for (const [i, command] of ["/rooms", "/who *"].entries()) {
      tmux.type(command);
      tmux.keys("Enter");
      await tmux.waitFor(`${command} refused while away`, (screen, lines) => {
        assert.equal(screen.match(/!! │ offline: reconnecting…/g)?.length, i + 1);
        assert.ok(
          lines.some((line) => /^\[RECONNECTING…\] ws:/.test(line)),
          "the status bar",
        );
        assert.doesNotMatch(screen, /DISCONNECTED/);
        assert.match(lines[0] ?? "", /members, presence unknown while offline/, "19.18: not everyone online");
      });
    }
    server = await ServerProcess.start({ dataDir: server.dataDir, port });
    await tmux.waitFor("connected again", (screen) => {
      assert.match(screen, /\[connected\]/);
      assert.match(screen, /-- │ reconnected to/);
      assert.match(screen.split("\n")[0] ?? "", /2 members, 2 online/);
    });
  });

  it("quits cleanly with /quit and gives the terminal back", async () => {
    tmux.type("/quit");
    tmux.keys("Enter");
    await tmux.waitFor("the exit status", (screen) => {
      // The shell's line, or tmux's own note on the dead pane (the shell exits with the same status).
      assert.match(screen, /secure-chat exited with status 0|Pane is dead \(status 0,/);
      assert.doesNotMatch(screen, /Rooms \(/, "the shell's screen is back, without the UI");
    });
  });
});
