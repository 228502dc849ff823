/**
 * The README's haproxy configuration (docs/haproxy.cfg), checked by a real haproxy. Only
 * checked (`haproxy -c`), not run in front of nodes: several nodes need the shared storage and
 * bus, whose tests put it in front of them. The one change made to the file is the path of the
 * certificate the health check trusts, which must exist for the check to pass.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it, type TestContext } from "node:test";
import { ServerProcess, tempDir } from "./harness.js";

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

describe("the documented haproxy configuration", () => {
  it("is valid for haproxy, with a node's certificate as the health check's trust", async (t) => {
    if (!haproxyInstalled(t)) return;
    // A node's self-signed certificate, as an operator would copy to every node.
    const certDir = tempDir("haproxy-cert");
    const generator = await ServerProcess.start({ dataDir: certDir, args: ["--host", "0.0.0.0"] });
    await generator.kill();
    const example = readFileSync(EXAMPLE, "utf8");
    assert.ok(example.includes(CERT_IN_EXAMPLE));
    assert.match(example, /option httpchk/);
    assert.match(example, /http-check send meth GET uri \/healthz/);
    const config = join(tempDir("haproxy"), "haproxy.cfg");
    writeFileSync(config, example.replaceAll(CERT_IN_EXAMPLE, join(certDir, "tls-cert.pem")));
    const result = spawnSync("haproxy", ["-c", "-f", config], { encoding: "utf8" });
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
    assert.match(result.stdout + result.stderr, /Configuration file is valid/);
  });
});
