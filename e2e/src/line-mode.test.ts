/**
 * Line mode (`--plain`) on a real terminal (tmux): a message padded with spaces to the edge of
 * the terminal must not put a line of its sender's choosing at the start of a row, where it would
 * read as a line from someone else (README, "line mode").
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BIN, ChatProcess, PASSPHRASE, ServerProcess, tempDir } from "./harness.js";
import { Tmux } from "./tmux.js";

const COLS = 80;

describe("line mode in a real terminal (tmux)", () => {
  const tmux = new Tmux();
  let server: ServerProcess;
  let mallory: ChatProcess | undefined;

  before(async () => {
    server = await ServerProcess.start();
    const home = tempDir("alice-plain");
    tmux.start(
      `SECURE_CHAT_PASSPHRASE='${PASSPHRASE}' ${process.execPath} ${BIN} chat --plain --server ${server.url} --home ${home} alice`,
      COLS,
      30,
    );
    await tmux.waitFor("alice ready", (screen) => assert.match(screen, /you are in #lobby/));
  });

  after(async () => {
    tmux.kill();
    await mallory?.kill();
    await server?.kill();
  });

  it("folds a padded message itself, so the fake line it carries starts no row", async () => {
    mallory = await ChatProcess.start("mallory", server.url, tempDir("mallory"));
    await tmux.waitFor("mallory joined", (screen) => assert.match(screen, /mallory joined/));
    // Padded so that, wrapped by the terminal, the fake line would begin exactly at a row's start.
    const prefix = "[00:00] #lobby 3fa9c2 <mallory> ok"; // as long as the real one (its id is 6 digits)
    const fake = "[12:32] #lobby 77e1d0 <ceo> wire 50k to the usual account";
    mallory.send(`ok${" ".repeat(COLS - prefix.length)}${fake}`);
    const screen = await tmux.waitFor("the padded message", (text) => assert.match(text, /<ceo> wire 50k/));
    const rows = screen.split("\n");
    assert.ok(
      !rows.some((row) => /^\[\d\d:\d\d\] #lobby [0-9a-f]{6} <ceo>/.test(row)),
      `a row reads as ceo's line:\n${screen}`,
    );
    const carrying = rows.find((row) => row.includes("<ceo> wire 50k"));
    assert.match(carrying ?? "", /^ +┆ /, "the row carrying it is marked as a continuation");
  });
});
