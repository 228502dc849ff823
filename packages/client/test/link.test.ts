import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeFrame, encodeFrame, type ClientFrame, type ServerFrame } from "@secure-chat/protocol";
import { ClientError, type ClientErrorCode } from "../src/errors.js";
import type { LinkState } from "../src/events.js";
import { backoffMs, Link, terminalCodes, type LinkSession } from "../src/link/link.js";
import type { PushFrame, RpcConnection, SocketFactory, WebSocketLike } from "../src/link/rpc.js";
import { FakeTimers, flush } from "./fake-timers.js";

const HEARTBEAT_MS = 1_000;
const DIAL_TIMEOUT_MS = 5_000;
const HANDSHAKE_IDLE_MS = 3_000;
const URL = "wss://chat.test/ws";

type Listener = (event: never) => void;

/** A socket the test plays the server for. */
class FakeSocket implements WebSocketLike {
  binaryType = "blob";
  /** Client frames, decoded, in the order sent. */
  readonly sent: ClientFrame[] = [];
  /** Frames sent after the socket was closed (a real socket would drop them). */
  sentAfterClose = 0;
  private closedWith: { code: number; reason: string; by: "client" | "server" } | undefined;
  private readonly listeners = new Map<string, Listener[]>();

  constructor(readonly url: string) {}

  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  private fire(type: string, event?: unknown): void {
    for (const listener of this.listeners.get(type) ?? []) (listener as (event: unknown) => void)(event);
  }

  send(data: Uint8Array): void {
    if (this.closedWith !== undefined) {
      this.sentAfterClose++;
      return;
    }
    const decoded = decodeFrame(data);
    assert.equal(decoded.kind, "ok", "the client sends frames the protocol can decode");
    if (decoded.kind === "ok") this.sent.push(decoded.frame as ClientFrame);
  }

  /** The client's close: recorded now, the "close" event follows asynchronously as on a real socket. */
  close(code = 1005, reason = ""): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = { code, reason, by: "client" };
    queueMicrotask(() => this.fire("close", { code, reason }));
  }

  /** How the socket was closed, by either side; undefined while open (a method, so checks are not narrowed). */
  closed(): { code: number; reason: string; by: "client" | "server" } | undefined {
    return this.closedWith;
  }

  open(): void {
    this.fire("open");
  }

  /** A server frame, as the browser hands it over with binaryType "arraybuffer". */
  deliver(frame: ServerFrame): void {
    const bytes = encodeFrame(frame);
    const data = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    this.fire("message", { data });
  }

  /** The server (or the network) ends the connection. */
  serverClose(code: number, reason: string): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = { code, reason, by: "server" };
    this.fire("close", { code, reason });
  }

  /** A failure before "open", as a socket factory reports it. */
  fail(error: unknown): void {
    this.fire("error", { error });
    this.serverClose(1006, "");
  }

  pings(): number[] {
    return this.sent.filter((frame) => frame.type === "ping").map((frame) => (frame as { rid: number }).rid);
  }

  answerLastPing(): void {
    const rid = this.pings().at(-1);
    assert.ok(rid !== undefined, "a ping was sent");
    this.deliver({ type: "pong", rid });
  }
}

type Handshake = LinkSession["handshake"];

/** A session whose handshake for each attempt the test chooses (by default: succeed at once). */
class TestSession implements LinkSession {
  readonly states: LinkState[] = [];
  readonly reasons: (string | undefined)[] = [];
  readonly gaveUp: { code: ClientErrorCode; message: string }[] = [];
  readonly pushes: PushFrame[] = [];
  lives = 0;
  handshakeCalls = 0;
  /** The handshakes of the next attempts, in order. */
  readonly handshakes: Handshake[] = [];

  handshake(rpc: RpcConnection, catchingUp: () => void, lost: Promise<never>): Promise<void> {
    this.handshakeCalls++;
    const next = this.handshakes.shift();
    return next === undefined ? Promise.resolve() : next(rpc, catchingUp, lost);
  }

  onPush(frame: PushFrame): void {
    this.pushes.push(frame);
  }

  onState(state: LinkState, reason?: string): void {
    this.states.push(state);
    this.reasons.push(reason);
  }

  onGaveUp(code: ClientErrorCode, message: string): void {
    this.gaveUp.push({ code, message });
  }

  onLive(): Promise<void> {
    this.lives++;
    return Promise.resolve();
  }
}

