/**
 * The IndexedDB adapter as the ClientStore contract wants it, for both runs of the contract:
 * Node on fake-indexeddb (indexeddb-store.test.ts) and chromium (e2e/src/web-store.test.ts).
 * No Node built-ins here: the page bundles it.
 */
import type { StoreUnderTest } from "@secure-chat/client/testing";
import { IndexedDbClientStore } from "../src/store/indexeddb-store.js";

/** Few iterations keep the suite quick; the default is what the page uses. */
export const TEST_ITERATIONS = 1_000;
export const TEST_PASSPHRASE = "correct horse battery staple";

/** Makes every later write fail, as a full disk would: the adapter must abort its transaction. */
function failingWrites(): () => void {
  const proto = IDBObjectStore.prototype;
  const saved = { put: proto.put, add: proto.add, delete: proto.delete };
  const refuse = (): never => {
    throw new DOMException("quota exceeded", "QuotaExceededError");
  };
  proto.put = refuse;
  proto.add = refuse;
  proto.delete = refuse;
  return () => Object.assign(proto, saved);
}

let databases = 0;

/** A new database (in `factory`, or the page's indexedDB) for one test of the contract. */
export async function indexedDbUnderTest(factory?: IDBFactory): Promise<StoreUnderTest> {
  const database = `contract-${++databases}`;
  const open = () =>
    IndexedDbClientStore.open({ database, passphrase: TEST_PASSPHRASE, iterations: TEST_ITERATIONS, factory });
  let store = await open();
  let restore: (() => void) | undefined;
  return {
    store,
    async reopen() {
      await store.close();
      store = await open();
      return store;
    },
    failWrites() {
      restore = failingWrites();
    },
    async cleanup() {
      restore?.();
      await store.close();
    },
  };
}
