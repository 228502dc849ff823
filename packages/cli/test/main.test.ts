import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";

const BIN = fileURLToPath(new URL("../../bin/secure-chat.js", import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 20_000 });

describe("secure-chat --help and --version", () => {
  for (const command of ["server", "chat", "admin", "web-hash"]) {
    it(`${command} --help prints that command's usage and exits 0`, () => {
      const result = run(command, "--help");
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`^usage: secure-chat ${command}( |\n)`));
    });
  }

  it("web-hash prints the SHA-256 of the built web client's index.html", () => {
    const result = run("web-hash");
    assert.equal(result.status, 0, result.stderr);
    const index = fileURLToPath(new URL("../../../web/dist/public/index.html", import.meta.url));
    assert.equal(result.stdout, `${createHash("sha256").update(readFileSync(index)).digest("hex")}  index.html\n`);
  });

  it("--version prints the version, on its own and after any command", () => {
    for (const args of [["--version"], ["chat", "--version"], ["server", "--version"]]) {
      const result = run(...args);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /^secure-chat \d+\.\d+\.\d+\n$/);
    }
  });

  it("a server that can't listen (an address that does not resolve) says LISTEN_FAILED, no stack trace", () => {
    const data = mkdtempSync(join(tmpdir(), "secure-chat-listen-"));
    try {
      const result = run("server", "--host", "999.1.1.1", "--port", "0", "--data", data);
      assert.equal(result.status, 1);
      assert.match(result.stderr, /^secure-chat: LISTEN_FAILED: cannot start the server: /);
      assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });

  it("a first start that can't reach the server exits UNREACHABLE and leaves no home folder behind", () => {
    const home = join(tmpdir(), `secure-chat-unreachable-${process.pid}`);
    const result = spawnSync(
      process.execPath,
      [BIN, "chat", "--json", "--server", "ws://127.0.0.1:1", "--home", home, "bob"],
      { encoding: "utf8", timeout: 20_000, env: { ...process.env, SECURE_CHAT_PASSPHRASE: "correct horse battery" } },
    );
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^secure-chat: UNREACHABLE: cannot reach the server at ws:\/\/127\.0\.0\.1:1/);
    assert.equal(existsSync(home), false);
  });
});
