import { ClientError, errorCode, errorMessage, type ClientErrorCode } from "../errors.js";
import type { LinkState } from "../events.js";
import { RpcConnection, type PushFrame, type SocketFactory } from "./rpc.js";
import { sleep, type TimerHandle, type Timers } from "./timers.js";

/** What the link needs from the client: the login on each new connection, and where frames go. */
export interface LinkSession {
  /**
   * Logs in and catches up on a fresh connection; calls `catchingUp` once logged in. Throws to
   * fail the attempt. `lost` rejects if the connection drops meanwhile.
   */
  handshake(rpc: RpcConnection, catchingUp: () => void, lost: Promise<never>): Promise<void>;
  onPush(frame: PushFrame): void;
  onState(state: LinkState, reason?: string): void;
  /** Refused for good (e.g. our name is bound to another key): no more attempts. */
  onGaveUp(code: ClientErrorCode, message: string): void;
  /** Each time the link is live: best-effort work (KeyPackages, outbox, key refresh); never throws. */
  onLive(): Promise<void>;
}

export interface LinkOptions {
  url: string;
  socketFactory: SocketFactory;
  /** Reconnect with backoff when the connection drops after it was live. */
  reconnect: boolean;
  /** Ping interval; a ping still unanswered at the next one drops the link. */
  heartbeatMs: number;
  /** How long the socket may take to open. */
  dialTimeoutMs: number;
  /** How long login and catch-up may go without a frame from the server. */
  handshakeIdleMs: number;
  timers: Timers;
}

/** Refusals that another attempt would only repeat: the link stops reconnecting. */
export const terminalCodes: ReadonlySet<ClientErrorCode> = new Set([
  "NAME_TAKEN",
  "NAME_CONFUSABLE",
  "AUTH_FAILED",
  "DEVICE_REVOKED",
  "CERT_CHANGED",
  "UNSUPPORTED_VERSION",
]);

const MAX_BACKOFF_MS = 10_000;
const FIRST_BACKOFF_MS = 250;

/** The backoff before reconnect attempt `attempt` (0-based): exponential, capped, half of it jitter. */
export function backoffMs(attempt: number, random: () => number): number {
  const delay = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** attempt);
  return delay / 2 + random() * (delay / 2);
}

/**
 * The connection to the server: dial, login (through the session), heartbeat and reconnect
 * with backoff, as one state machine. Only a live link serves requests.
 */
export class Link {
  private linkState: LinkState = "offline";
  private rpc: RpcConnection | undefined;
  private heartbeat: TimerHandle | undefined;
  private haltTimer: TimerHandle | undefined;

  constructor(
    private readonly options: LinkOptions,
    private readonly session: LinkSession,
  ) {}

  get state(): LinkState {
    return this.linkState;
  }

  /** The first connection: throws (UNREACHABLE, AUTH_FAILED, …) instead of retrying. */
  async start(): Promise<void> {
    await this.attempt();
    await this.session.onLive();
  }

  /**
   * The logged-in connection, or DISCONNECTED. Catching up counts: processing what arrived
   * while we were away needs key lookups.
   */
  connection(): RpcConnection {
    if (this.rpc === undefined || !this.rpc.isOpen || !this.loggedIn) {
      throw new ClientError("DISCONNECTED", "not connected to the server right now");
    }
    return this.rpc;
  }

  /** Whether the server has logged us in on the current connection (catching up, live or halted). */
  get loggedIn(): boolean {
    return this.linkState === "catching_up" || this.linkState === "live" || this.linkState === "halted";
  }

  /** Whether a request may be made now. */
  get isLive(): boolean {
    return this.linkState === "live";
  }

  /**
   * A local write failed: nothing more is processed. After `pauseMs` the link is dropped, so the
   * next login reloads the saved state; a login under way is left to finish first.
   */
  halt(pauseMs: number, reason: string): void {
    if (this.linkState === "closed") return;
    const wasLive = this.linkState === "live";
    if (wasLive) this.setState("halted", reason);
    this.options.timers.clearTimeout(this.haltTimer);
    this.haltTimer = this.options.timers.setTimeout(() => {
      this.haltTimer = undefined;
      if (this.linkState === "halted") this.rpc?.abort(reason);
      else if (this.linkState !== "closed" && this.linkState !== "offline") this.halt(pauseMs, reason);
    }, pauseMs);
  }

  close(): void {
    this.setState("closed");
    this.stopTimers();
    this.rpc?.close();
    this.rpc = undefined;
  }

  /** A method, not a comparison, so the compiler does not narrow it away across an await. */
  private isClosed(): boolean {
    return this.linkState === "closed";
  }

  private stopTimers(): void {
    this.options.timers.clearTimeout(this.heartbeat);
    this.options.timers.clearTimeout(this.haltTimer);
    this.heartbeat = undefined;
    this.haltTimer = undefined;
  }