const failWith =
  (code: ClientErrorCode): Handshake =>
  () =>
    Promise.reject(new ClientError(code, `refused: ${code}`));

/** A handshake that waits until the connection is lost (a login the server never answers). */
const hang: Handshake = (_rpc, _catchingUp, lost) => lost;

/** A live link that dropped and has dialled again, with the new socket not open yet. */
async function redialingUnopened(): Promise<Harness> {
  const h = setup();
  await h.link.start();
  h.autoOpen = false;
  h.last().serverClose(1006, "gone");
  await flush();
  await expectDialAt(
    h,
    backoffMs(0, () => 0),
  );
  return h;
}

function setup(options: { reconnect?: boolean } = {}) {
  const timers = new FakeTimers();
  const session = new TestSession();
  const sockets: FakeSocket[] = [];
  const dialedAt: number[] = [];
  const harness = {
    timers,
    session,
    sockets,
    dialedAt,
    /** Whether new sockets open by themselves (right after the link attached its listeners). */
    autoOpen: true,
    link: undefined as unknown as Link,
    last(): FakeSocket {
      const socket = sockets.at(-1);
      assert.ok(socket !== undefined, "a socket was dialled");
      return socket;
    },
  };
  const socketFactory: SocketFactory = (url) => {
    const socket = new FakeSocket(url);
    sockets.push(socket);
    dialedAt.push(timers.now);
    if (harness.autoOpen) queueMicrotask(() => socket.open());
    return socket;
  };
  harness.link = new Link(
    {
      url: URL,
      socketFactory,
      reconnect: options.reconnect ?? true,
      heartbeatMs: HEARTBEAT_MS,
      dialTimeoutMs: DIAL_TIMEOUT_MS,
      handshakeIdleMs: HANDSHAKE_IDLE_MS,
      timers,
    },
    session,
  );
  return harness;
}

type Harness = ReturnType<typeof setup>;

/** Advances to `at` (absolute fake time): no new socket before it, exactly one at it. */
async function expectDialAt(h: Harness, at: number): Promise<void> {
  const before = h.sockets.length;
  await h.timers.advance(at - 0.5 - h.timers.now);
  assert.equal(h.sockets.length, before, `no dial before ${at} ms`);
  await h.timers.advance(0.5);
  assert.equal(h.sockets.length, before + 1, `a dial at ${at} ms`);
  assert.equal(h.dialedAt.at(-1), at);
}

function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => assert.fail("expected a rejection"),
    (error: unknown) => error,
  );
}

describe("Link.start", () => {
  it("goes connecting → authenticating → live, logging in over the new socket", async () => {
    const h = setup();
    h.session.handshakes.push(async (rpc) => {
      await rpc.request({ type: "ping", rid: 0 }, "pong");
    });
    const started = h.link.start();
    await flush();
    const socket = h.last();
    assert.equal(socket.url, URL);
    assert.equal(socket.binaryType, "arraybuffer");
    assert.equal(h.link.state, "authenticating");
    assert.equal(h.link.isLive, false);
    assert.throws(
      () => h.link.connection(),
      (error: unknown) => (error as ClientError).code === "DISCONNECTED",
    );
    assert.equal(socket.pings().length, 1, "the handshake's request went out");
    socket.answerLastPing();
    await started;
    assert.deepEqual(h.session.states, ["connecting", "authenticating", "live"]);
    assert.equal(h.link.state, "live");
    assert.equal(h.link.isLive, true);
    assert.equal(h.session.lives, 1);
    assert.equal(h.link.connection().isOpen, true);
    assert.equal(h.sockets.length, 1);
  });

  it("passes through catching_up when the handshake says it is logged in", async () => {
    const h = setup();
    let stateWhileCatchingUp: LinkState | undefined;
    h.session.handshakes.push((_rpc, catchingUp) => {
      catchingUp();
      stateWhileCatchingUp = h.link.state;
      return Promise.resolve();
    });
    await h.link.start();
    assert.equal(stateWhileCatchingUp, "catching_up");
    assert.deepEqual(h.session.states, ["connecting", "authenticating", "catching_up", "live"]);
  });

  it("a first login that fails throws, closes the socket and does not retry", async () => {
    const h = setup();
    h.session.handshakes.push(failWith("TIMEOUT"));
    const error = await rejectionOf(h.link.start());
    assert.equal((error as ClientError).code, "TIMEOUT");
    assert.equal(h.link.state, "offline");
    assert.deepEqual(h.session.states, ["connecting", "authenticating", "offline"]);
    assert.equal(h.last().closed()?.by, "client");
    assert.equal(h.session.lives, 0);
    await h.timers.advance(60_000);
    assert.equal(h.sockets.length, 1, "start() does not retry");
    assert.deepEqual(h.session.gaveUp, []);
  });

  it("a socket that cannot connect makes start() throw UNREACHABLE", async () => {
    const h = setup();
    h.autoOpen = false;
    const started = rejectionOf(h.link.start());
    await flush();
    h.last().serverClose(1006, "");
    assert.equal(((await started) as ClientError).code, "UNREACHABLE");
    assert.deepEqual(h.session.states, ["connecting", "offline"]);
    assert.equal(h.session.handshakeCalls, 0);
  });
});

