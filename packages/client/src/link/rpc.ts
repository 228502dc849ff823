import {
  decodeFrame,
  encodeFrame,
  isErrorCode,
  type ClientFrame,
  type ServerFrame,
  type ServerFrameType,
} from "@secure-chat/protocol";
import { ClientError, isClientErrorCode } from "../errors.js";

/** The subset of the WebSocket API we use: met by browsers' WebSocket and by `ws`. */
export interface WebSocketLike {
  binaryType: string;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "open", listener: () => void): void;
  addEventListener(type: "close", listener: (event: { code: number; reason: string }) => void): void;
  addEventListener(type: "error", listener: (event: unknown) => void): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
}
export type SocketFactory = (url: string) => WebSocketLike;

/** Answers to requests: everything the server sends with a request id. */
type Answer = Extract<ServerFrame, { rid: number }>;
/** Frames the server sends on its own; an error with rid 0 answers no request. */
type Push = Exclude<ServerFrame, Answer> | Extract<ServerFrame, { type: "error" }>;

interface Waiting {
  resolve(frame: Answer): void;
  reject(error: Error): void;
}

/** A socket factory may refuse with a coded error (e.g. CERT_CHANGED); anything else is UNREACHABLE. */
function connectError(url: string, event: unknown): ClientError {
  const error = (event as { error?: unknown } | undefined)?.error;
  const code = (error as { code?: unknown } | undefined)?.code;
  if (error instanceof Error && typeof code === "string" && isClientErrorCode(code)) {
    return new ClientError(code, error.message);
  }
  return new ClientError("UNREACHABLE", `cannot connect to ${url}`);
}

/**
 * A server's refusal. Only the protocol's codes pass: one this build does not know (a newer
 * server's) is SERVER_ERROR, and so is one of the client's own, such as DISCONNECTED, which
 * says what happened here, not there (the outbox would wait for a link that never went down).
 */
export function serverError(code: string, message: string): ClientError {
  return new ClientError(isErrorCode(code) ? code : "SERVER_ERROR", message);
}

function toBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return undefined;
}

/**
 * One socket with request/answer correlation. Pushed frames (deliveries, presence, sync
 * markers) go to `onPush` in arrival order; answers settle the promise of their request.
 */
export class RpcConnection {
  private nextRid = 1;
  private readonly waiting = new Map<number, Waiting>();
  private closed = false;
  /** Where pushed frames go, in arrival order (set by the owner right after opening). */
  onPush: (frame: Push) => void = () => undefined;
  /** Called for every frame from the server, answers included: a sign of life. */
  onFrame: () => void = () => undefined;
  /** Called once when the connection ends, for whatever reason. */
  onClose: (reason: string) => void = () => undefined;

  private constructor(private readonly socket: WebSocketLike) {}

  static open(factory: SocketFactory, url: string): Promise<RpcConnection> {
    return new Promise((resolve, reject) => {
      let opened = false;
      let socket: WebSocketLike;
      try {
        socket = factory(url);
      } catch (error) {
        reject(new ClientError("UNREACHABLE", `cannot connect to ${url}: ${String(error)}`));
        return;
      }
      socket.binaryType = "arraybuffer";
      const connection = new RpcConnection(socket);
      socket.addEventListener("open", () => {
        opened = true;
        resolve(connection);
      });
      socket.addEventListener("error", (event) => {
        if (!opened) reject(connectError(url, event));
      });
      socket.addEventListener("close", (event) => {
        // Before "open", the failure is reported by the rejected promise alone.
        if (!opened) reject(new ClientError("UNREACHABLE", `cannot connect to ${url}`));
        else connection.handleClose(event.reason || `closed with code ${event.code}`);
      });
      socket.addEventListener("message", (event) => connection.handleMessage(event.data));
    });
  }

  private handleMessage(data: unknown): void {
    const bytes = toBytes(data);
    if (bytes === undefined) return;
    const decoded = decodeFrame(bytes);
    if (decoded.kind === "error") return; // a newer server's frame we can't read: ignore it
    const frame = decoded.frame as ServerFrame;
    this.onFrame();
    if ("rid" in frame && frame.rid !== 0) {
      const waiting = this.waiting.get(frame.rid);
      if (waiting === undefined) return;
      this.waiting.delete(frame.rid);
      if (frame.type === "error") waiting.reject(serverError(frame.code, frame.message));
      else waiting.resolve(frame);
      return;
    }
    this.onPush(frame as Push);
  }

  private handleClose(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const waiting of this.waiting.values()) {
      waiting.reject(new ClientError("DISCONNECTED", `connection lost: ${reason}`));
    }
    this.waiting.clear();
    this.onClose(reason);
  }

  /** Sends a request and waits for its answer of the expected type. */
  request<T extends ServerFrameType>(
    frame: Extract<ClientFrame, { rid: number }>,
    expect: T,
  ): Promise<Extract<ServerFrame, { type: T }>> {
    return this.requestThen(frame, expect, async (answer) => answer);
  }

  /**
   * Like `request`, but `onAnswer` is called synchronously when the answer arrives, before
   * any later frame is handed to `onPush`: callers use it to keep their place in line.
   */
  requestThen<T extends ServerFrameType, R>(
    frame: Extract<ClientFrame, { rid: number }>,
    expect: T,
    onAnswer: (answer: Extract<ServerFrame, { type: T }>) => Promise<R>,
  ): Promise<R> {
    if (this.closed) return Promise.reject(new ClientError("DISCONNECTED", "not connected to the server"));
    const rid = this.nextRid++;
    return new Promise<R>((resolve, reject) => {
      this.waiting.set(rid, {
        resolve: (answer) => {
          if (answer.type !== expect) {
            reject(new ClientError("SERVER_ERROR", `expected ${expect} from the server, got ${answer.type}`));
            return;
          }
          onAnswer(answer as Extract<ServerFrame, { type: T }>).then(resolve, reject);
        },
        reject,
      });
      this.socket.send(encodeFrame({ ...frame, rid }));
    });
  }

  /** Sends a frame that has no answer. */
  post(frame: Exclude<ClientFrame, { rid: number }>): void {
    if (!this.closed) this.socket.send(encodeFrame(frame));
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  close(): void {
    this.socket.close(1000, "bye");
  }

  /** Gives up on a dead link now, without waiting for a closing handshake that may never come. */
  abort(reason: string): void {
    this.handleClose(reason);
    this.socket.close(4000, reason.slice(0, 100));
  }
}

export type { Push as PushFrame };
