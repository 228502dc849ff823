/**
 * Input piped in (README, "Exit status"): lines on stdin before the client is ready, and the
 * end of input, must not be lost: the lines are sent once it has logged in, then it exits 0.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { BIN, ChatProcess, ServerProcess, chatEnv, tempDir, uniqueMarker } from "./harness.js";

/** Runs `secure-chat chat` with `input` piped in and closed at once; resolves with its exit status. */
function runPiped(server: string, name: string, flags: string[], input: string): Promise<number | null> {
  const child = spawn(process.execPath, [BIN, "chat", ...flags, "--server", server, "--home", tempDir(name), name], {
    stdio: ["pipe", "ignore", "pipe"],
    env: chatEnv,
  });
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${name} did not exit within 20 s after its input ended`));
    }, 20_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe("input piped into the chat client", () => {
  let server: ServerProcess;
  let bob: ChatProcess;

  before(async () => {
    server = await ServerProcess.start();
    bob = await ChatProcess.start("bob", server.url, tempDir("bob"));
  });

  after(async () => {
    await bob?.kill();
    await server?.kill();
  });

  for (const [mode, flags] of [
    ["--json", ["--json"]],
    ["line mode", ["--plain"]],
  ] as const) {
    it(`${mode}: sends what was piped in before it was ready, then exits 0`, async () => {
      const name = mode === "--json" ? "piper" : "plainpiper";
      const first = uniqueMarker(`${name} first`);
      const second = uniqueMarker(`${name} second`);
      assert.equal(await runPiped(server.url, name, [...flags], `${first}\n${second}\n`), 0);
      await bob.waitFor(`${name}'s second line`, (e) => e.type === "message" && e.text === second);
      const texts = bob.messages("#lobby").map((m) => m.text);
      assert.deepEqual(
        texts.filter((t) => t === first || t === second),
        [first, second],
        "both lines, once each, in order",
      );
    });
  }
});