describe("Link heartbeat", () => {
  it("sends a ping every heartbeatMs once live", async () => {
    const h = setup();
    await h.link.start();
    const socket = h.last();
    await h.timers.advance(HEARTBEAT_MS - 1);
    assert.equal(socket.pings().length, 0, "no ping before heartbeatMs");
    await h.timers.advance(1);
    assert.equal(socket.pings().length, 1);
  });

  it("an unanswered ping drops the link at the next tick; it goes offline and redials after the backoff", async () => {
    const h = setup();
    await h.link.start();
    const socket = h.last();
    await h.timers.advance(HEARTBEAT_MS);
    assert.equal(socket.pings().length, 1);
    await h.timers.advance(HEARTBEAT_MS - 1);
    assert.equal(socket.closed(), undefined, "still waiting for the pong");
    assert.equal(h.link.state, "live");
    await h.timers.advance(1);
    assert.equal(socket.closed()?.by, "client", "the link aborts the socket");
    assert.equal(socket.closed()?.code, 4000);
    assert.equal(h.link.state, "offline");
    assert.match(h.session.reasons.at(-1) ?? "", /no answer from the server/);
    assert.equal(socket.pings().length, 1, "no second ping on the dead socket");
    assert.equal(socket.sentAfterClose, 0);

    // random() = 0: the first reconnect waits backoffMs(0, () => 0) = 125 ms.
    await expectDialAt(h, 2 * HEARTBEAT_MS + backoffMs(0, () => 0));
    await flush();
    assert.equal(h.link.state, "live");
    assert.deepEqual(h.session.states, [
      "connecting",
      "authenticating",
      "live",
      "offline",
      "connecting",
      "authenticating",
      "live",
    ]);
    assert.equal(h.session.lives, 2);
    assert.deepEqual(h.session.gaveUp, []);

    // The new connection has its own heartbeat.
    await h.timers.advance(HEARTBEAT_MS);
    assert.equal(h.last().pings().length, 1);
  });

  it("a pong answered in time keeps the link live", async () => {
    const h = setup();
    await h.link.start();
    const socket = h.last();
    await h.timers.advance(HEARTBEAT_MS);
    for (let round = 1; round <= 5; round++) {
      await h.timers.advance(HEARTBEAT_MS - 1);
      socket.answerLastPing(); // just in time
      await h.timers.advance(1);
      assert.equal(socket.pings().length, round + 1, "the next ping goes out");
      assert.equal(socket.closed(), undefined);
    }
    assert.equal(h.link.state, "live");
    assert.equal(h.sockets.length, 1);
    assert.deepEqual(h.session.states, ["connecting", "authenticating", "live"]);
  });

  it("a pong to another request does not count", async () => {
    const h = setup();
    await h.link.start();
    const socket = h.last();
    await h.timers.advance(HEARTBEAT_MS);
    const [rid] = socket.pings();
    assert.ok(rid !== undefined);
    socket.deliver({ type: "pong", rid: rid + 1000 });
    await h.timers.advance(HEARTBEAT_MS);
    assert.equal(socket.closed()?.code, 4000);
    assert.equal(h.link.state, "offline");
  });
});

