import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { Connection } from "./connection.js";
import type { TlsMaterial } from "./tls.js";
import { TokenBucket } from "./token-bucket.js";
import type { ServerContext } from "./context.js";
import { dispatch } from "./dispatch.js";

/**
 * Queues a socket's outgoing frames and writes them together, corked, about a millisecond after
 * the first one, so a burst of deliveries to one client costs one system call instead of one
 * each. (Measured: flushing after 1 ms instead of every event-loop turn raised fan-out by about
 * a quarter and lowered p99, because more messages share each write.)
 */
const COALESCE_MS = 1;

class CoalescingWriter {
  private queue: { bytes: Uint8Array; sent: (() => void) | undefined }[] = [];

  constructor(private readonly socket: WebSocket) {}

  send(bytes: Uint8Array, sent?: () => void): void {
    if (this.queue.length === 0) setTimeout(() => this.flush(), COALESCE_MS);
    this.queue.push({ bytes, sent });
  }

  flush(): void {
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    if (this.socket.readyState !== this.socket.OPEN) {
      for (const { sent } of batch) sent?.();
      return;
    }
    // ws writes each frame to its net.Socket; corking turns the batch into one writev.
    const raw = (this.socket as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    raw?.cork();
    for (const { bytes, sent } of batch) this.socket.send(bytes, { binary: true }, sent && (() => sent()));
    raw?.uncork();
  }
}

/**
 * Binds the ws server and runs each socket's life: frames in, login timeout, heartbeat.
 * ws enforces a hard cap at twice the frame limit; frames between the two get a clear
 * FRAME_TOO_LARGE error from the dispatcher instead of a bare close.
 */
export async function listen(
  ctx: ServerContext,
  tls: TlsMaterial | undefined,
): Promise<{ url: string; close(): Promise<void> }> {
  const options = { maxPayload: ctx.config.maxFrameBytes * 2, perMessageDeflate: false };
  const https = tls === undefined ? undefined : createHttpsServer({ cert: tls.cert, key: tls.key });
  const wss =
    https === undefined
      ? new WebSocketServer({ ...options, host: ctx.config.host, port: ctx.config.port })
      : new WebSocketServer({ ...options, server: https });
  const listening = https ?? wss;
  await new Promise<void>((resolve, reject) => {
    listening.once("listening", resolve);
    listening.once("error", reject);
    https?.listen(ctx.config.port, ctx.config.host);
  });
  const alive = new WeakMap<WebSocket, boolean>();

  wss.on("connection", (socket, request) => {
    const address = request.socket.remoteAddress ?? "unknown";
    const writer = new CoalescingWriter(socket);
    const connection = new Connection(
      {
        send: (bytes, sent) => writer.send(bytes, sent),
        close: (code, reason) => {
          writer.flush();
          socket.close(code, reason);
        },
        terminate: () => socket.terminate(),
        // What the socket could not hand to the kernel; this turn's coalesced frames don't count.
        bufferedAmount: () => socket.bufferedAmount,
      },
      address,
      new TokenBucket(ctx.config.rateLimitPerConnection, ctx.config.rateLimitPerConnection * 2, ctx.now()),
      ctx.config.maxSendBufferBytes,
      () => ctx.log.warn("slow_consumer_cut_off", { name: connection.name ?? "-", buffered: socket.bufferedAmount }),
    );
    const open = (ctx.connectionsByAddress.get(address) ?? 0) + 1;
    ctx.connectionsByAddress.set(address, open);
    connection.onClose.push(() => {
      const left = (ctx.connectionsByAddress.get(address) ?? 1) - 1;
      if (left > 0) ctx.connectionsByAddress.set(address, left);
      else ctx.connectionsByAddress.delete(address);
    });
    if (open > ctx.config.maxConnectionsPerAddress) {
      connection.fail(
        0,
        "TOO_MANY_CONNECTIONS",
        `at most ${ctx.config.maxConnectionsPerAddress} connections per address`,
      );
      return;
    }
    alive.set(socket, true);
    socket.on("pong", () => alive.set(socket, true));
    const loginTimer = setTimeout(() => {
      if (connection.name === undefined) connection.fail(0, "LOGIN_TIMEOUT", "no login within the time allowed");
    }, ctx.config.loginTimeoutMs);
    socket.on("message", (data, isBinary) => {
      if (!isBinary) {
        connection.fail(0, "BAD_FRAME", "text frames are not part of the protocol; send binary frames");
        return;
      }
      const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      dispatch(ctx, connection, new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength));
    });
    socket.on("error", (error) => ctx.log.warn("socket_error", { error: error.message }));
    socket.on("close", () => {
      clearTimeout(loginTimer);
      connection.closed();
    });
  });

  const heartbeat = setInterval(() => {
    for (const socket of wss.clients) {
      if (alive.get(socket) === false) {
        socket.terminate();
        continue;
      }
      alive.set(socket, false);
      socket.ping();
    }
  }, ctx.config.heartbeatMs);

  const address = (https?.address() ?? wss.address()) as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `${tls === undefined ? "ws" : "wss"}://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(heartbeat);
        for (const socket of wss.clients) socket.close(1001, "server shutting down");
        wss.close(() => (https === undefined ? resolve() : https.close(() => resolve())));
      }),
  };
}
