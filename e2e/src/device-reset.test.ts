import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { BIN, ChatProcess, ServerProcess, chatEnv, freePort, tempDir } from "./harness.js";

describe("a lost device", () => {
  let server: ServerProcess;
  const dataDir = tempDir("server");
  let port: number;
  const clients = new Map<string, ChatProcess>();
  const get = (name: string): ChatProcess => clients.get(name)!;

  before(async () => {
    port = await freePort();
    server = await ServerProcess.start({ dataDir, port });
    for (const name of ["alice", "bob", "carol"])
      clients.set(name, await ChatProcess.start(name, server.url, tempDir(name)));
    await get("alice").waitFor("carol joined", (e) => e.type === "member" && e.name === "carol");
  });

  after(async () => {
    await Promise.all([...clients.values()].map((c) => c.kill()));
    await server?.kill();
  });

  it("is refused, then after the operator releases the name comes back as a new device with a warning to peers", async () => {
    const alice = get("alice");
    alice.send("/msg bob before the loss");
    await get("bob").waitFor("dm", (e) => e.type === "message" && e.text === "before the loss");
    await alice.command("/join +team", "info");
    for (const name of ["bob", "carol"]) {
      alice.send(`/invite ${name}`);
      await get(name).waitFor("invited", (e) => e.type === "room" && e.room === "+team");
    }
    await alice.kill();
    rmSync(alice.home, { recursive: true, force: true });

    // The same name from a fresh install is someone else's key, as far as the server knows.
    const newHome = tempDir("alice-new");
    const refused = spawnSync(process.execPath, [BIN, "chat", "--server", server.url, "--home", newHome, "alice"], {
      input: "",
      encoding: "utf8",
      timeout: 20_000,
      env: chatEnv,
    });
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /NAME_TAKEN/);

    await server.kill();
    const released = spawnSync(process.execPath, [BIN, "admin", "release-name", "--data", dataDir, "alice"], {
      encoding: "utf8",
    });
    assert.equal(released.status, 0, released.stderr);
    assert.match(released.stdout, /released alice/);
    server = await ServerProcess.start({ dataDir, port });
    for (const name of ["bob", "carol"]) {
      await get(name).waitFor("reconnected", (e) => e.type === "connection" && e.state === "connected");
    }

    const bobFrom = get("bob").events.length;
    const fresh = await ChatProcess.start("alice", server.url, newHome);
    clients.set("alice", fresh);
    fresh.send("new device here");
    const bob = get("bob");
    const message = await bob.waitFor(
      "new alice's message",
      (e) => e.type === "message" && e.text === "new device here",
      bobFrom,
    );
    const warning = bob.events.findIndex((e, i) => i >= bobFrom && e.type === "key_changed" && e.name === "alice");
    assert.ok(warning >= 0, "bob was not warned of alice's new key");
    assert.ok(warning < bob.events.indexOf(message), "the warning came after the first message under the new key");

    const who = await bob.command("/who", "who");
    const alices = (who.members as { name: string; fingerprint: string }[]).filter((m) => m.name === "alice");
    assert.equal(alices.length, 1, "the lost device's leaf is still in #lobby");
    assert.equal(alices[0]!.fingerprint, fresh.events.find((e) => e.type === "ready")?.fingerprint);

    // Nothing of bob's goes to the new key until he accepts it (SECURITY.md, issue 21.6).
    const held = await bob.command("/msg alice is that you?", "error");
    assert.equal(held.code, "KEY_CHANGED", JSON.stringify(held));
    assert.match(String(held.message), /\/trust alice/);
    const trusted = await bob.command("/trust alice", "info");
    assert.match(String(trusted.message), /alice's new key is trusted/);
    // Then bob's client re-adds alice's new device to their private conversation.
    await fresh.waitFor("private conversation renewed", (e) => e.type === "room" && e.room === "@bob");
    assert.equal(
      fresh.messages().filter((m) => m.text === "is that you?").length,
      0,
      "the refused message never reached the new key",
    );
    bob.send("/msg alice welcome back");
    await fresh.waitFor("dm on the new device", (e) => e.type === "message" && e.text === "welcome back");

    // Invite-only rooms take a deliberate invitation, which replaces the old leaf.
    const carol = get("carol");
    await carol.command("/join +team", "info");
    // carol saw the key change too: no invitation to the new key before she accepts it.
    const notYet = await carol.command("/invite alice", "error");
    assert.equal(notYet.code, "KEY_CHANGED", JSON.stringify(notYet));
    await carol.command("/trust alice", "info");
    carol.send("/invite alice");
    await fresh.waitFor("back in +team", (e) => e.type === "room" && e.room === "+team");
    carol.send("team, alice is back");
    await fresh.waitFor("team message", (e) => e.type === "message" && e.text === "team, alice is back");
  });
});