describe("backoffMs", () => {
  it("is exponential from 250 ms, capped at 10 s, half of it jitter", () => {
    const table: [attempt: number, random: number, expected: number][] = [
      [0, 0, 125],
      [0, 0.5, 187.5],
      [1, 0, 250],
      [1, 0.5, 375],
      [2, 0, 500],
      [3, 0, 1_000],
      [4, 0.25, 2_500],
      [5, 0, 4_000],
      [6, 0, 5_000], // 16 s, capped at 10 s
      [6, 0.5, 7_500],
      [30, 0, 5_000],
    ];
    for (const [attempt, random, expected] of table) {
      assert.equal(
        backoffMs(attempt, () => random),
        expected,
        `attempt ${attempt}, random ${random}`,
      );
    }
  });

  it("approaches the full delay as random() approaches 1", () => {
    const almostOne = 0.999_999;
    for (const [attempt, delay] of [
      [0, 250],
      [3, 2_000],
      [10, 10_000],
    ] as const) {
      const ms = backoffMs(attempt, () => almostOne);
      assert.ok(ms < delay && ms > delay * 0.999_99, `attempt ${attempt}: ${ms} ≈ ${delay}`);
    }
  });

  it("asks random() once per call", () => {
    let calls = 0;
    backoffMs(2, () => {
      calls++;
      return 0.3;
    });
    assert.equal(calls, 1);
  });
});

describe("Link reconnect", () => {
  it("waits exactly backoffMs(attempt) before each redial, with jitter from timers.random", async () => {
    const h = setup();
    await h.link.start();
    h.session.handshakes.push(failWith("TIMEOUT"), failWith("DISCONNECTED"));
    h.timers.randoms = [0.5, 0, 0.25];
    await h.timers.advance(100);
    h.last().serverClose(1006, "network went away");
    await flush();
    assert.equal(h.link.state, "offline");
    assert.equal(h.session.reasons.at(-1), "network went away");

    const first = 100 + backoffMs(0, () => 0.5); // 187.5 ms later
    await expectDialAt(h, first);
    const second = first + backoffMs(1, () => 0); // 250 ms after the failed attempt
    await expectDialAt(h, second);
    const third = second + backoffMs(2, () => 0.25); // 625 ms after that
    await expectDialAt(h, third);
    await flush();
    assert.equal(h.link.state, "live");
    assert.equal(h.session.lives, 2);
    assert.deepEqual(h.session.gaveUp, []);

    // Once live again, the next drop starts over at attempt 0.
    h.timers.randomValue = 0;
    h.last().serverClose(1006, "again");
    await flush();
    await expectDialAt(h, third + backoffMs(0, () => 0));
  });

  it("a dial that never opens times out after dialTimeoutMs and is retried; the late socket is aborted", async () => {
    const h = await redialingUnopened();
    const stuck = h.last();
    await h.timers.advance(DIAL_TIMEOUT_MS - 1);
    assert.equal(h.link.state, "connecting");
    assert.equal(h.sockets.length, 2);
    await h.timers.advance(1);
    assert.equal(h.link.state, "offline");
    assert.match(h.session.reasons.at(-1) ?? "", /within 5000 ms/);
    h.autoOpen = true;
    stuck.open(); // too late
    await flush();
    assert.equal(stuck.closed()?.code, 4000, "a socket that opens after the deadline is aborted");
    await expectDialAt(h, backoffMs(0, () => 0) + DIAL_TIMEOUT_MS + backoffMs(1, () => 0));
    await flush();
    assert.equal(h.link.state, "live");
    assert.equal(h.session.handshakeCalls, 2, "the stuck socket never logged in");
  });

  for (const code of ["NAME_TAKEN", "NAME_CONFUSABLE", "AUTH_FAILED", "CERT_CHANGED", "UNSUPPORTED_VERSION"] as const) {
    it(`gives up for good when a reconnect's login fails with ${code}`, async () => {
      const h = setup();
      await h.link.start();
      h.session.handshakes.push(failWith(code));
      h.last().serverClose(1006, "gone");
      await flush();
      await expectDialAt(
        h,
        backoffMs(0, () => 0),
      );
      await flush();
      assert.deepEqual(h.session.gaveUp, [{ code, message: `refused: ${code}` }]);
      assert.equal(h.link.state, "closed");
      assert.equal(h.session.states.at(-1), "closed");
      assert.equal(h.last().closed()?.by, "client", "the refused attempt's socket is closed");
      await h.timers.advance(120_000);
      assert.equal(h.sockets.length, 2, "no more dials");
      assert.equal(h.session.gaveUp.length, 1);
    });
  }

  it("terminalCodes holds exactly the six refusals a retry would only repeat", () => {
    assert.deepEqual(
      [...terminalCodes].sort(),
      ["AUTH_FAILED", "CERT_CHANGED", "DEVICE_REVOKED", "NAME_CONFUSABLE", "NAME_TAKEN", "UNSUPPORTED_VERSION"].sort(),
    );
  });

  it("gives up when the server answers a reconnect's login with a terminal error frame", async () => {
    const h = setup();
    await h.link.start();
    h.session.handshakes.push(async (rpc) => {
      await rpc.request({ type: "ping", rid: 0 }, "pong");
    });
    h.last().serverClose(1006, "gone");
    await flush();
    await expectDialAt(
      h,
      backoffMs(0, () => 0),
    );
    const socket = h.last();
    const [rid] = socket.pings();
    assert.ok(rid !== undefined);
    socket.deliver({ type: "error", rid, code: "NAME_TAKEN", message: "alice is bound to another key" });
    await flush();
    assert.deepEqual(h.session.gaveUp, [{ code: "NAME_TAKEN", message: "alice is bound to another key" }]);
    assert.equal(h.link.state, "closed");
  });

  it("gives up when the socket factory refuses with CERT_CHANGED", async () => {
    const h = await redialingUnopened();
    h.last().fail(Object.assign(new Error("the server's certificate changed"), { code: "CERT_CHANGED" }));
    await flush();
    assert.deepEqual(h.session.gaveUp, [{ code: "CERT_CHANGED", message: "the server's certificate changed" }]);
    assert.equal(h.link.state, "closed");
    await h.timers.advance(120_000);
    assert.equal(h.sockets.length, 2);
  });

  for (const code of ["DISCONNECTED", "TIMEOUT", "UNREACHABLE", "SERVER_ERROR", "RATE_LIMITED"] as const) {
    it(`keeps retrying when a reconnect's login fails with ${code}`, async () => {
      const h = setup();
      await h.link.start();
      h.session.handshakes.push(failWith(code), failWith(code), failWith(code));
      h.last().serverClose(1006, "gone");
      await flush();
      let at = 0;
      for (let attempt = 0; attempt < 4; attempt++) {
        at += backoffMs(attempt, () => 0);
        await expectDialAt(h, at);
        await flush();
        assert.deepEqual(h.session.gaveUp, []);
        assert.equal(h.link.state, attempt < 3 ? "offline" : "live");
      }
      assert.equal(h.session.lives, 2);
    });
  }

  it("reconnect: false — a drop after live closes the link and gives up with DISCONNECTED", async () => {
    const h = setup({ reconnect: false });
    await h.link.start();
    const socket = h.last();
    socket.serverClose(1001, "server restarting");
    await flush();
    assert.equal(h.link.state, "closed");
    assert.deepEqual(h.session.states, ["connecting", "authenticating", "live", "closed"]);
    assert.deepEqual(h.session.gaveUp, [{ code: "DISCONNECTED", message: "connection lost: server restarting" }]);
    await h.timers.advance(120_000);
    assert.equal(h.sockets.length, 1, "no redial");
    assert.equal(socket.sentAfterClose, 0, "the heartbeat stopped");
  });
});

