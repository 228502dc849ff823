/** `/invite` always answers (issue 19.12): of a member already in the room, and of yourself. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ChatProcess, ServerProcess, tempDir } from "./harness.js";

describe("/invite replies", () => {
  let server: ServerProcess;
  let alice: ChatProcess;
  let bob: ChatProcess;

  before(async () => {
    server = await ServerProcess.start();
    alice = await ChatProcess.start("alice", server.url, tempDir("alice"));
    bob = await ChatProcess.start("bob", server.url, tempDir("bob"));
  });

  after(async () => {
    await Promise.all([alice, bob].map((c) => c?.kill()));
    await server?.kill();
  });

  it("says so when the name is already in the room, or is yours", async () => {
    await alice.command("/join +team", "info");
    alice.send("/invite bob");
    await bob.waitFor("invited", (e) => e.type === "room" && e.room === "+team");
    const again = await alice.command("/invite bob", "error");
    assert.equal(again.code, "BAD_ARGUMENT");
    assert.match(String(again.message), /bob is in \+team already/);
    const self = await alice.command("/invite alice", "error");
    assert.match(String(self.message), /you are in \+team already/);
  });
});
