/**
 * The load generator's secure-chat connection: the real wire protocol and a real login
 * (hello, challenge, Ed25519 signature over the nonce), then deliveries read straight from
 * the frame bytes (seq, kind and the sender's timestamp) instead of decoding every frame,
 * and batched `ack {seq}` frames like the real client's (at most one per ACK_INTERVAL_MS).
 */
import {
  decodeFrame,
  deliveryKinds,
  encodeFrame,
  frameSchemas,
  PROTOCOL_VERSION,
  SendIds,
  signLogin,
  type ClientFrame,
  type ServerFrame,
} from "@secure-chat/protocol";
import type { Counters } from "./counters.js";
import { arrivalMs, frameBytes, opcodes, RawWs } from "./raw-ws.js";

const DELIVER = frameSchemas.deliver.id;
const ACCEPTED = frameSchemas.accepted.id;
const PRESENCE = frameSchemas.presence.id;

/** Where, in a frame (version byte, id byte, fields), the seq of a `deliver` and of an `accepted` starts. */
export const DELIVER_SEQ_AT = 2;
export const ACCEPTED_SEQ_AT = 6; // after its rid

function uint32At(buf: Buffer, at: number): number {
  return ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
}

/**
 * The u53 seq at `at` (two big-endian words). Byte arithmetic instead of readUInt32BE (its
 * argument checks were 3% of a receiver); a seq below 2^32 stays a small integer.
 */
export function seqAt(buf: Buffer, at: number): number {
  const high = uint32At(buf, at);
  const low = uint32At(buf, at + 4);
  return high === 0 ? low : high * 2 ** 32 + low;
}

/** The delivery kind byte of the `deliver` frame at `start`: after seq, time, room and sender. */
export function deliveryKindAt(buf: Buffer, start: number): number {
  let offset = start + DELIVER_SEQ_AT + 16;
  offset += 4 + uint32At(buf, offset);
  offset += 4 + uint32At(buf, offset);
  return buf[offset]!;
}

export interface BenchUser {
  name: string;
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

export class SecureChatClient {
  private ws!: RawWs;
  private nextRid = 1;
  private readonly sendIds = new SendIds();
  private readonly pending = new Map<number, { resolve(f: ServerFrame): void; reject(e: Error): void }>();
  private onSynced: (() => void) | undefined;
  /** Highest seq received (delivered, or accepted for one of ours) and highest acknowledged. */
  maxSeq = 0;
  ackedSeq = 0;
  /** Called for each `accepted` that answers a benchmark send (not a setup request). */
  onAck: (() => void) | undefined;

  private constructor(
    readonly user: BenchUser,
    private readonly counters: Counters,
  ) {}

  static async connect(host: string, port: number, user: BenchUser, counters: Counters): Promise<SecureChatClient> {
    const client = new SecureChatClient(user, counters);
    await RawWs.open(
      host,
      port,
      "/",
      (opcode, buf, start, end) => client.frame(opcode, buf, start, end),
      (ws) => (client.ws = ws),
    );
    client.ws.onClose = () => {
      for (const waiter of client.pending.values()) waiter.reject(new Error(`${user.name}: connection closed`));
      client.pending.clear();
    };
    const synced = new Promise<void>((resolve) => (client.onSynced = resolve));
    const challenge = await client.request({ type: "hello", rid: 0, name: user.name, publicKey: user.publicKey });
    if (challenge.type !== "challenge") throw new Error(`${user.name}: no challenge: ${JSON.stringify(challenge)}`);
    const signature = signLogin(user.secretKey, challenge.nonce, user.name);
    const ok = await client.request({ type: "login", rid: 0, signature });
    if (ok.type !== "login_ok") throw new Error(`${user.name}: login refused: ${JSON.stringify(ok)}`);
    await synced;
    return client;
  }

  get closed(): boolean {
    return this.ws.closed;
  }

  /** Sends a request with a fresh rid; resolves with its answer (or an `error` frame). */
  request(frame: ClientFrame): Promise<ServerFrame> {
    const rid = this.nextRid++;
    return new Promise((resolve, reject) => {
      this.pending.set(rid, { resolve, reject });
      this.ws.sendBinary(encodeFrame({ ...frame, rid } as ClientFrame));
    });
  }

