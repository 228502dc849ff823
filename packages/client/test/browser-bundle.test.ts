/**
 * The client package must run in a browser: bundled for the browser platform, it may pull in no
 * Node built-in and none of the Node-only packages (better-sqlite3, ws).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { build, type BuildOptions } from "esbuild";

const entry = fileURLToPath(new URL("../src/index.js", import.meta.url));
const browser: BuildOptions = {
  bundle: true,
  platform: "browser",
  format: "esm",
  write: false,
  metafile: true,
  logLevel: "silent",
};

describe("browser bundle of @secure-chat/client", () => {
  it("builds for the browser with no Node built-in and no Node-only package", async () => {
    const result = await build({ ...browser, entryPoints: [entry] });
    assert.deepEqual(result.errors, []);
    const inputs = Object.keys(result.metafile?.inputs ?? {});
    assert.ok(
      inputs.some((input) => input.includes("ts-mls")),
      "the bundle holds the MLS library",
    );
    assert.deepEqual(
      inputs.filter((input) => /node_modules\/(better-sqlite3|ws)\//.test(input)),
      [],
    );
  });

  it("would fail on a Node built-in (the check above can fail)", async () => {
    await assert.rejects(
      build({ ...browser, stdin: { contents: 'import "node:fs";', resolveDir: process.cwd() } }),
      /node:fs/,
    );
  });
});
