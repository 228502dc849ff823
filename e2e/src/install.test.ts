/**
 * The command installed as the README says (`npm i -g ./packages/cli`), into a throw-away
 * prefix, and run from a folder outside the clone: it finds its code and its dependencies
 * there, where `npx secure-chat` would look for a package of that name in the registry.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { tempDir, until } from "./harness.js";

const CLONE = fileURLToPath(new URL("../..", import.meta.url));

describe("secure-chat installed with npm i -g", () => {
  it("runs from outside the clone: --version, and a server that listens", async () => {
    const prefix = tempDir("prefix");
    execFileSync("npm", ["install", "--global", "--prefix", prefix, "--no-audit", "--no-fund", "./packages/cli"], {
      cwd: CLONE,
      stdio: "pipe",
    });
    const command = join(prefix, "bin", "secure-chat");
    const elsewhere = tempDir("elsewhere");
    assert.match(
      execFileSync(command, ["--version"], { cwd: elsewhere, encoding: "utf8" }),
      /^secure-chat \d+\.\d+\.\d+/,
    );
    const server = spawn(command, ["server", "--port", "0", "--data", join(elsewhere, "data")], {
      cwd: elsewhere,
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      let out = "";
      server.stdout.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
      await until("the installed server's ready line", () => (/listening on ws:\/\//.test(out) ? true : undefined));
    } finally {
      server.kill("SIGKILL");
    }
  });
});
