import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { BIN, ChatProcess, ServerProcess, chatEnv, freePort, tempDir, tlsFileArgs } from "./harness.js";

function fingerprintLine(server: ServerProcess): string {
  const line = server.stdoutLines.find((l) => l.startsWith("TLS certificate SHA-256 fingerprint: "));
  assert.ok(line !== undefined, "the server printed no certificate fingerprint");
  return line.split(": ")[1]!;
}

describe("TLS", () => {
  const processes: { kill(): Promise<unknown> }[] = [];
  after(async () => {
    await Promise.all(processes.map((p) => p.kill()));
  });

  it("serves wss:// with a self-signed certificate when bound beyond loopback; clients pin it", async () => {
    const dataDir = tempDir("tls");
    const port = await freePort();
    let server = await ServerProcess.start({ dataDir, port, args: ["--host", "0.0.0.0"] });
    processes.push(server);
    assert.match(server.url, /^wss:\/\//);
    const fingerprint = fingerprintLine(server);
    const url = `wss://127.0.0.1:${port}`;
    const aliceHome = tempDir("alice");
    const alice = await ChatProcess.start("alice", url, aliceHome);
    processes.push(alice);
    const pinned = alice.events.find((e) => e.type === "info" && String(e.message).includes("pinned"));
    assert.ok(String(pinned?.message).includes(fingerprint), "the client pinned another fingerprint than printed");
    const bob = await ChatProcess.start("bob", url, tempDir("bob"));
    processes.push(bob);
    alice.send("over TLS");
    await bob.waitFor("message", (e) => e.type === "message" && e.text === "over TLS");

    const plain = spawnSync(
      process.execPath,
      [BIN, "chat", "--server", `ws://127.0.0.1:${port}`, "--home", tempDir("x"), "carol"],
      {
        input: "",
        encoding: "utf8",
        timeout: 20_000,
        env: chatEnv,
      },
    );
    assert.notEqual(plain.status, 0, "plain ws:// to a TLS port must fail");

    // The operator replaces the certificate: the pinned client refuses it, clearly.
    await alice.quit();
    await server.kill();
    rmSync(join(dataDir, "tls-cert.pem"));
    rmSync(join(dataDir, "tls-key.pem"));
    server = await ServerProcess.start({ dataDir, port, args: ["--host", "0.0.0.0"] });
    processes.push(server);
    assert.notEqual(fingerprintLine(server), fingerprint);
    const refused = spawnSync(
      process.execPath,
      [BIN, "chat", "--json", "--server", url, "--home", aliceHome, "alice"],
      {
        input: "",
        encoding: "utf8",
        timeout: 20_000,
        env: chatEnv,
      },
    );
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /CERT_CHANGED: .*certificate changed.*--accept-new-cert/);
    const accepted = await ChatProcess.start("alice", url, aliceHome, ["--accept-new-cert"]);
    processes.push(accepted);
    assert.ok(accepted.events.some((e) => e.type === "info" && String(e.message).includes(fingerprintLine(server))));
  });

  it("serves wss:// on loopback with --tls-cert and --tls-key", async () => {
    const server = await ServerProcess.start({ args: await tlsFileArgs() });
    processes.push(server);
    assert.match(server.url, /^wss:\/\/127\.0\.0\.1:/);
    const dave = await ChatProcess.start("dave", server.url, tempDir("dave"));
    processes.push(dave);
    assert.equal(dave.events.find((e) => e.type === "ready")?.type, "ready");
  });
});
