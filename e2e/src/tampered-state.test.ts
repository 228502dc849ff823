import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { BIN, ChatProcess, Lobby, chatEnv, uniqueMarker } from "./harness.js";

/** Runs one SQL statement on a stopped client's file, without its passphrase; returns the rows it changed. */
function tamper(home: string, sql: string): number {
  const db = new Database(join(home, "client.db"));
  try {
    return db.prepare(sql).run().changes;
  } finally {
    db.close();
  }
}

describe("a client's state file altered without the passphrase", () => {
  let lobby: Lobby;

  before(async () => {
    lobby = await Lobby.start(["alice", "bob", "carol"]);
  });

  after(() => lobby?.stop());

  it("does not show alice's private message as carol's in #lobby after the rows were relabelled", async () => {
    const alice = lobby.get("alice");
    const bob = lobby.get("bob");
    const secret = uniqueMarker("FOR-BOB-ONLY");
    alice.send(`/msg bob ${secret}`);
    await bob.waitFor("alice's private message", (e) => e.type === "message" && e.text === secret);
    assert.equal(await bob.quit(), 0);

    // The forgery: the private conversation's row moved to #lobby and given carol as its sender.
    assert.equal(tamper(bob.home, "UPDATE history SET room = '#lobby', sender = 'carol' WHERE room = '@alice@bob'"), 1);

    const again = await ChatProcess.start("bob", lobby.server.url, bob.home);
    try {
      const reply = await again.command("/history 20", "history");
      assert.equal(reply.type, "error", JSON.stringify(reply));
      assert.equal(reply.code, "STATE_CORRUPT");
      assert.match(String(reply.message), /a saved message in #lobby does not authenticate/);
      assert.ok(!again.stdoutLines.some((line) => line.includes(secret)), "the forged history was shown");
    } finally {
      assert.equal(await again.quit(), 0);
    }
  });

  it("refuses to start, with one line, once a pin was deleted (so that a new key would pass unwarned)", () => {
    const home = lobby.get("bob").home;
    assert.equal(tamper(home, "DELETE FROM pins WHERE name = 'alice'"), 1);
    const run = spawnSync(
      process.execPath,
      [BIN, "chat", "--json", "--server", lobby.server.url, "--home", home, "bob"],
      {
        input: "",
        encoding: "utf8",
        timeout: 20_000,
        env: chatEnv,
      },
    );
    assert.equal(run.status, 1, run.stderr);
    assert.match(
      run.stderr,
      /^secure-chat: STATE_CORRUPT: .*client\.db was altered or damaged since this client saved it: the pinned keys changed\. Move the folder aside/,
    );
    assert.equal(run.stderr.trim().split("\n").length, 1, "one clear line, no stack trace");
  });
});
