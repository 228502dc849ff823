import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { GroupId, UserName } from "@secure-chat/protocol";
import { BlobStore } from "../src/services/blob-store.js";

const alice = "alice" as UserName;
const lobby = "#lobby" as GroupId;
const id = (n: number): string => n.toString(16).padStart(32, "0");
const bytes = (n: number): Uint8Array => new Uint8Array(n).fill(7);

function withStore(body: (store: BlobStore, dir: string) => Promise<void> | void): () => Promise<void> {
  return async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "blobs-")), "blobs");
    try {
      await body(new BlobStore(dir, { maxBlobBytes: 100, blobQuotaBytes: 150 }), dir);
    } finally {
      rmSync(join(dir, ".."), { recursive: true, force: true });
    }
  };
}

const code = (error: unknown): string => (error as { code?: string }).code ?? "";

describe("BlobStore", () => {
  it(
    "keeps chunks in order, reads a finished blob back, and again after a restart",
    withStore((store, dir) => {
      store.append(alice, lobby, id(1), 0, bytes(40), false, 0);
      assert.throws(
        () => store.read(lobby, id(1), 0, 10),
        (e) => code(e) === "NO_SUCH_BLOB",
        "not finished yet",
      );
      assert.throws(
        () => store.append(alice, lobby, id(1), 10, bytes(5), false, 0),
        (e) => code(e) === "BAD_ARGUMENT",
      );
      store.append(alice, lobby, id(1), 40, bytes(20), true, 0);
      assert.deepEqual(store.read(lobby, id(1), 50, 100), { data: bytes(10), size: 60 });
      assert.throws(
        () => store.read("#other" as GroupId, id(1), 0, 1),
        (e) => code(e) === "NO_SUCH_BLOB",
      );
      const reopened = new BlobStore(dir, { maxBlobBytes: 100, blobQuotaBytes: 150 });
      assert.equal(reopened.read(lobby, id(1), 0, 100).size, 60);
      assert.equal(reopened.usedBy(alice), 60);
    }),
  );

  it(
    "refuses a blob over the size limit or the quota, and keeps nothing of it",
    withStore((store) => {
      assert.throws(
        () => store.append(alice, lobby, id(2), 0, bytes(101), true, 0),
        (e) => code(e) === "BLOB_TOO_LARGE",
      );
      assert.equal(store.usedBy(alice), 0);
      store.append(alice, lobby, id(3), 0, bytes(100), true, 0);
      store.append(alice, lobby, id(4), 0, bytes(40), false, 0);
      assert.throws(
        () => store.append(alice, lobby, id(4), 40, bytes(20), true, 0),
        (e) => code(e) === "QUOTA_EXCEEDED",
      );
      assert.equal(store.usedBy(alice), 100, "the refused upload's 40 bytes are gone");
      assert.throws(
        () => store.append(alice, lobby, "../etc", 0, bytes(1), true, 0),
        (e) => code(e) === "BAD_ARGUMENT",
      );
    }),
  );

  it(
    "deletes what nobody can refer to: old, of a gone group, or never finished (asking once per group)",
    withStore(async (store, dir) => {
      const hour = 3_600_000;
      store.append(alice, lobby, id(5), 0, bytes(10), true, 0);
      store.append(alice, "#gone" as GroupId, id(6), 0, bytes(10), true, 10 * hour);
      store.append(alice, lobby, id(7), 0, bytes(10), false, 10 * hour);
      store.append(alice, lobby, id(8), 0, bytes(10), true, 10 * hour);
      store.append(alice, lobby, id(9), 0, bytes(10), true, 10 * hour);
      const asked: GroupId[] = [];
      const groupGone = async (g: GroupId): Promise<boolean> => {
        asked.push(g);
        return g === "#gone";
      };
      const removed = await store.collect(groupGone, 12 * hour, 5 * hour);
      assert.equal(removed, 3);
      assert.deepEqual(readdirSync(dir).sort(), [id(8), `${id(8)}.json`, id(9), `${id(9)}.json`]);
      assert.equal(store.usedBy(alice), 20);
      assert.deepEqual(asked.sort(), [lobby, "#gone"].sort(), "each group is asked about once");
    }),
  );
});
