/**
 * A forged delivery with the highest seq there is (SECURITY.md, "Replays and duplicates"): the
 * client must not take it as its cursor, nor acknowledge it, or every later delivery would look
 * old to it and to the server, for good. A malicious relay injects one of garbage and a copy of a
 * real one; afterwards the client still shows what comes, through the relay and, after a
 * restart, straight from the honest server. And the server refuses an ack beyond its last seq.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ChatProcess, ServerProcess, tempDir, until, uniqueMarker } from "./harness.js";
import { RawClient, rawIdentity, rawLogin } from "./raw-client.js";
import { POISON_SEQ, ReplayProxy } from "./replay-proxy.js";

describe("a forged delivery with a huge seq", () => {
  let server: ServerProcess;
  let proxy: ReplayProxy;
  let alice: ChatProcess;
  let bob: ChatProcess | undefined;
  const bobHome = tempDir("bob");

  before(async () => {
    server = await ServerProcess.start();
    proxy = await ReplayProxy.start(server.url, "poison");
    alice = await ChatProcess.start("alice", server.url, tempDir("alice"));
  });

  after(async () => {
    await Promise.all([alice, bob].map((c) => c?.kill()));
    await proxy?.stop();
    await server?.kill();
  });

  it("moves neither the client's cursor nor the server's: what comes next is shown, also after a restart", async () => {
    /** alice sends a message and bob shows it. */
    const sendAndSee = async (what: string): Promise<void> => {
      const text = uniqueMarker(what);
      alice.send(text);
      await bob?.waitFor(what, (e) => e.type === "message" && e.text === text);
    };
    /** bob quits, alice sends, bob starts again at `url` and shows what he missed. */
    const missedWhileAway = async (url: string): Promise<void> => {
      assert.equal(await bob?.quit(), 0);
      const text = uniqueMarker("while bob was away");
      alice.send(text);
      await alice.waitFor("stored", (e) => e.type === "message" && e.text === text);
      bob = await ChatProcess.start("bob", url, bobHome);
      await bob.waitFor("the missed message", (e) => e.type === "message" && e.text === text);
    };

    bob = await ChatProcess.start("bob", proxy.url, bobHome);
    await alice.waitFor("bob joined", (e) => e.type === "member" && e.name === "bob");
    // Before bob is in #lobby, the garbage is for a group he does not know: ignored.
    await until("the relay to inject garbage", () => (proxy.injected >= 1 ? true : undefined));
    await sendAndSee("after the garbage, live");

    // Through the relay again: this catch-up has a real delivery, which it copies under the huge seq.
    await missedWhileAway(proxy.url);
    await until("the relay to inject a copy", () => (proxy.injected >= 3 ? true : undefined));
    const refused = (e: { type: string; code?: unknown; message?: unknown }): boolean =>
      e.type === "error" && e.code === "DECRYPT_FAILED" && String(e.message).includes(`#${POISON_SEQ}`);
    await until("both forgeries refused", () => (bob?.events.filter(refused).length === 2 ? true : undefined));
    await sendAndSee("after the copy, live");

    // Straight to the honest server: neither its cursor for bob nor bob's own skips anything.
    await missedWhileAway(server.url);
    await sendAndSee("from the honest server, live");
  });

  it("the server refuses an ack beyond the last seq it handed out", async () => {
    const client = await RawClient.connect(server.url);
    try {
      await rawLogin(client, rawIdentity("mallory"));
      client.send({ type: "ack", seq: POISON_SEQ });
      const answer = await client.next("error");
      assert.equal(answer.type === "error" && answer.code, "BAD_ARGUMENT");
    } finally {
      client.close();
    }
  });
});
