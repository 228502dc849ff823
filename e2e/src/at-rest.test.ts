import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { BIN, ChatProcess, Lobby, chatEnv, filesUnder, tempDir, uniqueMarker } from "./harness.js";

function runChat(server: string, home: string, name: string, env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, [BIN, "chat", "--json", "--server", server, "--home", home, name], {
    input: "",
    encoding: "utf8",
    timeout: 20_000,
    env,
  });
}

describe("local state at rest", () => {
  let lobby: Lobby;

  before(async () => {
    lobby = await Lobby.start(["alice", "bob"]);
  });

  after(() => lobby?.stop());

  it("keeps message text out of the client's files; only the passphrase opens them", async () => {
    const alice = lobby.get("alice");
    const bob = lobby.get("bob");
    const roomMarker = uniqueMarker("ATREST-ROOM");
    const privateMarker = uniqueMarker("ATREST-DM");
    alice.send(roomMarker);
    alice.send(`/msg bob ${privateMarker}`);
    await bob.waitFor("dm", (e) => e.type === "message" && e.text === privateMarker);
    await bob.waitFor("room", (e) => e.type === "message" && e.text === roomMarker);
    assert.equal(await alice.quit(), 0);
    assert.equal(await bob.quit(), 0);
    for (const client of [alice, bob]) {
      for (const file of filesUnder(client.home)) {
        const content = readFileSync(file);
        for (const marker of [roomMarker, privateMarker]) {
          assert.ok(!content.includes(marker), `${file} holds ${marker} in plaintext`);
        }
      }
    }
    // Positive control: with the passphrase the history is all there.
    const again = await ChatProcess.start("bob", lobby.server.url, bob.home);
    try {
      const history = await again.command("/history 10", "history");
      assert.ok(JSON.stringify(history).includes(roomMarker));
      again.send("/join @alice");
      await again.waitFor("switched", (e) => e.type === "info" && String(e.message).includes("@alice"));
      const dm = await again.command("/history 10", "history");
      assert.ok(JSON.stringify(dm).includes(privateMarker));
    } finally {
      await again.quit();
    }
  });

  it("refuses a wrong passphrase, and a missing one, with a clear error", () => {
    const home = lobby.get("bob").home;
    const wrong = runChat(lobby.server.url, home, "bob", { ...chatEnv, SECURE_CHAT_PASSPHRASE: "not it" });
    assert.notEqual(wrong.status, 0);
    assert.match(wrong.stderr, /^secure-chat: BAD_PASSPHRASE: wrong passphrase for this home folder/);
    const withoutPassphrase: NodeJS.ProcessEnv = { ...chatEnv, SECURE_CHAT_PASSPHRASE: undefined };
    const missing = runChat(lobby.server.url, home, "bob", withoutPassphrase);
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /^secure-chat: NO_PASSPHRASE: .*SECURE_CHAT_PASSPHRASE/);
  });

  it("refuses a weak passphrase for a new home from the environment too, and creates nothing", () => {
    const home = tempDir("weak");
    const weak = runChat(lobby.server.url, home, "carol", { ...chatEnv, SECURE_CHAT_PASSPHRASE: "x" });
    assert.equal(weak.status, 1);
    assert.match(weak.stderr, /^secure-chat: WEAK_PASSPHRASE: a new home's passphrase needs at least 8 characters/);
    assert.deepEqual(filesUnder(home), [], "no state file made with it");
  });

  it("reports a damaged state file clearly, with the way back, instead of crashing", () => {
    const home = lobby.get("alice").home;
    truncateSync(join(home, "client.db"), 1000);
    const damaged = runChat(lobby.server.url, home, "alice", chatEnv);
    assert.notEqual(damaged.status, 0);
    assert.match(damaged.stderr, /^secure-chat: STATE_CORRUPT: .*Move the folder aside/);
    assert.equal(damaged.stderr.trim().split("\n").length, 1, "one clear line, no stack trace");
  });
});
