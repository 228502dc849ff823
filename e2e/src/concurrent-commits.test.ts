import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { clientConfig } from "@secure-chat/client";
import { ChatProcess, ServerProcess, savedGroupState, tempDir } from "./harness.js";

async function savedEpoch(home: string, groupId: string): Promise<bigint> {
  const config = clientConfig({ validateCredential: async () => false });
  return (await savedGroupState(home, groupId, config)).groupContext.epoch;
}

describe("concurrent commits", () => {
  let server: ServerProcess;
  const clients = new Map<string, ChatProcess>();

  before(async () => {
    server = await ServerProcess.start();
    for (const name of ["alice", "bob", "carol", "dave", "erin", "frank"]) {
      clients.set(name, await ChatProcess.start(name, server.url, tempDir(name)));
    }
  });

  after(async () => {
    await Promise.all([...clients.values()].map((c) => c.kill()));
    await server?.kill();
  });

  it("two members inviting at the same moment: no fork, both invitations applied, one epoch for all", async () => {
    const get = (name: string): ChatProcess => clients.get(name)!;
    await get("alice").command("/join +team", "info");
    get("alice").send("/invite bob");
    await get("bob").waitFor("invited", (e) => e.type === "room" && e.room === "+team");
    get("bob").send("/join +team");
    await get("bob").waitFor("switched", (e) => e.type === "info" && String(e.message).includes("+team"));

    // Several rounds of simultaneous commits from both sides.
    const invitees = [
      ["carol", "dave"],
      ["erin", "frank"],
    ] as const;
    for (const [fromAlice, fromBob] of invitees) {
      get("alice").send(`/invite ${fromAlice}`);
      get("bob").send(`/invite ${fromBob}`);
      await get(fromAlice).waitFor("invited", (e) => e.type === "room" && e.room === "+team");
      await get(fromBob).waitFor("invited", (e) => e.type === "room" && e.room === "+team");
    }
    const everyone = ["alice", "bob", "carol", "dave", "erin", "frank"];
    get("frank").send("/join +team");
    get("frank").send("frank says hi to the team");
    for (const name of everyone) {
      await get(name).waitFor("frank's message", (e) => e.type === "message" && e.text === "frank says hi to the team");
    }
    for (const name of everyone) {
      const who = await get(name)
        .command("/join +team", "info")
        .then(() => get(name).command("/who", "who"));
      assert.deepEqual(
        (who.members as { name: string }[]).map((m) => m.name),
        everyone,
        `${name} sees a different member list`,
      );
    }
    await Promise.all(everyone.map((name) => get(name).quit()));
    const epochs = new Set(await Promise.all(everyone.map((name) => savedEpoch(get(name).home, "+team"))));
    assert.equal(epochs.size, 1, `members ended in different epochs: ${[...epochs].join(", ")}`);
  });
});
