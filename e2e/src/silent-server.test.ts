import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, it } from "node:test";
import { WebSocketServer, type WebSocket } from "ws";
import { cipherSuites, decodeFrame, encodeFrame, type Frame } from "@secure-chat/protocol";
import { FaultProxy } from "./fault-proxy.js";
import { ChatProcess, ServerProcess, freePort, tempDir, until } from "./harness.js";

/**
 * A server that accepts the WebSocket and then says nothing, or logs the client in and never
 * sends `synced`, must not leave the client waiting for ever: with `--login-timeout 1` the
 * first start fails with TIMEOUT within seconds, and once live the client keeps retrying.
 */
const LOGIN_TIMEOUT_S = 1;
/** Start-up (passphrase key derivation, 0.5-1.3 s) plus the deadline, with room to spare. */
const EXIT_WITHIN_MS = 15_000;

interface FakeServer {
  url: string;
  /** The type of every frame the clients sent, in order. */
  received: string[];
  close(): Promise<void>;
}

/** A WebSocket server on 127.0.0.1 that hands each decoded client frame to `answer`. */
async function fakeServer(answer: (frame: Frame, socket: WebSocket) => void): Promise<FakeServer> {
  const port = await freePort();
  const wss = new WebSocketServer({ host: "127.0.0.1", port });
  await new Promise<void>((resolve, reject) => {
    wss.once("listening", resolve);
    wss.once("error", reject);
  });
  const received: string[] = [];
  wss.on("connection", (socket) => {
    socket.on("message", (data: Buffer) => {
      const decoded = decodeFrame(new Uint8Array(data));
      received.push(decoded.kind === "ok" ? decoded.frame.type : `undecodable: ${decoded.code}`);
      if (decoded.kind === "ok") answer(decoded.frame, socket);
    });
  });
  return {
    url: `ws://127.0.0.1:${port}`,
    received,
    close: async () => {
      for (const socket of wss.clients) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** Starts `secure-chat chat --json` against `url` and expects it to exit 1 with one TIMEOUT line. */
async function expectTimeout(
  url: string,
  name: string,
  doing: "logging in" | "catching up",
): Promise<{ elapsedMs: number; stderr: string }> {
  const startedAt = Date.now();
  const chat = ChatProcess.spawn(name, url, tempDir(name), ["--login-timeout", String(LOGIN_TIMEOUT_S)]);
  try {
    const code = await chat.wait(EXIT_WITHIN_MS);
    const elapsedMs = Date.now() - startedAt;
    assert.equal(code, 1, `exit status; stderr: ${chat.stderr}`);
    assert.equal(
      chat.events.find((e) => e.type === "ready"),
      undefined,
      "a start that timed out never says ready",
    );
    const lines = chat.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, `one stderr line, got: ${chat.stderr}`);
    assert.match(
      lines[0] ?? "",
      new RegExp(`^secure-chat: TIMEOUT: the server said nothing for ${LOGIN_TIMEOUT_S * 1000} ms while ${doing}$`),
    );
    return { elapsedMs, stderr: chat.stderr };
  } finally {
    await chat.kill();
  }
}

describe("a silent server", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it("that accepts the connection and says nothing: the start fails with TIMEOUT", { timeout: 30_000 }, async () => {
    const server = await fakeServer(() => undefined);
    cleanups.push(() => server.close());
    const { elapsedMs } = await expectTimeout(server.url, "alice", "logging in");
    assert.deepEqual(server.received, ["hello"], "the client said hello and was left waiting");
    // The deadline, not something else, ended it: not before a second of silence.
    assert.ok(elapsedMs >= LOGIN_TIMEOUT_S * 1000, `exited after ${elapsedMs} ms`);
  });

  it("that logs the client in and never sends synced: the start fails with TIMEOUT", { timeout: 30_000 }, async () => {
    const server = await fakeServer((frame, socket) => {
      if (frame.type === "hello") {
        const challenge: Frame = {
          type: "challenge",
          rid: frame.rid,
          nonce: new Uint8Array(randomBytes(32)),
          cipherSuite: cipherSuites.x25519,
          serverTime: Date.now(),
        };
        socket.send(encodeFrame(challenge));
      } else if (frame.type === "login") {
        socket.send(encodeFrame({ type: "login_ok", rid: frame.rid, keyPackageCount: 0 }));
      }
    });
    cleanups.push(() => server.close());
    const { elapsedMs } = await expectTimeout(server.url, "bob", "catching up");
    assert.deepEqual(server.received, ["hello", "login"], "logged in, then waited for synced");
    assert.ok(elapsedMs >= LOGIN_TIMEOUT_S * 1000, `exited after ${elapsedMs} ms`);
  });

  it(
    "after the client was live: it keeps retrying and comes back once the server answers",
    { timeout: 30_000 },
    async () => {
      const server = await ServerProcess.start();
      cleanups.push(() => server.kill());
      const proxy = await FaultProxy.start(Number(new URL(server.url).port));
      cleanups.push(() => proxy.stop());
      const url = `ws://127.0.0.1:${proxy.port}`;
      const carol = await ChatProcess.start("carol", url, tempDir("carol"), [
        "--login-timeout",
        String(LOGIN_TIMEOUT_S),
      ]);
      cleanups.push(() => carol.kill());

      // From now on a new connection opens (the upgrade passes) and then hears nothing.
      proxy.muteNewLinks = true;
      const from = carol.events.length;
      const acceptedBefore = proxy.accepted;
      assert.ok(proxy.drop() >= 1, "carol's link went through the proxy");
      await carol.waitFor("reconnecting", (e) => e.type === "connection" && e.state === "reconnecting", from);
      // Each muted attempt must end by the deadline and be followed by another: three in a row.
      await until(
        "three muted login attempts",
        () => (proxy.accepted - acceptedBefore >= 3 ? true : undefined),
        20_000,
      );
      assert.equal(
        carol.events.slice(from).find((e) => e.type === "connection" && e.state === "connected"),
        undefined,
        "no login can succeed through a muted link",
      );

      proxy.muteNewLinks = false;
      await carol.waitFor("reconnected", (e) => e.type === "connection" && e.state === "connected", from, 20_000);
      const info = await carol.command("/who", "who");
      assert.equal(info.type, "who", `a live link serves requests again: ${JSON.stringify(info)}`);
    },
  );
});
