import { createServer as createHttpServer, type RequestListener } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket as NetSocket } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { Connection, type Peer } from "./connection.js";
import type { TlsMaterial } from "./tls.js";
import { TokenBucket } from "./token-bucket.js";
import type { ServerContext } from "./context.js";
import { dispatch } from "./dispatch.js";
import { binaryFrame, joinFrames } from "./ws-frame.js";
import { FlushScheduler } from "./flush-scheduler.js";
import type { Counter } from "./metrics/exposition.js";

/**
 * Queues a socket's outgoing frames until the FlushScheduler says to write them, so a burst of
 * deliveries to one client costs one system call instead of one each. Frames are
 * WebSocket-framed once per fan-out (see ws-frame.ts) and written as one buffer straight to the
 * TCP/TLS socket, skipping ws's per-frame, per-recipient framing. That is safe because without
 * permessage-deflate ws writes its own frames (ping, close) to the same socket synchronously,
 * whole, and this writer stops writing once the closing handshake has begun.
 */
class CoalescingWriter implements Peer {
  /** Framed, waiting for the flush; reused (joinFrames copies it) to spare the collector. */
  private readonly queue: Buffer[] = [];
  private callbacks: (() => void)[] | undefined;

  /**
   * `onOverflow` runs when more than `maxBufferedBytes` wait for the kernel: a reader stopped.
   * `deliveries` counts what goes through `send` (deliveries, live or caught up; not answers).
   */
  constructor(
    private readonly scheduler: FlushScheduler,
    private readonly socket: WebSocket,
    private readonly raw: NetSocket,
    private readonly maxBufferedBytes: number,
    private readonly onOverflow: () => void,
    private readonly deliveries: Counter,
  ) {}

  send(bytes: Uint8Array, sent?: () => void): void {
    this.deliveries.inc();
    this.enqueue(bytes, sent);
  }

  answer(bytes: Uint8Array): void {
    this.enqueue(bytes);
    this.scheduler.answered(this);
  }

  private enqueue(bytes: Uint8Array, sent?: () => void): void {
    if (this.queue.length === 0) this.scheduler.queued(this);
    this.queue.push(binaryFrame(bytes));
    if (sent !== undefined) (this.callbacks ??= []).push(sent);
  }

  close(code: number, reason: string): void {
    this.flush();
    this.socket.close(code, reason);
  }

  flush(): void {
    const queue = this.queue;
    if (queue.length === 0) return;
    const callbacks = this.callbacks;
    this.callbacks = undefined;
    const done = callbacks === undefined ? undefined : () => callbacks.forEach((sent) => sent());
    const bytes = joinFrames(queue);
    queue.length = 0;
    if (this.socket.readyState !== this.socket.OPEN) {
      done?.();
      return;
    }
    // What earlier flushes left unwritten, not this one: a reader that keeps up may get a big burst.
    if (this.raw.writableLength > this.maxBufferedBytes) {
      done?.();
      this.onOverflow();
      return;
    }
    this.raw.write(bytes, done);
  }
}

/**
 * Binds the HTTP(S) server and runs each upgraded socket's life: frames in, login timeout,
 * heartbeat. Plain HTTP requests on the same port go to `requests` (health, metrics).
 * ws enforces a hard cap at twice the frame limit; frames between the two get a clear
 * FRAME_TOO_LARGE error from the dispatcher instead of a bare close.
 */
export async function listen(
  ctx: ServerContext,
  tls: TlsMaterial | undefined,
  requests: RequestListener,
): Promise<{ url: string; close(): Promise<void> }> {
  const http =
    tls === undefined ? createHttpServer(requests) : createHttpsServer({ cert: tls.cert, key: tls.key }, requests);
  const wss = new WebSocketServer({ maxPayload: ctx.config.maxFrameBytes * 2, perMessageDeflate: false, server: http });
  await new Promise<void>((resolve, reject) => {
    http.once("listening", resolve);
    http.once("error", reject);
    // ws re-emits the HTTP server's errors (an address that does not resolve, a port in use).
    wss.once("error", reject);
    http.listen(ctx.config.port, ctx.config.host);
  });
  const alive = new WeakMap<WebSocket, boolean>();
  const scheduler = new FlushScheduler(ctx.durable);

  wss.on("connection", (socket, request) => {
    const address = request.socket.remoteAddress ?? "unknown";
    // ws keeps the TCP (or TLS) socket it upgraded as `_socket`; see CoalescingWriter.
    const writer = new CoalescingWriter(
      scheduler,
      socket,
      (socket as unknown as { _socket: NetSocket })._socket,
      ctx.config.maxSendBufferBytes,
      () => {
        // It stopped reading: cut it off instead of buffering without bound.
        ctx.log.warn("slow_consumer_cut_off", { name: connection.name ?? "-", buffered: socket.bufferedAmount });
        socket.terminate();
        connection.closed();
      },
      ctx.metrics.deliveries,
    );
    const connection = new Connection(
      writer,
      address,
      new TokenBucket(ctx.config.rateLimitPerConnection, ctx.config.rateLimitPerConnection * 2, ctx.now()),
      (code) => ctx.metrics.errors.inc(code),
    );
    ctx.metrics.connections++;
    socket.on("close", () => ctx.metrics.connections--);
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
      // A new device being linked waits for a person to approve it: its link has a timeout of its own.
      if (connection.name === undefined && connection.state.phase !== "linking") {
        connection.fail(0, "LOGIN_TIMEOUT", "no login within the time allowed");
      }
    }, ctx.config.loginTimeoutMs);
    socket.on("message", (data, isBinary) => {
      if (!isBinary) {
        connection.fail(0, "BAD_FRAME", "text frames are not part of the protocol; send binary frames");
        return;
      }
      // ws hands over a Buffer of its own (no copy needed) unless the message came in fragments.
      const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
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

  const address = http.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `${tls === undefined ? "ws" : "wss"}://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(heartbeat);
        for (const socket of wss.clients) socket.close(1001, "server shutting down");
        wss.close(() => {
          http.close(() => resolve());
          // Browsers keep idle HTTP connections open; they must not hold the shutdown up.
          http.closeAllConnections();
        });
      }),
  };
}
