import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { GroupId, UserName } from "@secure-chat/protocol";
import { MemoryBus } from "../src/bus/memory-bus.js";
import { defaultServerConfig } from "../src/config.js";
import { createContext } from "../src/context.js";
import { startRetention } from "../src/services/retention.js";
import { SqliteStorage } from "../src/storage/sqlite-storage.js";
import { silentLog } from "./fakes.js";

const DAY_MS = 86_400_000;
const alice = "alice" as UserName;
const team = "+team" as GroupId;

describe("startRetention", () => {
  const dir = mkdtempSync(join(tmpdir(), "retention-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A storage holding `count` messages stored at `serverTs`, then one stored now. */
  async function storageWith(file: string, count: number, serverTs: number, now: number): Promise<SqliteStorage> {
    const storage = new SqliteStorage(join(dir, file));
    await storage.registerUser(alice, new Uint8Array(32).fill(1));
    await storage.createGroup(team, "invite", alice, undefined);
    const old = Array.from({ length: count }, () => ({
      groupId: team,
      sender: alice,
      payload: new Uint8Array(8),
      serverTs,
    }));
    await storage.appendMessages(old);
    await storage.appendMessages([{ groupId: team, sender: alice, payload: new Uint8Array(8), serverTs: now }]);
    return storage;
  }

  it("deletes, a chunk per turn until done, what is older than the setting, and keeps the rest", async () => {
    const now = 1_000 * DAY_MS;
    const storage = await storageWith("prune.db", 25_000, now - 91 * DAY_MS, now);
    const ctx = createContext({ ...defaultServerConfig, retentionDays: 90 }, storage, new MemoryBus(), silentLog);
    ctx.now = () => now;
    const retention = startRetention(ctx);
    try {
      // 25,000 old rows take three turns of 10,000 at most.
      for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
      const left = await storage.fetchSince(alice, 0, 100_000);
      assert.deepEqual(
        left.map((d) => d.serverTs),
        [now],
        "only the delivery stored within 90 days is left",
      );
    } finally {
      retention.stop();
      await ctx.cursors.close();
      await storage.close();
    }
  });

  it("keeps everything when the setting is 0", async () => {
    const now = 1_000 * DAY_MS;
    const storage = await storageWith("keep.db", 3, 0, now);
    const ctx = createContext({ ...defaultServerConfig, retentionDays: 0 }, storage, new MemoryBus(), silentLog);
    ctx.now = () => now;
    const retention = startRetention(ctx);
    try {
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal((await storage.fetchSince(alice, 0, 100)).length, 4);
    } finally {
      retention.stop();
      await ctx.cursors.close();
      await storage.close();
    }
  });
});
