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

/** `buf` is only valid during the call (it is the shared read buffer): copy what must outlive it. */
export type FrameHandler = (opcode: number, buf: Buffer, start: number, end: number) => void;

/**
 * One read buffer for every connection of the process (net's `onread`): each chunk is parsed
 * before the next read, so nothing is allocated per read. Per-read buffers were external
 * memory that made V8 collect every ~100 ms (7-15 ms each) in the receiving processes.
 */
const readBuffer = Buffer.allocUnsafe(256 * 1024);

/** Monotonic clock shared by every process on the machine (CLOCK_MONOTONIC), in ms. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Arrival time of the TCP chunk being parsed: every frame in one chunk arrived together. */
export let arrivalMs = 0;

export class RawWs {
  private readonly frames: FrameSplitter;
  closed = false;
  onClose: (() => void) | undefined;

  private constructor(
    readonly socket: Socket,
    onFrame: FrameHandler,
  ) {
    this.frames = new FrameSplitter((opcode, buf, start, end) => {
      if (opcode === opcodes.ping) this.sendFrame(opcodes.pong, buf.subarray(start, end));
      else if (opcode === opcodes.close) this.socket.end();
      else onFrame(opcode, buf, start, end);
    });
  }

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
      /** The HTTP answer so far; undefined once the upgrade is done. */
      let head: Buffer | undefined = Buffer.alloc(0);
      const fail = (error: Error): void => {
        socket.destroy();
        reject(error);
      };
      const onBytes = (nread: number, buf: Uint8Array): boolean => {
        const chunk = Buffer.from(buf.buffer, buf.byteOffset, nread);
        if (head === undefined) {
          ws.receive(chunk);
          return true;
        }
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) return true;
        const status = head.subarray(0, head.indexOf("\r\n")).toString("latin1");
        const rest = head.subarray(end + 4);
        head = undefined;
        if (!/^HTTP\/1\.1 101 /.test(status)) {
          fail(new Error(`upgrade refused: ${status}`));
          return false;
        }
        socket.off("error", fail);
        socket.on("error", () => ws.markClosed());
        socket.on("close", () => ws.markClosed());
        attach?.(ws);
        resolve(ws);
        if (rest.length > 0) ws.receive(rest);
        return true;
      };
      const socket = connect({ host, port, noDelay: true, onread: { buffer: readBuffer, callback: onBytes } });
      const ws = new RawWs(socket, onFrame);
      socket.once("error", fail);
      socket.once("connect", () => {
        socket.write(
          `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
    });
  }

  private receive(chunk: Buffer): void {
    arrivalMs = nowMs();
    this.frames.push(chunk);
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose?.();
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

/**
 * Cuts a stream of server frames (unmasked) into frames, however TCP chunked it, without copying
 * whole frames: each is handed out as a view of the chunk it arrived in, except one cut across
 * two chunks, which is joined first.
 */
export class FrameSplitter {
  private leftover: Buffer | undefined;

  constructor(private readonly onFrame: FrameHandler) {}

  /** The next bytes of the stream; `chunk` may be reused by the caller once this returns. */
  push(chunk: Buffer): void {
    let from = 0;
    const leftover = this.leftover;
    if (leftover !== undefined) {
      // Complete the frame cut at the last chunk's end with the start of this one, copying only
      // that frame: copying whole chunks made the generator's collector a bottleneck.
      this.leftover = undefined;
      const head = leftover.length >= 14 ? leftover : Buffer.concat([leftover, chunk.subarray(0, 14)]);
      const size = frameSize(head, 0, head.length);
      if (size < 0 || leftover.length + chunk.length < size) {
        this.leftover = Buffer.concat([leftover, chunk]);
        return;
      }
      from = size - leftover.length;
      this.parse(Buffer.concat([leftover, chunk.subarray(0, from)]), 0);
    }
    this.parse(chunk, from);
  }

  /** Hands out the whole frames of `buf` from `offset`; keeps a cut last frame for the next chunk. */
  private parse(buf: Buffer, from: number): void {
    const length = buf.length;
    let offset = from;
    for (;;) {
      const size = frameSize(buf, offset, length);
      if (size < 0 || offset + size > length) break;
      const end = offset + size;
      this.onFrame(buf[offset]! & 0x0f, buf, offset + headerSize(buf[offset + 1]!), end);
      offset = end;
    }
    // A copy: `buf` may be the shared read buffer, which the next read overwrites.
    if (offset < length) this.leftover = Buffer.from(buf.subarray(offset));
  }
}

/** Header bytes of a server frame (unmasked) whose second byte is `b1`. */
function headerSize(b1: number): number {
  const size = b1 & 0x7f;
  return size === 126 ? 4 : size === 127 ? 10 : 2;
}

/** Bytes of the server frame at `offset` with its header, or -1 if its header is not all there. */
function frameSize(buf: Buffer, offset: number, length: number): number {
  if (offset + 2 > length) return -1;
  const b1 = buf[offset + 1]!;
  const header = headerSize(b1);
  if (offset + header > length) return -1;
  const size = b1 & 0x7f;
  if (size < 126) return 2 + size;
  if (size === 126) return 4 + buf.readUInt16BE(offset + 2);
  return 10 + buf.readUInt32BE(offset + 2) * 2 ** 32 + buf.readUInt32BE(offset + 6);
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
