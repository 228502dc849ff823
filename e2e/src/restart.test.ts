import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { ChatProcess, ServerProcess, freePort, tempDir } from "./harness.js";

function storedRows(dataDir: string): number {
  const db = new Database(join(dataDir, "secure-chat.db"), { readonly: true });
  try {
    return (db.prepare("SELECT count(*) AS n FROM messages").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe("server restart", () => {
  let server: ServerProcess;
  let alice: ChatProcess;
  let bob: ChatProcess;
  const dataDir = tempDir("server");
  let port: number;

  before(async () => {
    port = await freePort();
    server = await ServerProcess.start({ dataDir, port });
    alice = await ChatProcess.start("alice", server.url, tempDir("alice"));
    bob = await ChatProcess.start("bob", server.url, tempDir("bob"));
    await alice.waitFor("bob joined", (e) => e.type === "member" && e.name === "bob");
  });

  after(async () => {
    await Promise.all([alice, bob].map((c) => c?.kill()));
    await server?.kill();
  });

  it("loses nothing stored across kill -9, and connected clients resume", async () => {
    const before: string[] = [];
    for (let i = 0; i < 5; i++) {
      const text = `before restart ${i}`;
      (i % 2 === 0 ? alice : bob).send(text);
      before.push(text);
      await alice.waitFor(text, (e) => e.type === "message" && e.text === text);
      await bob.waitFor(text, (e) => e.type === "message" && e.text === text);
    }
    alice.send("/msg bob private before restart");
    await bob.waitFor("dm", (e) => e.type === "message" && e.text === "private before restart");

    const aliceFrom = alice.events.length;
    const bobFrom = bob.events.length;
    await server.kill("SIGKILL");
    const rowsAtCrash = storedRows(dataDir);
    await alice.waitFor("reconnecting", (e) => e.type === "connection" && e.state === "reconnecting", aliceFrom);

    server = await ServerProcess.start({ dataDir, port });
    assert.equal(storedRows(dataDir), rowsAtCrash);
    await alice.waitFor("reconnected", (e) => e.type === "connection" && e.state === "connected", aliceFrom);
    await bob.waitFor("reconnected", (e) => e.type === "connection" && e.state === "connected", bobFrom);

    alice.send("after restart from alice");
    bob.send("/msg alice private after restart");
    await bob.waitFor("post-restart", (e) => e.type === "message" && e.text === "after restart from alice");
    await alice.waitFor("post-restart dm", (e) => e.type === "message" && e.text === "private after restart");

    const history = await bob.command("/history 20", "history");
    assert.deepEqual(
      (history.messages as { text: string }[]).map((m) => m.text),
      [...before, "after restart from alice"],
    );
    for (const client of [alice, bob]) {
      const ids = client.messages().map((m) => m.id);
      assert.equal(new Set(ids).size, ids.length, `${client.name} was shown a message twice`);
    }
  });
});
