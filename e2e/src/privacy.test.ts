import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { Lobby, filesUnder, uniqueMarker, type ChatProcess } from "./harness.js";

describe("the server only ever sees ciphertext", () => {
  let lobby: Lobby;
  let alice: ChatProcess;
  let bob: ChatProcess;
  let carol: ChatProcess;

  before(async () => {
    lobby = await Lobby.start(["alice", "bob", "carol"]);
    [alice, bob, carol] = [lobby.get("alice"), lobby.get("bob"), lobby.get("carol")];
  });

  after(() => lobby?.stop());

  it("a marker sent in #lobby and by /msg never reaches the server's files or logs, nor a third member", async () => {
    const roomMarker = uniqueMarker("ROOM");
    const privateMarker = uniqueMarker("PRIVATE");
    alice.send(`${roomMarker} for everyone`);
    alice.send(`/msg bob ${privateMarker} for bob only`);
    // Positive controls: the intended readers do get the plaintext.
    await bob.waitFor("room marker", (e) => e.type === "message" && String(e.text).includes(roomMarker));
    await carol.waitFor("room marker", (e) => e.type === "message" && String(e.text).includes(roomMarker));
    const dm = await bob.waitFor(
      "private marker",
      (e) => e.type === "message" && String(e.text).includes(privateMarker),
    );
    assert.equal(dm.room, "@alice");
    assert.equal(dm.from, "alice");
    // A later room message proves carol's stream went past the private one.
    alice.send("after the private message");
    await carol.waitFor("later message", (e) => e.type === "message" && e.text === "after the private message");

    assert.ok(!carol.events.some((e) => JSON.stringify(e).includes(privateMarker)), "carol saw the private message");
    for (const file of filesUnder(carol.home)) {
      assert.ok(!readFileSync(file).includes(privateMarker), `carol's ${file} holds the private message`);
    }

    await lobby.server.kill("SIGTERM"); // flush everything it would write
    const written = lobby.server.everythingWritten();
    assert.ok(written.length > 10_000, "the server wrote suspiciously little; is the data dir right?");
    for (const marker of [roomMarker, privateMarker]) {
      assert.ok(!written.includes(marker), `the server wrote ${marker} in plaintext`);
      assert.ok(!written.includes(Buffer.from(marker).toString("base64").slice(0, 16)), "base64 plaintext found");
    }
  });
});