describe("Link handshake idle deadline", () => {
  it("a login the server never answers fails with TIMEOUT after handshakeIdleMs", async () => {
    const h = setup();
    h.session.handshakes.push(hang);
    const started = rejectionOf(h.link.start());
    await h.timers.advance(HANDSHAKE_IDLE_MS - 1);
    assert.equal(h.link.state, "authenticating");
    assert.equal(h.last().closed(), undefined);
    await h.timers.advance(1);
    const error = (await started) as ClientError;
    assert.equal(error.code, "TIMEOUT");
    assert.equal(h.link.state, "offline");
    assert.ok(h.last().closed() !== undefined, "the socket is given up");
  });

  it("a login request the server never answers is abandoned after handshakeIdleMs", async () => {
    const h = setup();
    h.session.handshakes.push(async (rpc) => {
      await rpc.request({ type: "ping", rid: 0 }, "pong");
    });
    const started = rejectionOf(h.link.start());
    await h.timers.advance(HANDSHAKE_IDLE_MS - 1);
    assert.equal(h.link.state, "authenticating");
    await h.timers.advance(1);
    const error = (await started) as ClientError;
    assert.equal(error.code, "TIMEOUT", "the cause, not the abort it led to");
    assert.match(error.message, /the server said nothing for 3000 ms while logging in/);
    assert.equal(h.link.state, "offline");
    assert.equal(h.last().closed()?.code, 4000);
  });

  it("a frame from the server during the handshake re-arms the deadline", async () => {
    const h = setup();
    h.session.handshakes.push((_rpc, catchingUp, lost) => {
      catchingUp();
      return lost;
    });
    const started = rejectionOf(h.link.start());
    await flush();
    const socket = h.last();
    assert.equal(h.link.state, "catching_up");
    await h.timers.advance(HANDSHAKE_IDLE_MS - 1);
    socket.deliver({ type: "presence", name: "bob", online: true });
    await h.timers.advance(HANDSHAKE_IDLE_MS - 1);
    socket.deliver({ type: "synced", cursor: 7 });
    await h.timers.advance(HANDSHAKE_IDLE_MS - 1);
    assert.equal(h.link.state, "catching_up", "3 × (idle - 1) ms in, but never idle for idle ms");
    assert.equal(socket.closed(), undefined);
    assert.deepEqual(h.session.pushes, [
      { type: "presence", name: "bob", online: true },
      { type: "synced", cursor: 7 },
    ]);
    await h.timers.advance(1);
    assert.equal(((await started) as ClientError).code, "TIMEOUT");
    assert.equal(h.timers.now, 3 * HANDSHAKE_IDLE_MS - 2);
  });

  it("an answer to a handshake request also counts as a frame from the server", async () => {
    const h = setup();
    h.session.handshakes.push(async (rpc) => {
      await rpc.request({ type: "ping", rid: 0 }, "pong");
      await rpc.request({ type: "ping", rid: 0 }, "pong");
    });
    const started = h.link.start().then(
      () => "live",
      (error: unknown) => (error as ClientError).code,
    );
    await h.timers.advance(HANDSHAKE_IDLE_MS - 1);
    h.last().answerLastPing();
    await h.timers.advance(HANDSHAKE_IDLE_MS - 1);
    h.last().answerLastPing();
    assert.equal(await started, "live");
  });

  it("does not apply once live", async () => {
    const h = setup();
    await h.link.start();
    const socket = h.last();
    for (let round = 0; round < 5; round++) {
      await h.timers.advance(HEARTBEAT_MS);
      socket.answerLastPing();
    }
    assert.ok(h.timers.now > HANDSHAKE_IDLE_MS);
    assert.equal(h.link.state, "live");
    assert.equal(socket.closed(), undefined);
  });
});

