/**
 * A minimal WebSocket client over a raw TCP socket, for the load generator. Receiving is the
 * hot path: it walks frame headers in each TCP chunk and hands out (buffer, start, end) views
 * without copying or decoding, so one generator process can take millions of frames a second.
 * Client frames are masked with an all-zero key, which RFC 6455 servers accept (the payload
 * then goes out unchanged, so nothing is copied to mask it).
 */
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";

export const opcodes = { text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

export type FrameHandler = (opcode: number, buf: Buffer, start: number, end: number) => void;

/** Monotonic clock shared by every process on the machine (CLOCK_MONOTONIC), in ms. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Arrival time of the TCP chunk being parsed: every frame in one chunk arrived together. */
export let arrivalMs = 0;

export class RawWs {
  private leftover: Buffer | undefined;
  closed = false;
  onClose: (() => void) | undefined;

  private constructor(
    readonly socket: Socket,
    private readonly onFrame: FrameHandler,
  ) {}

  /**
   * Opens a TCP connection and performs the HTTP upgrade; resolves once the server said 101.
   * `attach` runs first, before any frame that came with the upgrade answer is handled.
   */
  static open(
    host: string,
    port: number,
    path: string,
    onFrame: FrameHandler,
    attach?: (ws: RawWs) => void,
  ): Promise<RawWs> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true });
      const ws = new RawWs(socket, onFrame);
      let head = Buffer.alloc(0);
      const fail = (error: Error): void => {
        socket.destroy();
        reject(error);
      };
      socket.once("error", fail);
      socket.once("connect", () => {
        socket.write(
          `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
      const onHead = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) return;
        socket.off("data", onHead);
        socket.off("error", fail);
        const status = head.subarray(0, head.indexOf("\r\n")).toString("latin1");
        if (!/^HTTP\/1\.1 101 /.test(status)) {
          fail(new Error(`upgrade refused: ${status}`));
          return;
        }
        socket.on("data", (data: Buffer) => ws.receive(data));
        socket.on("error", () => ws.markClosed());
        socket.on("close", () => ws.markClosed());
        const rest = head.subarray(end + 4);
        attach?.(ws);
        resolve(ws);
        if (rest.length > 0) ws.receive(rest);
      };
      socket.on("data", onHead);
    });
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose?.();
  }

  private receive(chunk: Buffer): void {
    arrivalMs = nowMs();
    let buf = chunk;
    if (this.leftover !== undefined) {
      buf = Buffer.concat([this.leftover, chunk]);
      this.leftover = undefined;
    }
    const length = buf.length;
    let offset = 0;
    while (offset + 2 <= length) {
      const b0 = buf[offset]!;
      let size = buf[offset + 1]! & 0x7f;
      let header = 2;
      if (size === 126) {
        if (offset + 4 > length) break;
        size = buf.readUInt16BE(offset + 2);
        header = 4;
      } else if (size === 127) {
        if (offset + 10 > length) break;
        size = buf.readUInt32BE(offset + 2) * 2 ** 32 + buf.readUInt32BE(offset + 6);
        header = 10;
      }
      const end = offset + header + size;
      if (end > length) break;
      const opcode = b0 & 0x0f;
      if (opcode === opcodes.ping) this.sendFrame(opcodes.pong, buf.subarray(offset + header, end));
      else if (opcode === opcodes.close) this.socket.end();
      else this.onFrame(opcode, buf, offset + header, end);
      offset = end;
    }
    if (offset < length) this.leftover = buf.subarray(offset);
  }

  /** One masked frame (zero mask key), written with a single socket write. */
  sendFrame(opcode: number, payload: Uint8Array): void {
    if (this.closed) return;
    this.socket.write(frameBytes(opcode, payload));
  }

  sendBinary(payload: Uint8Array): void {
    this.sendFrame(opcodes.binary, payload);
  }

  sendText(text: string): void {
    this.sendFrame(opcodes.text, Buffer.from(text, "utf8"));
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }
}

/** A client-to-server frame: FIN + opcode, mask bit, length, 4 zero mask bytes, payload. */
export function frameBytes(opcode: number, payload: Uint8Array): Buffer {
  const size = payload.length;
  const header = size < 126 ? 6 : size < 65536 ? 8 : 14;
  const out = Buffer.allocUnsafe(header + size);
  out[0] = 0x80 | opcode;
  if (size < 126) {
    out[1] = 0x80 | size;
  } else if (size < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(size, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeUInt32BE(Math.floor(size / 2 ** 32), 2);
    out.writeUInt32BE(size >>> 0, 6);
  }
  out.writeUInt32BE(0, header - 4);
  out.set(payload, header);
  return out;
}
