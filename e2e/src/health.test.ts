/**
 * /healthz of a real `secure-chat server`: "ready" while it can serve, 503 with the reason when
 * its database file is gone from under it or once it drains for a shutdown.
 */
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { RawClient } from "./raw-client.js";
import { ServerProcess, httpGet, tempDir } from "./harness.js";

/** Asks /healthz until its status is `status`; answers that reply. */
async function healthBecomes(server: ServerProcess, status: number): Promise<{ status: number; body: string }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const reply = await httpGet(server.url, "/healthz");
    if (reply.status === status) return reply;
    if (Date.now() > deadline) throw new Error(`/healthz still answers ${reply.status} ${reply.body}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("/healthz", () => {
  it("answers 200 ready, on the WebSocket port, and other paths 404", async () => {
    const server = await ServerProcess.start();
    try {
      const reply = await httpGet(server.url, "/healthz");
      assert.equal(reply.status, 200);
      assert.equal(reply.body, "ready\n");
      assert.equal(reply.headers["cache-control"], "no-store");
      assert.equal((await httpGet(server.url, "/nothing-here")).status, 404);
      // The same port still takes WebSocket clients.
      const client = await RawClient.connect(server.url);
      client.close();
    } finally {
      await server.kill();
    }
  });

  it("answers over HTTPS, with the server's certificate, when the server speaks wss://", async (t) => {
    const certDir = tempDir("health-cert");
    const generator = await ServerProcess.start({ dataDir: certDir, args: ["--host", "0.0.0.0"] });
    await generator.kill();
    const certFile = join(certDir, "tls-cert.pem");
    const server = await ServerProcess.start({
      args: ["--tls-cert", certFile, "--tls-key", join(certDir, "tls-key.pem")],
    });
    t.after(() => server.kill());
    assert.match(server.url, /^wss:/);
    const reply = await httpGet(server.url, "/healthz", {}, readFileSync(certFile, "utf8"));
    assert.deepEqual([reply.status, reply.body], [200, "ready\n"]);
  });

  it("answers 503 with the reason once the database file was removed under the running server", async () => {
    const server = await ServerProcess.start();
    try {
      assert.equal((await httpGet(server.url, "/healthz")).status, 200);
      rmSync(server.dataDir, { recursive: true, force: true });
      const reply = await httpGet(server.url, "/healthz");
      assert.equal(reply.status, 503);
      assert.match(reply.body, /^not ready: storage: the database file was removed while the server runs/);
      assert.ok(!reply.body.includes(server.dataDir), "no path of the server's in an answer to anyone");
      await server.waitForLog("not_ready");
    } finally {
      await server.kill();
    }
  });

  it("answers 503 draining after SIGTERM while it serves on for --drain-seconds; a second signal stops it", async () => {
    // Not logged in, the raw clients would be cut off by the login timeout instead.
    const server = await ServerProcess.start({ args: ["--drain-seconds", "600", "--login-timeout", "600"] });
    try {
      const connected = await RawClient.connect(server.url);
      server.child.kill("SIGTERM");
      const reply = await healthBecomes(server, 503);
      assert.equal(reply.body, "not ready: draining: the server is shutting down\n");
      await server.waitForLog("draining");
      // Still serving: the connection it had stays open, and a new one is taken.
      const late = await RawClient.connect(server.url);
      assert.equal(connected.closeCode, undefined);
      server.child.kill("SIGTERM");
      assert.equal(await server.wait(), 0);
      assert.equal(await connected.closed(), 1001);
      assert.equal(await late.closed(), 1001);
    } finally {
      await server.kill();
    }
  });
});
