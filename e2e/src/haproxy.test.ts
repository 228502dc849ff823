/**
 * The README's haproxy configuration (docs/haproxy.cfg) with a real haproxy: valid (`haproxy -c`),
 * and run in front of one real node, whose health check takes it in while it is ready and out
 * once it drains. Several nodes need the shared storage and bus, whose tests put haproxy in front
 * of them. The copies change only what must differ here: the certificate's path, and addresses
 * on this machine's loopback.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it, type TestContext } from "node:test";
import { ServerProcess, freePort, tempDir, until } from "./harness.js";
import { RawClient, rawIdentity, rawLogin } from "./raw-client.js";

const EXAMPLE = fileURLToPath(new URL("../../docs/haproxy.cfg", import.meta.url));
const CERT_IN_EXAMPLE = "/etc/secure-chat/tls-cert.pem";

/** False (the test skips) where haproxy is missing, outside CI; in CI a missing haproxy fails. */
function haproxyInstalled(t: TestContext): boolean {
  if (spawnSync("haproxy", ["-v"], { encoding: "utf8" }).status === 0) return true;
  const message = "haproxy is not installed (apt-get install haproxy; .ci/run installs it)";
  if (process.env["CI"] === "true") assert.fail(message);
  t.skip(message);
  return false;
}

/** A node's self-signed certificate and key, as an operator would copy to every node. */
async function nodeCertificate(): Promise<{ certFile: string; keyFile: string }> {
  const certDir = tempDir("haproxy-cert");
  const generator = await ServerProcess.start({ dataDir: certDir, args: ["--host", "0.0.0.0"] });
  await generator.kill();
  return { certFile: join(certDir, "tls-cert.pem"), keyFile: join(certDir, "tls-key.pem") };
}

/** The example, with `replacements` made (each must be found), written to a file of its own. */
function exampleCopy(replacements: [string, string][]): string {
  let text = readFileSync(EXAMPLE, "utf8");
  for (const [from, to] of replacements) {
    assert.ok(text.includes(from), `the example has ${from}`);
    text = text.replaceAll(from, to);
  }
  const config = join(tempDir("haproxy"), "haproxy.cfg");
  writeFileSync(config, text);
  return config;
}

/** Connects to `url`, trying again until haproxy listens; `log` is haproxy's output so far. */
async function connectOnceListening(url: string, ca: string, log: () => string): Promise<RawClient> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await RawClient.connect(url, ca);
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`no connection through haproxy: ${log()}`, { cause: error });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("the documented haproxy configuration", () => {
  it("is valid for haproxy, with a node's certificate as the health check's trust", async (t) => {
    if (!haproxyInstalled(t)) return;
    const { certFile } = await nodeCertificate();
    const example = readFileSync(EXAMPLE, "utf8");
    assert.match(example, /option httpchk/);
    assert.match(example, /http-check send meth GET uri \/healthz/);
    const config = exampleCopy([[CERT_IN_EXAMPLE, certFile]]);
    const result = spawnSync("haproxy", ["-c", "-f", config], { encoding: "utf8" });
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
    assert.match(result.stdout + result.stderr, /Configuration file is valid/);
  });

  it("in front of a real node: clients reach it while it is ready; once it drains, haproxy takes it out", async (t) => {
    if (!haproxyInstalled(t)) return;
    const { certFile, keyFile } = await nodeCertificate();
    const ca = readFileSync(certFile, "utf8");
    const node = await ServerProcess.start({
      args: ["--tls-cert", certFile, "--tls-key", keyFile, "--drain-seconds", "600", "--login-timeout", "600"],
    });
    t.after(() => node.kill());
    const nodePort = new URL(node.url).port;
    const [balancerPort, nobodyPort] = [await freePort(), await freePort()];
    const config = exampleCopy([
      [CERT_IN_EXAMPLE, certFile],
      ["bind :7447", `bind 127.0.0.1:${balancerPort}`],
      ["10.0.0.11:7447", `127.0.0.1:${nodePort}`],
      // Nothing listens there: node b stays out, so every client goes to node a.
      ["10.0.0.12:7447", `127.0.0.1:${nobodyPort}`],
    ]);
    const haproxy = spawn("haproxy", ["-db", "-f", config], { stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    haproxy.stdout.on("data", (chunk: Buffer) => (log += chunk.toString()));
    haproxy.stderr.on("data", (chunk: Buffer) => (log += chunk.toString()));
    t.after(() => haproxy.kill("SIGKILL"));
    const balancer = `wss://127.0.0.1:${balancerPort}`;

    // Through the balancer to the node, TLS passed through: the node's certificate, its login.
    const client = await connectOnceListening(balancer, ca, () => log);
    assert.equal((await rawLogin(client, rawIdentity("hana"))).answer.type, "login_ok");

    node.child.kill("SIGTERM");
    await until("haproxy taking the draining node out", () =>
      /Server nodes\/a is DOWN, reason: Layer7 wrong status, code: 503/.test(log) ? true : undefined,
    );
    // The node still serves (it drains) and haproxy sends no new client to it; the connection it
    // carried is left to the node, which closes it when its drain is over (a database outage marks
    // every node down at once: closing sessions then would disconnect everyone).
    await RawClient.connect(node.url, ca).then((direct) => direct.close());
    await assert.rejects(RawClient.connect(balancer, ca));
    client.send({ type: "list_rooms", rid: 2, after: "" });
    assert.equal((await client.next("rooms")).type, "rooms");
  });
});
