import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { UserName } from "@secure-chat/protocol";
import { ClientKeyDirectory } from "../src/directory/key-directory.js";
import { errorCode } from "../src/errors.js";
import { generateIdentity } from "../src/identity.js";
import type { RpcConnection } from "../src/link/rpc.js";
import { MemoryClientStore } from "../src/store/memory-store.js";

const alice = "alice" as UserName;
const noLink = (): RpcConnection => {
  throw new Error("no lookups in this test");
};

function directory(store: MemoryClientStore, trustNewKeys: boolean, changes: UserName[] = []) {
  return new ClientKeyDirectory(
    generateIdentity("bob" as UserName),
    store,
    noLink,
    (name) => changes.push(name),
    trustNewKeys,
  );
}

const refusal = (run: () => void): string | undefined => {
  try {
    run();
    return undefined;
  } catch (error) {
    return errorCode(error);
  }
};

describe("ClientKeyDirectory: a changed key waits for /trust", () => {
  it("refuses sending to a name whose key changed, across a restart, until it is trusted", async () => {
    const store = new MemoryClientStore();
    const changes: UserName[] = [];
    const first = directory(store, false, changes);
    await first.load();
    assert.equal(
      refusal(() => first.requireTrusted(alice)),
      undefined,
    );
    await first.keyChanged(alice, new Uint8Array(32).fill(1), new Uint8Array(32).fill(2));
    assert.deepEqual(changes, [alice], "the user is told");
    assert.equal(
      refusal(() => first.requireTrusted(alice)),
      "KEY_CHANGED",
    );

    const restarted = directory(store, false);
    await restarted.load();
    assert.equal(
      refusal(() => restarted.requireTrusted(alice)),
      "KEY_CHANGED",
      "remembered across a restart",
    );
    await restarted.trust(alice);
    assert.equal(
      refusal(() => restarted.requireTrusted(alice)),
      undefined,
    );
    assert.deepEqual(await store.untrustedNames(), []);
  });

  it("with trustNewKeys (bots), tells of the change and sends on", async () => {
    const store = new MemoryClientStore();
    const changes: UserName[] = [];
    const bot = directory(store, true, changes);
    await bot.keyChanged(alice, new Uint8Array(32).fill(1), new Uint8Array(32).fill(2));
    assert.deepEqual(changes, [alice]);
    assert.equal(
      refusal(() => bot.requireTrusted(alice)),
      undefined,
    );
    assert.deepEqual(await store.untrustedNames(), []);
  });
});
