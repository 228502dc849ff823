/**
 * The ClientStore contract on the IndexedDB adapter in chromium: the same suite every adapter
 * runs (packages/client/test/store-contract.ts), bundled for the page with node:test and
 * node:assert replaced by small shims, on the browser's own IndexedDB and WebCrypto.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { build } from "esbuild";
import { BrowserUser, chromiumMissing } from "./browser.js";
import type { TestResult } from "./in-browser/node-test-shim.js";

const missing = chromiumMissing();
if (missing !== undefined && process.env["CI"] === "true") {
  it("chromium is installed for the browser store's tests", () => assert.fail(missing));
}

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
// localhost is a secure context, where WebCrypto is available; the page never reaches a network.
const ORIGIN = "http://localhost:9";

async function contractBundle(): Promise<string> {
  const result = await build({
    entryPoints: [here("./in-browser/store-contract-page.js")],
    bundle: true,
    format: "esm",
    platform: "browser",
    write: false,
    logLevel: "silent",
    plugins: [
      {
        name: "node-test-in-the-page",
        setup(on) {
          on.onResolve({ filter: /^node:test$/ }, () => ({ path: here("./in-browser/node-test-shim.js") }));
          on.onResolve({ filter: /^node:assert\/strict$/ }, () => ({ path: here("./in-browser/node-assert-shim.js") }));
        },
      },
    ],
  });
  const [file] = result.outputFiles;
  if (file === undefined) throw new Error("esbuild wrote nothing");
  return file.text;
}

describe("IndexedDB store in chromium", { skip: missing }, () => {
  it("passes the ClientStore contract", async () => {
    const script = await contractBundle();
    const user = await BrowserUser.launch("contract");
    try {
      await user.page.route(`${ORIGIN}/**`, (route) => {
        const url = new URL(route.request().url());
        return url.pathname === "/contract.js"
          ? route.fulfill({ contentType: "text/javascript", body: script })
          : route.fulfill({ contentType: "text/html", body: '<script type="module" src="/contract.js"></script>' });
      });
      await user.page.goto(`${ORIGIN}/`);
      await user.page.waitForFunction(() => "storeContractResults" in window);
      const results = await user.page.evaluate(
        () => (window as unknown as { storeContractResults: Promise<TestResult[]> }).storeContractResults,
      );
      assert.deepEqual(
        results.filter((r) => r.outcome !== "pass"),
        [],
      );
      // Every test of the contract ran, the capabilities too (reopen, failing writes).
      assert.ok(results.length >= 10, `${results.length} tests ran`);
      assert.ok(results.some((r) => r.name.includes("whole or not at all")));
    } finally {
      await user.close();
    }
  });
});
