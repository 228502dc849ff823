/**
 * Load-generator connections for the reference servers. Every message carries the sender's
 * clock (the shared monotonic clock) in its last bytes, so receivers measure latency without
 * decoding anything else.
 *
 * - ws relay: binary frames; the relay sends an empty frame back to the sender as its ack.
 * - Socket.IO 4: receivers speak Engine.IO v4 / Socket.IO v5 directly over a raw WebSocket
 *   (open, connect, join with an ack, pong, binary events); senders are real socket.io-client
 *   sockets that emit with an acknowledgement callback.
 * - IRC (ngircd): NICK/USER, JOIN #bench, PRIVMSG; a sender follows each PRIVMSG with a
 *   PING, and the server's PONG, sent after it has relayed the PRIVMSG, is the ack.
 */
import { connect, type Socket } from "node:net";
import { io, type Socket as IoSocket } from "socket.io-client";
import type { Counters } from "./counters.js";
import { arrivalMs, frameBytes, nowMs, opcodes, RawWs } from "./raw-ws.js";

export interface LoadConnection {
  readonly name: string;
  readonly closed: boolean;
  onAck: (() => void) | undefined;
  /** Sends one benchmark message stamped with `now`. */
  sendMessage(now: number): void;
  close(): void;
}

// ---------------------------------------------------------------- ws relay

export class RelayClient implements LoadConnection {
  onAck: (() => void) | undefined;
  private ws!: RawWs;
  private template: Buffer = Buffer.alloc(0);

  private constructor(
    readonly name: string,
    private readonly counters: Counters,
  ) {}

  static async connect(host: string, port: number, name: string, counters: Counters): Promise<RelayClient> {
    const client = new RelayClient(name, counters);
    await RawWs.open(
      host,
      port,
      "/",
      (opcode, buf, start, end) => {
        if (opcode !== opcodes.binary) return;
        if (end === start) client.onAck?.();
        else counters.delivered(arrivalMs, buf.readDoubleLE(end - 8));
      },
      (ws) => (client.ws = ws),
    );
    return client;
  }

  get closed(): boolean {
    return this.ws.closed;
  }

  setPayload(payload: Uint8Array): void {
    this.template = frameBytes(opcodes.binary, payload);
  }

  sendMessage(now: number): void {
    const out = Buffer.from(this.template);
    out.writeDoubleLE(now, out.length - 8);
    this.ws.socket.write(out);
  }

  close(): void {
    this.ws.close();
  }
}

// ---------------------------------------------------------------- Socket.IO

const SOCKET_IO_PATH = "/socket.io/?EIO=4&transport=websocket";

/** A Socket.IO receiver over a raw WebSocket: cheap enough for a million events a second. */
export class SocketIoReceiver implements LoadConnection {
  onAck: (() => void) | undefined;
  private ws!: RawWs;
  private expectAttachment = false;
  private onJoined: (() => void) | undefined;

  private constructor(
    readonly name: string,
    private readonly counters: Counters,
  ) {}

  static async connect(
    host: string,
    port: number,
    name: string,
    room: string | undefined,
    counters: Counters,
  ): Promise<SocketIoReceiver> {
    const client = new SocketIoReceiver(name, counters);
    const joined = new Promise<void>((resolve) => (client.onJoined = resolve));
    await RawWs.open(
      host,
      port,
      SOCKET_IO_PATH,
      (opcode, buf, start, end) => client.frame(opcode, buf, start, end, room),
      (ws) => (client.ws = ws),
    );
    await joined;
    return client;
  }

  get closed(): boolean {
    return this.ws.closed;
  }

  sendMessage(): void {
    throw new Error("Socket.IO senders use socket.io-client");
  }

  close(): void {
    this.ws.close();
  }

  private frame(opcode: number, buf: Buffer, start: number, end: number, room: string | undefined): void {
    if (opcode === opcodes.binary) {
      if (this.expectAttachment) this.counters.delivered(arrivalMs, buf.readDoubleLE(end - 8));
      this.expectAttachment = false;
      return;
    }
    const c0 = buf[start];
    const c1 = buf[start + 1];
    if (c0 === 0x34 && c1 === 0x35) {
      // "45" BINARY_EVENT header; its attachment is the next binary frame.
      this.expectAttachment = true;
      return;
    }
    if (c0 === 0x32 && end - start === 1) {
      this.ws.sendText("3"); // Engine.IO ping -> pong
      return;
    }
    if (c0 === 0x30) {
      this.ws.sendText("40"); // Engine.IO open -> Socket.IO connect to "/"
      return;
    }
    if (c0 === 0x34 && c1 === 0x30) {
      // Socket.IO connected: join the room (with an ack) or stay idle.
      if (room === undefined) this.onJoined?.();
      else this.ws.sendText(`420["join",${JSON.stringify(room)}]`);
      return;
    }
    if (c0 === 0x34 && c1 === 0x33) {
      this.onJoined?.(); // "430[]": the join's ack
      this.onJoined = undefined;
      return;
    }
    this.counters.other++;
  }
}

