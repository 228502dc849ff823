/**
 * The IndexedDB store runs the ClientStore contract in Node, on fake-indexeddb (the browser
 * run of the same adapter is e2e/src/web.test.ts), plus what only it promises: a wrong
 * passphrase is refused, and nothing saved reads as plaintext.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
// The globals (IDBKeyRange, IDBObjectStore …) the adapter and this test use, and fresh factories.
import "fake-indexeddb/auto";
import { IDBFactory } from "fake-indexeddb";
import { storeContract } from "@secure-chat/client/testing";
import type { GroupId, UserName } from "@secure-chat/protocol";
import { IndexedDbClientStore } from "../src/store/indexeddb-store.js";
import { indexedDbUnderTest, TEST_ITERATIONS, TEST_PASSPHRASE } from "./store-under-test.js";

const iterations = TEST_ITERATIONS;
const passphrase = TEST_PASSPHRASE;

storeContract("IndexedDB (fake-indexeddb)", () => indexedDbUnderTest(new IDBFactory()));

describe("IndexedDB store: sealing", () => {
  it("refuses a wrong passphrase with BAD_PASSPHRASE and opens with the right one", async () => {
    const factory = new IDBFactory();
    const first = await IndexedDbClientStore.open({ database: "alice", passphrase, factory, iterations });
    await first.saveIdentity({
      name: "alice" as UserName,
      secretKey: new Uint8Array([1]),
      publicKey: new Uint8Array([2]),
      server: "ws://x",
    });
    await first.close();
    assert.equal(await IndexedDbClientStore.exists("alice", factory), true);
    assert.equal(await IndexedDbClientStore.exists("bob", factory), false);
    await assert.rejects(
      IndexedDbClientStore.open({ database: "alice", passphrase: "wrong one!", factory, iterations }),
      (error: Error & { code?: string }) => error.code === "BAD_PASSPHRASE",
    );
    const again = await IndexedDbClientStore.open({ database: "alice", passphrase, factory, iterations });
    assert.equal((await again.identity())?.name, "alice");
    await again.close();
  });

  it("saves no message text, sender or secret as plaintext", async () => {
    const factory = new IDBFactory();
    const store = await IndexedDbClientStore.open({ database: "carol", passphrase, factory, iterations });
    const marker = "marker-plaintext-7f3a";
    const secret = new TextEncoder().encode("secret-key-bytes-9c1e");
    await store.saveIdentity({ name: "carol" as UserName, secretKey: secret, publicKey: secret, server: "ws://x" });
    await store.apply({
      messages: [
        { room: "#lobby" as GroupId, id: "m1", from: "dave" as UserName, text: marker, sentAt: 1, serverTs: 2, seq: 3 },
      ],
      groups: [{ groupId: "#lobby" as GroupId, state: secret, pending: null }],
    });
    await store.addOutbox({ room: "#lobby" as GroupId, sendId: new Uint8Array(16), id: "m2", sentAt: 1, text: marker });
    await store.close();
    const raw = await dumpDatabase(factory, "carol");
    for (const needle of [marker, "secret-key-bytes", "dave"]) assert.equal(raw.includes(needle), false, needle);
    assert.equal(raw.includes("m1"), true, "the dump does read the records (message ids are metadata)");
  });
});

/** Every record of every object store, bytes as latin1 text, so a search finds plaintext anywhere. */
async function dumpDatabase(factory: IDBFactory, name: string): Promise<string> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = factory.open(name);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const parts: string[] = [];
  for (const storeName of Array.from(db.objectStoreNames)) {
    const all = await new Promise<unknown[]>((resolve, reject) => {
      const req = db.transaction(storeName).objectStore(storeName).getAll();
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    parts.push(
      JSON.stringify(all, (_key, value: unknown) =>
        value instanceof Uint8Array ? Buffer.from(value).toString("latin1") : value,
      ),
    );
  }
  db.close();
  return parts.join("\n");
}