describe("Link.close", () => {
  it("closes the socket and stops the heartbeat; nothing dials afterwards", async () => {
    const h = setup();
    await h.link.start();
    const socket = h.last();
    h.link.close();
    assert.equal(h.link.state, "closed");
    assert.equal(h.link.isLive, false);
    assert.equal(socket.closed()?.by, "client");
    assert.equal(socket.closed()?.code, 1000);
    assert.throws(
      () => h.link.connection(),
      (error: unknown) => (error as ClientError).code === "DISCONNECTED",
    );
    await h.timers.advance(120_000);
    assert.equal(h.sockets.length, 1);
    assert.equal(socket.pings().length + socket.sentAfterClose, 0, "no ping after close");
    assert.deepEqual(h.session.states, ["connecting", "authenticating", "live", "closed"]);
    assert.deepEqual(h.session.gaveUp, []);
  });

  it("during the backoff wait: the pending reconnect never dials", async () => {
    const h = setup();
    await h.link.start();
    h.last().serverClose(1006, "gone");
    await flush();
    assert.equal(h.link.state, "offline");
    await h.timers.advance(backoffMs(0, () => 0) - 1);
    h.link.close();
    await h.timers.advance(120_000);
    assert.equal(h.sockets.length, 1);
    assert.equal(h.link.state, "closed");
    assert.deepEqual(h.session.states, ["connecting", "authenticating", "live", "offline", "closed"]);
  });

  it("during a reconnect's login: the attempt is abandoned and not retried", async () => {
    const h = setup();
    await h.link.start();
    h.session.handshakes.push(hang);
    h.last().serverClose(1006, "gone");
    await flush();
    await expectDialAt(
      h,
      backoffMs(0, () => 0),
    );
    await flush();
    assert.equal(h.link.state, "authenticating");
    const socket = h.last();
    h.link.close();
    await h.timers.advance(120_000);
    assert.equal(h.link.state, "closed");
    assert.equal(socket.closed()?.by, "client");
    assert.equal(h.sockets.length, 2);
    assert.deepEqual(h.session.gaveUp, []);
    assert.equal(h.session.states.at(-1), "closed");
  });
});
