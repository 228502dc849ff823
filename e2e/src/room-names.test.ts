import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { BIN, ChatProcess, ServerProcess, freePort, tempDir, uniqueMarker } from "./harness.js";

/** `secure-chat admin ...` on the server's data directory (the server stopped, as the README says). */
function admin(dataDir: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [BIN, "admin", ...args.slice(0, 1), "--data", dataDir, ...args.slice(1)], {
    encoding: "utf8",
  });
}

describe("room names: look-alikes, and the operator's reservations", () => {
  const dataDir = tempDir("server");
  let port: number;
  let server: ServerProcess;
  let alice: ChatProcess;
  let mallory: ChatProcess;

  before(async () => {
    port = await freePort();
    server = await ServerProcess.start({ dataDir, port });
    alice = await ChatProcess.start("alice", server.url, tempDir("alice"));
    mallory = await ChatProcess.start("mallory", server.url, tempDir("mallory"));
  });

  after(async () => {
    await Promise.all([alice?.kill(), mallory?.kill()]);
    await server?.kill();
  });

  async function restartServer(between: () => void): Promise<void> {
    const clients = [alice, mallory].map((client) => ({ client, from: client.events.length }));
    await server.kill();
    between();
    server = await ServerProcess.start({ dataDir, port });
    for (const { client, from } of clients) {
      await client.waitFor("reconnected", (e) => e.type === "connection" && e.state === "connected", from);
    }
  }

  it("refuses a room whose name looks like another's, whatever its kind", async () => {
    assert.equal((await mallory.command("/join +team", "info")).type, "info");
    for (const lookalike of ["+tearn", "#team", "#tearn"]) {
      const refused = await alice.command(`/join ${lookalike}`, "info");
      assert.equal(refused.type, "error", `${lookalike}: ${JSON.stringify(refused)}`);
      assert.equal(refused.code, "ROOM_CONFUSABLE", JSON.stringify(refused));
    }
  });

  it("lets the operator take a squatted room back for its owner, who creates it anew", async () => {
    let kept: ReturnType<typeof admin> | undefined;
    let reclaimed: ReturnType<typeof admin> | undefined;
    await restartServer(() => {
      kept = admin(dataDir, "reserve-room", "+team", "alice");
      reclaimed = admin(dataDir, "reserve-room", "--reclaim", "+team", "alice");
    });
    assert.notEqual(kept?.status, 0, "a room in use is not ended without --reclaim");
    assert.match(kept?.stderr ?? "", /GROUP_EXISTS.*mallory.*--reclaim/);
    assert.equal(reclaimed?.status, 0, reclaimed?.stderr);
    assert.match(reclaimed?.stdout ?? "", /reclaimed \+team for alice: its group was ended for mallory/);

    const created = await alice.command("/join +team", "info");
    assert.equal(created.type, "info", JSON.stringify(created));
    // Mallory's old group is over: the server refuses what he sends to it.
    const marker = uniqueMarker("squatter");
    const from = mallory.events.length;
    mallory.send(`/say +team ${marker}`);
    const refusal = await mallory.waitFor("refusal", (e) => e.type === "error", from);
    assert.equal(refusal.code, "NOT_MEMBER", JSON.stringify(refusal));
    assert.ok(!alice.events.some((e) => e.type === "message" && e.text === marker), "mallory's message reached alice");
  });

  it("keeps a reserved name for its owner only, until the reservation is lifted", async () => {
    let reserved: ReturnType<typeof admin> | undefined;
    await restartServer(() => {
      reserved = admin(dataDir, "reserve-room", "#announce", "alice");
    });
    assert.equal(reserved?.status, 0, reserved?.stderr);
    const refused = await mallory.command("/join #announce", "info");
    assert.equal(refused.code, "ROOM_RESERVED", JSON.stringify(refused));
    const lookalike = await mallory.command("/join #ann0unce", "info");
    assert.equal(lookalike.code, "ROOM_CONFUSABLE", JSON.stringify(lookalike));
    assert.equal((await alice.command("/join #announce", "info")).type, "info");

    let lifted: ReturnType<typeof admin> | undefined;
    let unknown: ReturnType<typeof admin> | undefined;
    await restartServer(() => {
      lifted = admin(dataDir, "unreserve-room", "#announce");
      unknown = admin(dataDir, "unreserve-room", "#never");
    });
    assert.equal(lifted?.status, 0, lifted?.stderr);
    assert.notEqual(unknown?.status, 0);
    assert.match(unknown?.stderr ?? "", /NOT_RESERVED/);
  });

  it("refuses bad operands with a usage line", () => {
    for (const args of [
      ["reserve-room", "team", "alice"],
      ["reserve-room", "+team"],
      ["reserve-room", "@a@b", "alice"],
    ]) {
      const result = admin(dataDir, ...args);
      assert.equal(result.status, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, /BAD_NAME|BAD_COMMAND/);
    }
    const nobody = admin(dataDir, "reserve-room", "#ops", "nobody");
    assert.match(nobody.stderr, /NO_SUCH_USER/);
  });
});
