import assert from "node:assert/strict";
import { cpSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { emptyPskIndex, processMessage, type ClientState, type MLSMessage } from "ts-mls";
import { clientConfig, decodeMessage, loadCipherSuite } from "@secure-chat/client";
import { cipherSuites } from "@secure-chat/protocol";
import { ChatProcess, ServerProcess, savedGroupState, tempDir, uniqueMarker } from "./harness.js";
import { decryptWith, serverMessages } from "./server-log.js";

/** The attacker's best case: an authentication service that trusts everyone. */
const trustAll = clientConfig({ validateCredential: async () => true });

function savedState(home: string, groupId: string): Promise<ClientState> {
  return savedGroupState(home, groupId, trustAll);
}

async function tryDecrypt(state: ClientState, message: MLSMessage): Promise<string> {
  return decryptWith(state, message, await loadCipherSuite(cipherSuites.xwing));
}

describe("/kick", () => {
  let server: ServerProcess;
  let alice: ChatProcess;
  let carol: ChatProcess;
  let bob: ChatProcess;
  const bobHome = tempDir("bob");

  before(async () => {
    server = await ServerProcess.start();
    alice = await ChatProcess.start("alice", server.url, tempDir("alice"));
    bob = await ChatProcess.start("bob", server.url, bobHome);
    carol = await ChatProcess.start("carol", server.url, tempDir("carol"));
  });

  after(async () => {
    await Promise.all([alice, bob, carol].map((c) => c?.kill()));
    await server?.kill();
  });

  it("removes bob, and bob's saved state cannot decrypt what is sent afterwards", async () => {
    await alice.command("/join +ops", "info");
    for (const [name, client] of [
      ["bob", bob],
      ["carol", carol],
    ] as const) {
      alice.send(`/invite ${name}`);
      await client.waitFor("invitation", (e) => e.type === "room" && e.room === "+ops" && e.change === "joined");
    }
    alice.send("before the kick");
    await bob.waitFor("pre-kick message", (e) => e.type === "message" && e.text === "before the kick");

    // bob keeps a copy of his state, as a removed member trying to keep reading would.
    assert.equal(await bob.quit(), 0);
    const snapshot = tempDir("bob-snapshot");
    cpSync(bobHome, snapshot, { recursive: true });

    alice.send("/kick bob");
    await carol.waitFor("bob removed", (e) => e.type === "member" && e.name === "bob" && e.change === "removed");
    // A copy of carol's state from the same epoch serves as the positive control below
    // (her live state deletes each message key once used: forward secrecy).
    assert.equal(await carol.quit(), 0);
    const carolSnapshot = tempDir("carol-snapshot");
    cpSync(carol.home, carolSnapshot, { recursive: true });
    carol = await ChatProcess.start("carol", server.url, carol.home);
    const marker = uniqueMarker("AFTER-KICK");
    alice.send(`${marker} not for bob`);
    await carol.waitFor("post-kick message", (e) => e.type === "message" && e.text === `${marker} not for bob`);

    bob = await ChatProcess.start("bob", server.url, bobHome);
    await bob.waitFor("removal notice", (e) => e.type === "room" && e.room === "+ops" && e.change === "removed");
    bob.send("/history 10");
    await bob.waitFor("history", (e) => e.type === "history");
    assert.ok(!bob.events.some((e) => JSON.stringify(e).includes(marker)), "bob saw the post-kick message");

    const log = serverMessages(server.dataDir, "+ops");
    const kickIndex = log.map((m) => m.kind).lastIndexOf(1);
    const kickCommit = decodeMessage(new Uint8Array(log[kickIndex]!.payload))!;
    const after = log.slice(kickIndex + 1).filter((m) => m.kind === 0);
    assert.equal(after.length, 1, "expected exactly the marker message after the kick");
    const secret = decodeMessage(new Uint8Array(after[0]!.payload))!;

    // Positive control: with the state carol holds, the ciphertext does decrypt.
    const carolText = await tryDecrypt(await savedState(carolSnapshot, "+ops"), secret);
    assert.ok(carolText.includes(marker), "the control decryption failed: test is broken");

    const stale = await savedState(snapshot, "+ops");
    await assert.rejects(tryDecrypt(stale, secret), "bob's pre-kick state decrypted a post-kick message");
    const advanced = await (async () => {
      const impl = await loadCipherSuite(cipherSuites.xwing);
      if (kickCommit.wireformat !== "mls_public_message") throw new Error("commit should be a PublicMessage");
      const result = await processMessage(kickCommit, stale, emptyPskIndex, () => "accept", impl);
      return result.newState;
    })();
    assert.equal(advanced.groupActiveState.kind, "removedFromGroup");
    await assert.rejects(tryDecrypt(advanced, secret), "bob's state after the kick commit decrypted a later message");
  });
});
