/**
 * A malicious server adds a device to alice's account on its own: its database gets a device
 * alice.9 with a key of the attacker's and a certificate the attacker signed (the patched server:
 * the real one, its database edited between runs). The server logs it in and lets it join
 * #lobby, but every client refuses its leaf, says so, and shows nothing it sends.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { ed25519 } from "@noble/curves/ed25519.js";
import { encodeDeviceCertificate, signDeviceCertificate, type UserName } from "@secure-chat/protocol";
import { SqliteClientStore } from "@secure-chat/cli/sqlite-store";
import { ChatProcess, PASSPHRASE, ServerProcess, freePort, tempDir, uniqueMarker } from "./harness.js";

describe("a device the account key never certified", () => {
  let server: ServerProcess;
  let alice: ChatProcess;
  let bob: ChatProcess;
  let forged: ChatProcess | undefined;
  const dataDir = tempDir("server");
  let port: number;

  before(async () => {
    port = await freePort();
    server = await ServerProcess.start({ dataDir, port });
    alice = await ChatProcess.start("alice", server.url, tempDir("alice"));
    bob = await ChatProcess.start("bob", server.url, tempDir("bob"));
    await alice.waitFor("bob joined", (e) => e.type === "member" && e.name === "bob");
    alice.send("/msg bob hello");
    await bob.waitFor("alice's private message", (e) => e.type === "message" && e.text === "hello");
  });

  after(async () => {
    await Promise.all([alice, bob, forged].map((c) => c?.kill()));
    await server?.kill();
  });

  it("is refused by every client, with a warning, and nothing it sends is shown", async () => {
    // The patched server: a device row for alice.9 whose certificate the attacker signed.
    const attacker = ed25519.keygen();
    const device = "alice.9" as UserName;
    const certificate = signDeviceCertificate(attacker.secretKey, {
      device,
      publicKey: attacker.publicKey,
      label: "the server's",
      addedAt: Date.now(),
    });
    const aliceFrom = alice.events.length;
    const bobFrom = bob.events.length;
    await server.kill();
    const db = new Database(join(dataDir, "secure-chat.db"));
    db.prepare("INSERT INTO users (name, public_key, cursor) VALUES (?, ?, 0)").run(device, attacker.publicKey);
    db.prepare("INSERT INTO devices (name, account, certificate) VALUES (?, 'alice', ?)").run(
      device,
      encodeDeviceCertificate(certificate),
    );
    db.close();
    server = await ServerProcess.start({ dataDir, port });
    await alice.waitFor("reconnected", (e) => e.type === "connection" && e.state === "connected", aliceFrom);
    await bob.waitFor("reconnected", (e) => e.type === "connection" && e.state === "connected", bobFrom);

    // The forged device logs in (the server lets it) and joins #lobby by external commit.
    const home = tempDir("alice9");
    const store = new SqliteClientStore(home, PASSPHRASE);
    await store.saveIdentity({ name: device, ...attacker, server: server.url });
    await store.close();
    forged = await ChatProcess.start("alice", server.url, home);
    const marker = uniqueMarker("forged");
    forged.send(marker);
    await forged.waitFor("its message stored", (e) => e.type === "message" && e.text === marker);

    for (const client of [alice, bob]) {
      const warning = await client.waitFor(
        "the forged device refused",
        (e) => e.type === "device_refused" && e.device === "alice.9",
      );
      assert.match(String(warning.reason), /its device certificate is not signed by alice's key/);
    }
    // Everything stored before alice's next message has been through bob's client when it shows.
    const later = uniqueMarker("later");
    alice.send(`/msg bob ${later}`);
    await bob.waitFor("alice's later message", (e) => e.type === "message" && e.text === later);
    for (const client of [alice, bob]) {
      assert.ok(!client.events.some((e) => e.type === "message" && e.text === marker), `${client.name} showed it`);
      assert.ok(
        !client.events.some((e) => e.type === "device" && e.device === "alice.9"),
        `${client.name} took it for a device`,
      );
    }
  });
});
