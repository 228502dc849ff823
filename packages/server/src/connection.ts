import {
  encodeFrame,
  errorCodes,
  type ClientFrame,
  type ErrorCode,
  type ServerFrame,
  type UserName,
} from "@secure-chat/protocol";
import type { DeliveryTarget } from "./bus/bus.js";
import type { TokenBucket } from "./token-bucket.js";

/** What the connection needs from its socket; the ws transport provides it. */
export interface Peer {
  /** `sent` runs once the bytes have left for the network (or the socket failed). */
  send(bytes: Uint8Array, sent?: () => void): void;
  /** Like `send`, for an answer or notice to this client, which may go out ahead of other sockets' deliveries. */
  answer(bytes: Uint8Array): void;
  close(code: number, reason: string): void;
}

/** The per-socket state machine: awaiting-hello -> awaiting-proof -> ready -> closed. */
export type ConnectionPhase =
  | { phase: "awaiting_hello" }
  | { phase: "awaiting_proof"; name: UserName; publicKey: Uint8Array; nonce: Uint8Array }
  /** A new device waiting, not logged in, for its account's first device to approve it (handlers/linking.ts). */
  | { phase: "linking"; code: string }
  | { phase: "ready"; name: UserName }
  | { phase: "closed" };

/** Live frames held for one connection during its catch-up before it is asked to come back. */
const MAX_HELD_FRAMES = 50_000;

export class Connection {
  state: ConnectionPhase = { phase: "awaiting_hello" };
  /** Cleanup run once when the connection closes (bus subscription, presence). */
  readonly onClose: (() => void)[] = [];
  /** Frames that came while one of this connection's handlers awaited storage (see dispatch). */
  waitingFrames: ClientFrame[] | undefined;
  /** Live deliveries held back while the connection catches up (see startDelivery). */
  private held: Uint8Array[] | undefined;

  /** `countError` is told the code of every error frame sent (for /metrics). */
  constructor(
    private readonly peer: Peer,
    readonly remoteAddress: string,
    readonly bucket: TokenBucket,
    private readonly countError: (code: ErrorCode) => void,
  ) {}

  get name(): UserName | undefined {
    return this.state.phase === "ready" ? this.state.name : undefined;
  }

  /** An answer, error or notice to this client (deliveries use `sendEncoded`). */
  send(frame: ServerFrame): void {
    if (this.state.phase !== "closed") this.peer.answer(encodeFrame(frame));
  }

  /** `sent` (optional) runs once these bytes have been written out, or at once if closed. */
  sendEncoded(bytes: Uint8Array, sent?: () => void): void {
    if (this.state.phase === "closed") {
      sent?.();
      return;
    }
    this.peer.send(bytes, sent);
  }

  /** Returns the bus's target for live deliveries during catch-up: it keeps them until `releaseDeliveries`. */
  holdDeliveries(): DeliveryTarget {
    const held: Uint8Array[] = (this.held = []);
    return {
      send: (frame) => {
        if (held.push(frame) > MAX_HELD_FRAMES) this.close(1013, "too much traffic during catch-up; reconnect");
      },
    };
  }

  /**
   * Sends the held deliveries, in order, and returns the bus's target for live ones from now on:
   * the socket's writer itself. A fan-out calls it once per member, and going straight to it
   * visits one object fewer per delivery (measured into 1,000 members: see docs/benchmarks.md).
   */
  releaseDeliveries(): DeliveryTarget {
    const held = this.held ?? [];
    this.held = undefined;
    for (const frame of held) this.sendEncoded(frame);
    return this.peer;
  }

  /** Sends an error frame; closes the connection when the code calls for it. */
  fail(rid: number, code: ErrorCode, message: string): void {
    this.countError(code);
    this.send({ type: "error", rid, code, message });
    const close = errorCodes[code].close;
    if (close !== undefined) this.close(close, code);
  }

  close(code: number, reason: string): void {
    if (this.state.phase === "closed") return;
    this.peer.close(code, reason);
    this.closed();
  }

  /** Called by the transport when the socket is gone, whoever closed it. */
  closed(): void {
    if (this.state.phase === "closed") return;
    this.state = { phase: "closed" };
    for (const cleanup of this.onClose.splice(0)) cleanup();
  }
}
