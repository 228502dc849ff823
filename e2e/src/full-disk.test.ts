/**
 * Full disks, for real: a small tmpfs that the test fills. On the server, new messages are
 * refused with STORAGE_FULL and wait in the sender's outbox, the server keeps running and keeps
 * what it had accepted, and once there is room the waiting messages go out, in order, each once.
 * On a client, it says DISK_FULL, reloads its state and fetches again what it could not save.
 * Starting on a full disk, either says so in one line. (Mounting needs root, as on the CI
 * machines; elsewhere these skip.)
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { BIN, Lobby, chatEnv, tempDir, type ChatProcess } from "./harness.js";

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

/** A fresh tmpfs of `size`, or undefined (the test skips) where mounting is not allowed. */
function smallFilesystem(t: TestContext, size: string): string | undefined {
  const mountPoint = tempDir("full-disk");
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", mountPoint], { stdio: "pipe" });
    return mountPoint;
  } catch (error) {
    t.skip(`cannot mount a small filesystem here (${String(error).split("\n")[0]})`);
    return undefined;
  }
}

function unmount(mountPoint: string): void {
  execFileSync("umount", [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
}

const BEFORE = "before the disk filled up";

/**
 * Frees the room the filler took, then expects `receiver` to show every message, in order, once
 * (a last message from `sender` after them shows that no copy came late).
 */
async function freeAndExpectAll(filler: string, sender: ChatProcess, receiver: ChatProcess, waiting: string[]) {
  rmSync(filler);
  await receiver.waitForMessages(1 + waiting.length);
  sender.send("after");
  const received = await receiver.waitForMessages(2 + waiting.length);
  assert.deepEqual(
    received.map((e) => e.text),
    [BEFORE, ...waiting, "after"],
    "every message once, in order",
  );
}

/** The codes of the errors `chat` reported since event `from`. */
function errorsSince(chat: ChatProcess, from: number): unknown[] {
  return chat.events
    .slice(from)
    .filter((e) => e.type === "error")
    .map((e) => e.code);
}

describe("a full disk on the server", () => {
  it("refuses new messages with STORAGE_FULL, loses nothing, and delivers the waiting ones once there is room", async (t) => {
    const mountPoint = smallFilesystem(t, "8m");
    if (mountPoint === undefined) return;
    const dataDir = join(mountPoint, "data");
    mkdirSync(dataDir);
    const lobby = await Lobby.start(["alice", "bob"], { dataDir });
    try {
      const [alice, bob] = [lobby.get("alice"), lobby.get("bob")];
      alice.send(BEFORE);
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

      await freeAndExpectAll(filler, alice, bob, waiting);
      assert.deepEqual(errorsSince(alice, from), ["STORAGE_FULL"], "told once, not once per retry");
    } finally {
      await lobby.stop();
      unmount(mountPoint);
    }
  });
});

describe("a full disk on a client", () => {
  it("says so, keeps nothing half-saved, and shows every message once there is room", async (t) => {
    const mountPoint = smallFilesystem(t, "4m");
    if (mountPoint === undefined) return;
    const lobby = await Lobby.start(["alice"]);
    try {
      const alice = lobby.get("alice");
      const bob = await lobby.add("bob", join(mountPoint, "bob"));
      await alice.waitFor("bob joined", (e) => e.type === "member" && e.name === "bob");
      alice.send(BEFORE);
      await bob.waitForMessages(1);

      const filler = join(mountPoint, "filler");
      fillUp(filler);
      const from = bob.events.length;
      const waiting = Array.from({ length: 20 }, (_, i) => `while full ${i} ${"x".repeat(8_000)}`);
      for (const text of waiting) alice.send(text);
      const failed = await bob.waitFor("DISK_FULL", (e) => e.type === "error", from);
      assert.equal(failed.code, "DISK_FULL", JSON.stringify(failed));
      assert.equal(bob.exitCode, undefined, "the client keeps running");

      await freeAndExpectAll(filler, alice, bob, waiting);
      assert.deepEqual(
        errorsSince(bob, from),
        ["DISK_FULL"],
        "told once, and no message failed to decrypt after the reload",
      );
    } finally {
      await lobby.stop();
      unmount(mountPoint);
    }
  });
});

describe("starting on a full disk", () => {
  it("the server and a new client each say so in one line, exit 1, and advise nothing drastic", (t) => {
    const mountPoint = smallFilesystem(t, "1m");
    if (mountPoint === undefined) return;
    try {
      fillUp(join(mountPoint, "filler"));
      const run = (args: string[]) =>
        spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: chatEnv, timeout: 30_000 });
      const server = run(["server", "--port", "0", "--data", join(mountPoint, "data")]);
      assert.equal(server.status, 1, server.stderr);
      assert.match(server.stderr, /^secure-chat: STORAGE_FULL: .*the disk is full; free some space and start again\n$/);
      const client = run([
        "chat",
        "--json",
        "--server",
        "ws://127.0.0.1:1",
        "--home",
        join(mountPoint, "home"),
        "alice",
      ]);
      assert.equal(client.status, 1, client.stderr);
      assert.match(
        client.stderr,
        /^secure-chat: DISK_FULL: this computer's disk is full: .*Free some space and start again/,
      );
      assert.doesNotMatch(client.stderr, /Move the folder aside/, "a full disk is not a damaged state");
    } finally {
      unmount(mountPoint);
    }
  });
});