  /**
   * Sends a prepared `send` frame (already WebSocket-framed, see `sendTemplate`) with a fresh
   * rid and the current time in its last 8 bytes, which are the MLS ciphertext's last bytes.
   */
  sendStamped(template: Buffer, payloadOffset: number, now: number): void {
    const out = Buffer.from(template);
    const rid = this.nextRid++ >>> 0;
    out.writeUInt32BE(rid, payloadOffset + 2);
    // A distinct sendId per message, made as the real client makes it (the server stores each
    // (sender, sendId) once, and how ids are ordered matters to the cost of its index).
    const sendIdOffset = payloadOffset + 2 + 4 + 4 + out.readUInt32BE(payloadOffset + 6) + 4;
    out.set(this.sendIds.next(), sendIdOffset);
    out.writeDoubleLE(now, out.length - 8);
    this.ws.socket.write(out);
  }

  /** Acknowledges the highest seq received, if it moved. */
  flushAck(): void {
    if (this.maxSeq <= this.ackedSeq || this.ws.closed) return;
    this.ackedSeq = this.maxSeq;
    const frame = Buffer.allocUnsafe(10);
    frame[0] = PROTOCOL_VERSION;
    frame[1] = frameSchemas.ack.id;
    frame.writeUInt32BE(Math.floor(this.maxSeq / 2 ** 32), 2);
    frame.writeUInt32BE(this.maxSeq >>> 0, 6);
    this.ws.sendBinary(frame);
  }

  close(): void {
    this.ws.close();
  }

  // The hot path (deliveries) is kept apart from the rest and small, so V8 inlines it into the
  // frame loop: out of line, every delivery's timestamp was a heap-allocated number (the
  // receivers spent 10% of their time collecting them, against 2% for the relay's client).
  private frame(opcode: number, buf: Buffer, start: number, end: number): void {
    if (opcode !== opcodes.binary) return;
    if (buf[start + 1] === DELIVER) this.delivery(buf, start, end);
    else this.otherFrame(buf, start, end);
  }

  private delivery(buf: Buffer, start: number, end: number): void {
    const seq = seqAt(buf, start + DELIVER_SEQ_AT);
    if (seq > this.maxSeq) this.maxSeq = seq;
    else this.counters.misorderedTotal++;
    if (deliveryKindAt(buf, start) === deliveryKinds.message)
      this.counters.delivered(arrivalMs, buf.readDoubleLE(end - 8));
    else this.counters.other++;
  }

  private otherFrame(buf: Buffer, start: number, end: number): void {
    const id = buf[start + 1];
    if (id === PRESENCE) {
      this.counters.other++;
      return;
    }
    // Answers (ids 64-73) carry the request's rid first.
    const rid = id !== undefined && id >= 64 && id <= 73 ? buf.readUInt32BE(start + 2) : 0;
    const waiter = this.pending.get(rid);
    if (waiter === undefined && id === ACCEPTED) {
      // Its seq counts as seen, as in the real client: a delivery below it would be dropped.
      const seq = seqAt(buf, start + ACCEPTED_SEQ_AT);
      if (seq > this.maxSeq) this.maxSeq = seq;
      this.onAck?.();
      return;
    }
    // A copy: `buf` is the shared read buffer, overwritten by the next read, and answers are
    // decoded here but used later (the codec copies byte fields today; this does not rely on it).
    const decoded = decodeFrame(new Uint8Array(buf.subarray(start, end)));
    if (decoded.kind !== "ok") return;
    const frame = decoded.frame as ServerFrame;
    if (frame.type === "synced") {
      this.onSynced?.();
      return;
    }
    if (waiter !== undefined) {
      this.pending.delete(rid);
      waiter.resolve(frame);
    } else if (frame.type === "error") {
      this.counters.other++;
      process.stderr.write(`${this.user.name}: server error ${frame.code}: ${frame.message}\n`);
    }
  }
}

/** A `send` frame for `groupId` carrying `message`, WebSocket-framed once; see sendStamped. */
export function sendTemplate(groupId: string, message: Uint8Array): { template: Buffer; payloadOffset: number } {
  const payload = encodeFrame({ type: "send", rid: 0, groupId, sendId: new Uint8Array(16), message });
  const template = frameBytes(opcodes.binary, payload);
  return { template, payloadOffset: template.length - payload.length };
}
