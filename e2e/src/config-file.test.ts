/**
 * `secure-chat server --config FILE` as an operator runs it: a real process that takes its port
 * and data folder from the file, lets a flag win, and refuses an unknown key or a bad value at
 * start with the key's name, a stable code and exit status 2.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BIN, ServerProcess, freePort, httpGet, tempDir } from "./harness.js";

function configFile(content: Record<string, unknown>): string {
  const path = join(tempDir("config"), "node.json");
  writeFileSync(path, JSON.stringify(content, null, 2));
  return path;
}

/** Runs `secure-chat server ARGS`, which must refuse to start; answers its exit status and stderr. */
function refusedStart(args: string[]): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, "server", ...args], { encoding: "utf8", timeout: 30_000 });
  return { status: result.status, stderr: result.stderr };
}

describe("secure-chat server --config", () => {
  it("listens on the file's port with the file's data folder", async (t) => {
    const port = await freePort();
    const data = join(tempDir("config-data"), "chat");
    const server = await ServerProcess.start({
      onlyArgs: true,
      dataDir: data,
      args: ["--config", configFile({ port, data, "retention-days": 30 })],
    });
    t.after(() => server.kill());
    assert.equal(server.url, `ws://127.0.0.1:${port}`);
    assert.ok(existsSync(join(data, "secure-chat.db")), "the database is in the file's data folder");
    assert.equal((await httpGet(server.url, "/healthz")).status, 200);
  });

  it("lets a flag on the command line win over the file's key", async (t) => {
    const [filePort, flagPort] = [await freePort(), await freePort()];
    const data = tempDir("config-data");
    const server = await ServerProcess.start({
      onlyArgs: true,
      dataDir: data,
      args: ["--config", configFile({ port: filePort, data }), "--port", String(flagPort)],
    });
    t.after(() => server.kill());
    assert.equal(server.url, `ws://127.0.0.1:${flagPort}`);
  });

  it("refuses an unknown key, naming it, with exit status 2", () => {
    const file = configFile({ port: 0, "retention-dayz": 30 });
    const { status, stderr } = refusedStart(["--config", file]);
    assert.equal(status, 2);
    assert.match(stderr, /^secure-chat: CONFIG_UNKNOWN_KEY: unknown key "retention-dayz" in /);
    assert.ok(stderr.includes(file), "the file is named");
  });

  it("refuses a bad value, naming its key, with exit status 2", () => {
    for (const [content, message] of [
      [{ port: 70000 }, /^secure-chat: CONFIG_BAD_VALUE: "port" in \S+ must be a number from 0 to 65535, not 70000/],
      [{ suite: "rsa" }, /^secure-chat: CONFIG_BAD_VALUE: "suite" in \S+ must be xwing or x25519, not rsa/],
      [
        { "rate-limit": { per: "second" } },
        /^secure-chat: CONFIG_BAD_VALUE: "rate-limit" in \S+ must be a string or a number/,
      ],
    ] as const) {
      const { status, stderr } = refusedStart(["--config", configFile(content)]);
      assert.equal(status, 2, stderr);
      assert.match(stderr, message);
    }
  });

  it("refuses a file that is not JSON, with exit status 2", () => {
    const path = join(tempDir("config"), "node.toml");
    writeFileSync(path, "port = 7447\n");
    const { status, stderr } = refusedStart(["--config", path]);
    assert.equal(status, 2);
    assert.match(stderr, /^secure-chat: CONFIG_UNREADABLE: cannot read the config file \S+node\.toml: it is not JSON/);
  });
});
