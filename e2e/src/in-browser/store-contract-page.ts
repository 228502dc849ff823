/**
 * Bundled by e2e/src/web-store.test.ts for chromium, with `node:test` and `node:assert/strict`
 * replaced by the shims beside this file: the ClientStore contract on the IndexedDB adapter in
 * a real browser. The test reads `window.storeContractResults`.
 */
import { storeContract } from "@secure-chat/client/testing";
import { indexedDbUnderTest } from "@secure-chat/web/testing";
import { runRegistered, type TestResult } from "./node-test-shim.js";

storeContract("IndexedDB (chromium)", () => indexedDbUnderTest());

(window as unknown as { storeContractResults: Promise<TestResult[]> }).storeContractResults = runRegistered();
