/**
 * A damaged GroupInfo for #lobby (SECURITY.md, "Room policy"): every client joins #lobby first, so
 * one the server published unchecked would stop every new user from starting. The server refuses
 * a GroupInfo its sender did not sign; and a client that still gets an unusable one (here from a
 * hostile relay) starts anyway, says why, and everything else works.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ChatClient } from "@secure-chat/client";
import type { GroupId } from "@secure-chat/protocol";
import { attacker, flipLastByte } from "./attacker.js";
import { ChatProcess, ServerProcess, inProcessClient, tempDir, uniqueMarker } from "./harness.js";
import { ReplayProxy } from "./replay-proxy.js";

const lobby = "#lobby" as GroupId;

describe("a poisoned #lobby", () => {
  let server: ServerProcess;
  let alice: ChatProcess;
  const others: ChatProcess[] = [];
  let mallory: ChatClient | undefined;
  let proxy: ReplayProxy | undefined;

  before(async () => {
    server = await ServerProcess.start();
    alice = await ChatProcess.start("alice", server.url, tempDir("alice"));
  });

  after(async () => {
    await mallory?.close();
    await Promise.all([alice, ...others].map((c) => c.kill()));
    await proxy?.stop();
    await server?.kill();
  });

  it("the server refuses a join whose next GroupInfo has a flipped signature byte; new users still start", async () => {
    mallory = inProcessClient("mallory", server.url);
    await mallory.start();
    // She is in #lobby; she joins again (as a resync would) with a spoiled next GroupInfo.
    const mal = attacker(mallory);
    const join = await mal.engine.prepareExternalJoin(lobby, await mal.groupInfo(lobby));
    assert.equal(await mal.refusal({ ...join.frame, groupInfo: flipLastByte(join.frame.groupInfo) }), "BAD_MLS");

    const carol = await ChatProcess.start("carol", server.url, tempDir("carol"));
    others.push(carol);
    assert.equal(
      carol.events.filter((e) => e.type === "error").length,
      0,
      `carol started cleanly: ${JSON.stringify(carol.events)}`,
    );
    await alice.waitFor("carol in #lobby", (e) => e.type === "member" && e.room === "#lobby" && e.name === "carol");
  });

  it("a client given an unusable #lobby GroupInfo starts anyway, says so, and can still talk", async () => {
    proxy = await ReplayProxy.start(server.url, "spoil");
    const dave = await ChatProcess.start("dave", proxy.url, tempDir("dave"));
    others.push(dave);
    assert.ok(proxy.injected > 0, "the relay spoiled the GroupInfo");
    const told = dave.events.find((e) => e.type === "error");
    assert.equal(told?.code, "BAD_MLS", JSON.stringify(dave.events));
    assert.match(String(told?.message), /could not join #lobby/);
    const text = uniqueMarker("dave to alice");
    dave.send(`/msg alice ${text}`);
    await alice.waitFor("dave's private message", (e) => e.type === "message" && e.room === "@dave" && e.text === text);
  });
});
