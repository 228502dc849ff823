/**
 * A full disk on the server, for real: its data folder is a small tmpfs that the test fills.
 * New messages are refused with STORAGE_FULL and wait in the sender's outbox, the server keeps
 * running and keeps what it had accepted, and once there is room again the waiting messages go
 * out, in order, each once. (Mounting needs root, as on the CI machines; elsewhere it skips.)
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Lobby, tempDir } from "./harness.js";

/** Writes zeros to `file` until the filesystem has no room left. */
function fillUp(file: string): void {
  const chunk = Buffer.alloc(64 * 1024);
  const fd = openSync(file, "w");
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  } finally {
    closeSync(fd);
  }
}

describe("a full disk on the server", () => {
  it("refuses new messages with STORAGE_FULL, loses nothing, and delivers the waiting ones once there is room", async (t) => {
    const mountPoint = tempDir("full-disk");
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", mountPoint], { stdio: "pipe" });
    } catch (error) {
      t.skip(`cannot mount a small filesystem here (${String(error).split("\n")[0]})`);
      return;
    }
    const dataDir = join(mountPoint, "data");
    mkdirSync(dataDir);
    const lobby = await Lobby.start(["alice", "bob"], { dataDir });
    try {
      const [alice, bob] = [lobby.get("alice"), lobby.get("bob")];
      alice.send("before the disk filled up");
      await bob.waitForMessages(1);

      const filler = join(mountPoint, "filler");
      fillUp(filler);
      // Large messages, so the database's log must grow: the first may still fit in the room
      // SQLite's files already have, then the disk is full.
      const waiting = Array.from({ length: 30 }, (_, i) => `while full ${i} ${"x".repeat(12_000)}`);
      const from = alice.events.length;
      for (const text of waiting) alice.send(text);
      const refused = await alice.waitFor("STORAGE_FULL", (e) => e.type === "error", from);
      assert.equal(refused.code, "STORAGE_FULL", JSON.stringify(refused));
      await lobby.server.waitForLog("storage_full");
      assert.equal(lobby.server.exitCode, undefined, "the server keeps running");
      assert.ok(bob.messages().length < 1 + waiting.length, "some are waiting");

      rmSync(filler);
      const received = await bob.waitForMessages(1 + waiting.length);
      assert.deepEqual(
        received.map((e) => e.text),
        ["before the disk filled up", ...waiting],
        "every message once, in order",
      );
      assert.equal(
        alice.events.slice(from).filter((e) => e.type === "error").length,
        1,
        "told once, not once per retry",
      );
    } finally {
      await lobby.stop();
      execFileSync("umount", [mountPoint]);
      rmSync(mountPoint, { recursive: true, force: true });
    }
  });
});
