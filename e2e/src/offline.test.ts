import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ChatProcess, ServerProcess, tempDir } from "./harness.js";

describe("offline delivery", () => {
  let server: ServerProcess;
  let alice: ChatProcess;
  let carol: ChatProcess;
  let bob: ChatProcess | undefined;
  const bobHome = tempDir("bob");

  before(async () => {
    server = await ServerProcess.start();
    alice = await ChatProcess.start("alice", server.url, tempDir("alice"));
    carol = await ChatProcess.start("carol", server.url, tempDir("carol"));
  });

  after(async () => {
    await Promise.all([alice, carol, bob].map((c) => c?.kill()));
    await server?.kill();
  });

  it("a client stopped while others talk gets every message on restart, in order, exactly once", async () => {
    bob = await ChatProcess.start("bob", server.url, bobHome);
    await alice.waitFor("bob joined", (e) => e.type === "member" && e.name === "bob");
    alice.send("before bob left");
    await bob.waitFor("first message", (e) => e.type === "message" && e.text === "before bob left");
    assert.equal(await bob.quit(), 0);
    await alice.waitFor("bob offline", (e) => e.type === "presence" && e.name === "bob" && e.online === false);

    const expectedLobby: string[] = [];
    const expectedPrivate: string[] = [];
    for (let i = 0; i < 4; i++) {
      const fromAlice = `lobby ${i} from alice`;
      const fromCarol = `lobby ${i} from carol`;
      alice.send(fromAlice);
      await alice.waitFor(fromAlice, (e) => e.type === "message" && e.text === fromAlice);
      carol.send(fromCarol);
      await carol.waitFor(fromCarol, (e) => e.type === "message" && e.text === fromCarol);
      expectedLobby.push(fromAlice, fromCarol);
      const secret = `private ${i} for bob`;
      // The first one starts the conversation while bob is offline: his Welcome waits too.
      alice.send(`/msg bob ${secret}`);
      await alice.waitFor(secret, (e) => e.type === "message" && e.text === secret);
      expectedPrivate.push(secret);
    }

    bob = await ChatProcess.start("bob", server.url, bobHome);
    const lobby = await bob.waitForMessages(expectedLobby.length, "#lobby");
    const direct = await bob.waitForMessages(expectedPrivate.length, "@alice");
    // Let any duplicate arrive before counting.
    bob.send("/history 50");
    const history = await bob.waitFor("history reply", (e) => e.type === "history");
    assert.deepEqual(
      lobby.map((m) => m.text),
      expectedLobby,
    );
    assert.deepEqual(
      direct.map((m) => m.text),
      expectedPrivate,
    );
    assert.equal(bob.messages().length, expectedLobby.length + expectedPrivate.length, "a message came twice");
    const historyTexts = (history.messages as { text: string }[]).map((m) => m.text);
    assert.deepEqual(historyTexts, ["before bob left", ...expectedLobby]);
  });
});