  private setState(state: LinkState, reason?: string): void {
    if (this.linkState === state || this.linkState === "closed") return;
    this.linkState = state;
    this.session.onState(state, reason);
  }

  /** One dial and login. Throws on failure; the socket is closed then. */
  private async attempt(): Promise<void> {
    const { timers } = this.options;
    this.setState("connecting");
    let lose: (error: ClientError) => void = () => undefined;
    const lost = new Promise<never>((_, reject) => (lose = reject));
    lost.catch(() => undefined);
    let idle: TimerHandle | undefined;
    // The abort fails the handshake's pending request as DISCONNECTED; the cause is the timeout.
    let timedOut: ClientError | undefined;
    const armIdle = (): void => {
      timers.clearTimeout(idle);
      idle = timers.setTimeout(() => {
        const doing = this.linkState === "catching_up" ? "catching up" : "logging in";
        const message = `the server said nothing for ${this.options.handshakeIdleMs} ms while ${doing}`;
        timedOut = new ClientError("TIMEOUT", message);
        lose(timedOut);
        rpc?.abort(message);
      }, this.options.handshakeIdleMs);
    };
    let rpc: RpcConnection | undefined;
    try {
      rpc = await this.dial();
      this.rpc = rpc;
      const opened = rpc;
      opened.onClose = (reason) => {
        lose(new ClientError("DISCONNECTED", `connection lost: ${reason}`));
        this.dropped(opened, reason);
      };
      opened.onFrame = () => {
        if (this.linkState === "authenticating" || this.linkState === "catching_up") armIdle();
      };
      opened.onPush = (frame) => this.session.onPush(frame);
      this.setState("authenticating");
      armIdle();
      await this.session.handshake(opened, () => this.setState("catching_up"), lost);
      if (this.linkState === "closed") throw new ClientError("DISCONNECTED", "closed while logging in");
      this.setState(this.haltTimer === undefined ? "live" : "halted");
      this.startHeartbeat(opened);
    } catch (error) {
      rpc?.close(); // a half-open login is abandoned; the caller decides whether to retry
      if (this.rpc === rpc) this.rpc = undefined;
      const failure = timedOut ?? error;
      this.setState("offline", errorMessage(failure));
      throw failure;
    } finally {
      timers.clearTimeout(idle);
    }
  }

  private dial(): Promise<RpcConnection> {
    const { timers, dialTimeoutMs, url, socketFactory } = this.options;
    return new Promise((resolve, reject) => {
      const deadline = timers.setTimeout(() => {
        reject(new ClientError("TIMEOUT", `no answer from ${url} within ${dialTimeoutMs} ms`));
        opening.then(
          (late) => late.abort("dial timed out"),
          () => undefined,
        );
      }, dialTimeoutMs);
      const opening = RpcConnection.open(socketFactory, url);
      opening.then(
        (rpc) => {
          timers.clearTimeout(deadline);
          resolve(rpc);
        },
        (error: unknown) => {
          timers.clearTimeout(deadline);
          reject(error as Error);
        },
      );
    });
  }

  /** Detects a black-holed link: a ping unanswered after one interval drops the connection. */
  private startHeartbeat(rpc: RpcConnection): void {
    const { timers, heartbeatMs } = this.options;
    let waiting = false;
    const tick = (): void => {
      if (this.rpc !== rpc || !rpc.isOpen) return;
      if (waiting) {
        rpc.abort(`no answer from the server for ${heartbeatMs} ms`);
        return;
      }
      waiting = true;
      rpc.request({ type: "ping", rid: 0 }, "pong").then(
        () => (waiting = false),
        () => undefined,
      );
      this.heartbeat = timers.setTimeout(tick, heartbeatMs);
    };
    this.heartbeat = timers.setTimeout(tick, heartbeatMs);
  }

  private dropped(rpc: RpcConnection, reason: string): void {
    if (this.rpc !== rpc || this.linkState === "closed") return;
    this.rpc = undefined;
    const established = this.linkState === "live" || this.linkState === "halted";
    this.options.timers.clearTimeout(this.heartbeat);
    if (!established) return; // attempt() is still running: it throws and its caller retries
    if (!this.options.reconnect) {
      this.session.onGaveUp("DISCONNECTED", `connection lost: ${reason}`);
      this.setState("closed", reason);
      return;
    }
    this.setState("offline", reason);
    void this.reconnectLoop();
  }

  private async reconnectLoop(): Promise<void> {
    for (let attempt = 0; !this.isClosed(); attempt++) {
      await sleep(this.options.timers, backoffMs(attempt, this.options.timers.random));
      if (this.isClosed()) return; // closed while we waited
      try {
        await this.attempt();
        await this.session.onLive();
        return;
      } catch (error) {
        const code = errorCode(error);
        if (terminalCodes.has(code)) {
          this.session.onGaveUp(code, errorMessage(error));
          this.setState("closed");
          return;
        }
      }
    }
  }
}