/** A Socket.IO sender: the real socket.io-client, emitting binary messages with an ack. */
export class SocketIoSender implements LoadConnection {
  onAck: (() => void) | undefined;
  private payload: Buffer = Buffer.alloc(0);

  private constructor(
    readonly name: string,
    private readonly socket: IoSocket,
  ) {}

  static async connect(host: string, port: number, name: string, room: string, counters: Counters) {
    const socket = io(`http://${host}:${port}`, { transports: ["websocket"], forceNew: true, reconnection: false });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("connect_error", reject);
    });
    await socket.emitWithAck("join", room);
    socket.on("m", (data: Buffer) => counters.delivered(nowMs(), data.readDoubleLE(data.length - 8)));
    return new SocketIoSender(name, socket);
  }

  get closed(): boolean {
    return this.socket.disconnected;
  }

  setPayload(payload: Uint8Array): void {
    this.payload = Buffer.from(payload);
  }

  sendMessage(now: number): void {
    const out = Buffer.from(this.payload);
    out.writeDoubleLE(now, out.length - 8);
    this.socket.emit("m", out, () => this.onAck?.());
  }

  close(): void {
    this.socket.disconnect();
  }
}

// ---------------------------------------------------------------- IRC

const TILDE = 0x7e;
const NEWLINE = 0x0a;
/** Message text ends with "~" and 16 digits: the sender's clock in microseconds. */
export const IRC_STAMP_DIGITS = 16;

export class IrcClient implements LoadConnection {
  onAck: (() => void) | undefined;
  closed = false;
  private leftover: Buffer | undefined;
  private template: Buffer = Buffer.alloc(0);
  private waiting: { marker: string; resolve(): void; reject(e: Error): void } | undefined;

  private constructor(
    readonly name: string,
    private readonly socket: Socket,
    private readonly counters: Counters,
  ) {}

  static async connect(
    host: string,
    port: number,
    name: string,
    channel: string | undefined,
    counters: Counters,
  ): Promise<IrcClient> {
    const socket = connect({ host, port, noDelay: true });
    const client = new IrcClient(name, socket, counters);
    socket.on("data", (chunk: Buffer) => client.receive(chunk));
    socket.on("close", () => {
      client.closed = true;
      client.waiting?.reject(new Error(`${name}: IRC connection closed`));
    });
    socket.on("error", () => (client.closed = true));
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const registered = client.waitFor(" 001 ");
    socket.write(`NICK ${name}\r\nUSER ${name} 0 * :${name}\r\n`);
    await registered;
    if (channel !== undefined) {
      const joined = client.waitFor(" 366 ");
      socket.write(`JOIN ${channel}\r\n`);
      await joined;
    }
    return client;
  }

  private waitFor(marker: string): Promise<void> {
    return new Promise((resolve, reject) => (this.waiting = { marker, resolve, reject }));
  }

  setText(channel: string, size: number): void {
    const text = "x".repeat(Math.max(1, size - IRC_STAMP_DIGITS - 1)) + "~" + "0".repeat(IRC_STAMP_DIGITS);
    this.template = Buffer.from(`PRIVMSG ${channel} :${text}\r\nPING :a\r\n`, "latin1");
  }

  sendMessage(now: number): void {
    const out = Buffer.from(this.template);
    const digits = String(Math.round(now * 1000)).padStart(IRC_STAMP_DIGITS, "0");
    out.write(digits, out.length - 11 - IRC_STAMP_DIGITS, "latin1");
    this.socket.write(out);
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    const arrival = nowMs();
    let buf = chunk;
    if (this.leftover !== undefined) {
      buf = Buffer.concat([this.leftover, chunk]);
      this.leftover = undefined;
    }
    let start = 0;
    for (;;) {
      const newline = buf.indexOf(NEWLINE, start);
      if (newline < 0) break;
      const end = buf[newline - 1] === 0x0d ? newline - 1 : newline;
      if (end - start > IRC_STAMP_DIGITS + 1 && buf[end - IRC_STAMP_DIGITS - 1] === TILDE) {
        let us = 0;
        for (let i = end - IRC_STAMP_DIGITS; i < end; i++) us = us * 10 + (buf[i]! - 48);
        this.counters.delivered(arrival, us / 1000);
      } else {
        this.line(buf.toString("latin1", start, end));
      }
      start = newline + 1;
    }
    if (start < buf.length) this.leftover = buf.subarray(start);
  }

  private line(line: string): void {
    if (line.startsWith("PING ")) {
      this.socket.write(`PONG ${line.slice(5)}\r\n`);
      return;
    }
    if (line.includes(" PONG ")) {
      this.onAck?.();
      return;
    }
    if (this.waiting !== undefined && line.includes(this.waiting.marker)) {
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting.resolve();
      return;
    }
    if (line.startsWith("ERROR") || / 4\d\d /.test(line)) {
      this.waiting?.reject(new Error(`${this.name}: ${line}`));
      this.waiting = undefined;
    }
    this.counters.other++;
  }
}
