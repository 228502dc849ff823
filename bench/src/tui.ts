/**
 * The full-screen UI as a terminal sees it: one server, a `--json` sender (bob), a `--json`
 * receiver (carol, the baseline) and alice's full-screen client in a pseudo-terminal
 * (`script`, 160x45). Every byte alice writes to her terminal is read here, and a message
 * counts as shown when its text is written to the screen. Times are this process's clock for
 * both carol's stdout line and alice's screen, so "arrival to screen" is alice's screen minus
 * carol's arrival of the same message: what the full-screen UI adds over a client that prints
 * a line per message.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { readFileSync } from "node:fs";
import { FrameWriter, TuiController } from "@secure-chat/cli";
import { BIN, chatEnv, ChatProcess, ServerProcess, tempDir } from "@secure-chat/e2e/harness";
import type { GroupId, UserName } from "@secure-chat/protocol";
import { cpuProfileArgs, cpuSeconds, memory, sleep, track } from "./procs.js";
import { percentile } from "./stats.js";

export interface TuiResult {
  /** Messages in the burst, all waiting for alice (and dave) when they go on. */
  burst: number;
  /** How long bob took to send the burst (first to last arrival at carol, who was running). */
  burstSentMs: number;
  /** From going on to the last message on alice's screen, and to dave's last line. */
  burstShownMs: number;
  burstJsonMs: number;
  /** The same as messages per second. */
  shownPerSecond: number;
  jsonPerSecond: number;
  /** CPU (% of one core) during the catch-up: alice's full-screen process, dave's `--json` one. */
  tuiCpu: number;
  jsonCpu: number;
  /** Resident memory (bytes) once started (the first message shown), then the highest seen after (sampled every 200 ms). */
  tuiStartRss: number;
  jsonStartRss: number;
  tuiPeakRss: number;
  jsonPeakRss: number;
  /** Messages at the steady rate, and that rate. */
  steady: number;
  steadyPerSecond: number;
  /** Carol's arrival to alice's screen at the steady rate. */
  screenP50Ms: number;
  screenP99Ms: number;
  screenMaxMs: number;
  /** Send to carol's arrival at the steady rate (the baseline path). */
  arrivalP50Ms: number;
  arrivalP99Ms: number;
  /** The UI's own part of a 1,000-message burst, measured in-process (measureUiPath). */
  uiPath: UiPathResult;
  /** Send to alice's screen at the steady rate. */
  sentToScreenP50Ms: number;
  sentToScreenP99Ms: number;
}

const COLS = 160;
const ROWS = 45;
const marker = (i: number): string => `tuiprobe${i}x`;
const MARKER = /tuiprobe(\d+)x/g;
// CSI and OSC sequences and the single-character escapes Ink and a terminal use.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_=>78])/g;

/** Alice's full-screen client in a pseudo-terminal, and when each marker was first written to it. */
class TerminalClient {
  readonly shownAt = new Map<number, number>();
  private tail = "";
  private readonly child: ChildProcessWithoutNullStreams;

  constructor(command: string) {
    // script gives the program a pseudo-terminal of its own; stty sets its size before it starts.
    this.child = spawn("script", ["-qfec", `stty cols ${COLS} rows ${ROWS}; exec ${command}`, "/dev/null"], {
      stdio: "pipe",
      env: { ...chatEnv, TERM: "xterm-256color", LANG: "C.UTF-8" },
    });
    track(this.child);
    this.child.stdout.setEncoding("utf8");
    this.child.stdout.on("data", (chunk: string) => {
      const now = Date.now();
      // Keep some raw bytes of the last chunk: a marker or an escape can be split across chunks.
      const text = (this.tail + chunk).replace(ESCAPES, "");
      this.tail = chunk.slice(-200);
      for (const match of text.matchAll(MARKER)) {
        const n = Number(match[1]);
        if (!this.shownAt.has(n)) this.shownAt.set(n, now);
      }
    });
  }

  /** The node process inside the terminal (script's child). */
  get pid(): number {
    const scriptPid = this.child.pid ?? 0;
    const children = readFileSync(`/proc/${scriptPid}/task/${scriptPid}/children`, "utf8").trim().split(" ");
    return Number(children[0]);
  }

  async waitFor(n: number, timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.shownAt.get(n);
      if (at !== undefined) return at;
      if (Date.now() > deadline) throw new Error(`the full-screen client never showed ${marker(n)}`);
      await sleep(5);
    }
  }

  resumeTerminal(): void {
    this.child.kill("SIGCONT");
  }

  /** Asks the program to quit (SIGTERM, as a closed terminal would) and waits for it. */
  async quit(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    process.kill(this.pid, "SIGTERM");
    await Promise.race([exited, sleep(30_000)]);
  }

  kill(): void {
    this.child.kill("SIGKILL");
  }
}

/**
 * Polls the resident memory of processes while the measurement lasts. Not VmHWM: that holds
 * the start, where unlocking the local state with the passphrase takes memory of its own.
 */
function peakRss(pids: number[]): { stop(): number[] } {
  const peaks = pids.map(() => 0);
  const timer = setInterval(() => {
    pids.forEach((pid, i) => (peaks[i] = Math.max(peaks[i]!, memory(pid).rss || 0)));
  }, 200);
  return {
    stop() {
      clearInterval(timer);
      pids.forEach((pid, i) => (peaks[i] = Math.max(peaks[i]!, memory(pid).rss || 0)));
      return peaks;
    },
  };
}

export interface TuiOptions {
  burst: number;
  steady: number;
  steadyPerSecond: number;
  /** Where alice's process writes a V8 CPU profile (it is asked to quit at the end). */
  cpuProfileDir?: string | undefined;
}

export async function measureTui(options: TuiOptions): Promise<TuiResult> {
  const uiPath = await measureUiPath(options.burst);
  const server = await ServerProcess.start();
  const clients: ChatProcess[] = [];
  let alice: TerminalClient | undefined;
  try {
    const bob = await ChatProcess.start("bob", server.url, tempDir("bench-bob"));
    const carol = await ChatProcess.start("carol", server.url, tempDir("bench-carol"));
    clients.push(bob, carol);
    const home = tempDir("bench-alice-tui");
    const profile = cpuProfileArgs(options.cpuProfileDir).join(" ");
    alice = new TerminalClient(
      `${process.execPath} ${profile} ${BIN} chat --server ${server.url} --home ${home} alice`,
    );
    await bob.waitFor("alice joined", (e) => e.type === "member" && e.name === "alice");
    const arrivedAt = (n: number): number | undefined => {
      const index = carol.events.findIndex((e) => e.type === "message" && e.text === marker(n));
      return index < 0 ? undefined : carol.arrivals[index];
    };
    // Warm-up: the first message is on alice's screen before anything is measured.
    bob.send(marker(0));
    await alice.waitFor(0);
    const alicePid = alice.pid;
    const tuiStartRss = memory(alicePid).rss;
    const jsonStartRss = memory(carol.child.pid ?? 0).rss;
    const rss = peakRss([alicePid, carol.child.pid ?? 0]);

    // Steady rate: each message on its own, so every one is drawn.
    const screen: number[] = [];
    const arrival: number[] = [];
    const sentToScreen: number[] = [];
    let n = 1;
    for (let i = 0; i < options.steady; i++, n++) {
      const sent = Date.now();
      bob.send(marker(n));
      const shown = await alice.waitFor(n);
      const arrived = await waitValue(() => arrivedAt(n));
      screen.push(shown - arrived);
      arrival.push(arrived - sent);
      sentToScreen.push(shown - sent);
      await sleep(Math.max(0, 1000 / options.steadyPerSecond - (Date.now() - sent)));
    }

    // Burst: alice and dave (a second --json client, the baseline) are stopped while bob sends
    // the burst and carol receives it; both go on at once and catch up with all of it together,
    // as after a laptop's sleep. (Sent live, the burst would come no faster than one sender goes.)
    const dave = await ChatProcess.start("dave", server.url, tempDir("bench-dave"));
    clients.push(dave);
    await bob.waitFor("dave joined", (e) => e.type === "member" && e.name === "dave");
    const davePid = dave.child.pid ?? 0;
    const first = n;
    const last = n + options.burst - 1;
    const daveArrivedAt = (k: number): number | undefined => {
      const index = dave.events.findIndex((e) => e.type === "message" && e.text === marker(k));
      return index < 0 ? undefined : dave.arrivals[index];
    };
    process.kill(alicePid, "SIGSTOP");
    process.kill(davePid, "SIGSTOP");
    bob.child.stdin.write(Array.from({ length: options.burst }, (_, i) => `${marker(first + i)}\n`).join(""));
    const firstArrived = await waitValue(() => arrivedAt(first), 120_000);
    const lastArrived = await waitValue(() => arrivedAt(last), 300_000);
    const cpuBefore = [cpuSeconds(alicePid), cpuSeconds(davePid)];
    const resumed = Date.now();
    process.kill(alicePid, "SIGCONT");
    // script stops itself when its program is stopped; it passes the screen on once going again.
    alice.resumeTerminal();
    process.kill(davePid, "SIGCONT");
    const lastShown = await alice.waitFor(last, 120_000);
    const daveLast = await waitValue(() => daveArrivedAt(last), 120_000);
    const cpuMs = Math.max(lastShown, daveLast) - resumed;
    const cpuAfter = [cpuSeconds(alicePid), cpuSeconds(davePid)];
    const [tuiPeakRss, jsonPeakRss] = rss.stop();
    if (options.cpuProfileDir !== undefined) await alice.quit();
    const arrivalMs = lastArrived - firstArrived;
    return {
      uiPath,
      burst: options.burst,
      burstSentMs: arrivalMs,
      burstShownMs: lastShown - resumed,
      burstJsonMs: daveLast - resumed,
      shownPerSecond: options.burst / ((lastShown - resumed) / 1000),
      jsonPerSecond: options.burst / ((daveLast - resumed) / 1000),
      tuiCpu: ((cpuAfter[0]! - cpuBefore[0]!) / (cpuMs / 1000)) * 100,
      jsonCpu: ((cpuAfter[1]! - cpuBefore[1]!) / (cpuMs / 1000)) * 100,
      tuiStartRss,
      jsonStartRss,
      tuiPeakRss: tuiPeakRss!,
      jsonPeakRss: jsonPeakRss!,
      steady: options.steady,
      steadyPerSecond: options.steadyPerSecond,
      screenP50Ms: percentile(screen, 50),
      screenP99Ms: percentile(screen, 99),
      screenMaxMs: Math.max(...screen),
      arrivalP50Ms: percentile(arrival, 50),
      arrivalP99Ms: percentile(arrival, 99),
      sentToScreenP50Ms: percentile(sentToScreen, 50),
      sentToScreenP99Ms: percentile(sentToScreen, 99),
    };
  } finally {
    alice?.kill();
    await Promise.all(clients.map((c) => c.kill()));
    await server.kill();
  }
}

async function waitValue<T>(probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out");
    await sleep(2);
  }
}

/** A line for the report. */
export function tuiLines(r: TuiResult): string {
  const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;
  return [
    `  the UI alone (in-process, one message per turn of the event loop): ${r.uiPath.messages} messages on screen in ` +
      `${r.uiPath.shownMs.toFixed(0)} ms, ${r.uiPath.frames} frames, ${(r.uiPath.bytes / 1024).toFixed(0)} KiB written; ` +
      `then ${r.uiPath.steady} at 20/s: event to frame p50 ${r.uiPath.eventToFrameP50Ms.toFixed(2)} / p99 ${r.uiPath.eventToFrameP99Ms.toFixed(2)} ms`,
    `  burst of ${r.burst} waiting (sent in ${r.burstSentMs.toFixed(0)} ms): the last on the full screen ${r.burstShownMs.toFixed(0)} ms ` +
      `after going on (${r.shownPerSecond.toFixed(0)}/s), printed by a --json client in ${r.burstJsonMs.toFixed(0)} ms (${r.jsonPerSecond.toFixed(0)}/s)`,
    `  CPU during that catch-up: full screen ${r.tuiCpu.toFixed(0)} %, --json ${r.jsonCpu.toFixed(0)} % of a core; ` +
      `RSS once started / highest after: full screen ${mb(r.tuiStartRss)} / ${mb(r.tuiPeakRss)}, --json ${mb(r.jsonStartRss)} / ${mb(r.jsonPeakRss)}`,
    `  ${r.steady} messages at ${r.steadyPerSecond}/s: arrival to screen p50 ${r.screenP50Ms.toFixed(1)} / p99 ${r.screenP99Ms.toFixed(1)} / max ${r.screenMaxMs.toFixed(1)} ms ` +
      `(send to screen p50 ${r.sentToScreenP50Ms.toFixed(1)} / p99 ${r.sentToScreenP99Ms.toFixed(1)} ms; ` +
      `send to --json line p50 ${r.arrivalP50Ms.toFixed(1)} / p99 ${r.arrivalP99Ms.toFixed(1)} ms)`,
  ].join("\n");
}

const STEADY_IN_PROCESS = 100;

function messageEvent(i: number): Parameters<TuiController["event"]>[0] {
  const now = Date.now();
  return {
    type: "message",
    room: "#lobby",
    from: "bob" as UserName,
    text: `${marker(i)} a line of ordinary length, about as long as people write them in a chat`,
    id: `m${i}`,
    sentAt: now,
    serverTs: now,
    seq: i + 1,
  };
}

export interface UiPathResult {
  messages: number;
  /** From the first message handed to the UI to the frame that shows the last one. */
  shownMs: number;
  frames: number;
  /** Bytes written to the terminal for all those frames. */
  bytes: number;
  /** Then messages one at a time at 20/s: each message's event to the frame that shows it. */
  steady: number;
  eventToFrameP50Ms: number;
  eventToFrameP99Ms: number;
}

/**
 * The full-screen UI's own part, in this process: `messages` message events into the real
 * TuiController and FrameWriter (160x45), each in its own turn of the event loop as messages
 * decrypted one by one arrive, until a frame shows the last one. No client, no terminal.
 */
export async function measureUiPath(messages: number): Promise<UiPathResult> {
  const self = "alice" as UserName;
  const controller = new TuiController({
    self,
    server: "ws://127.0.0.1:7447",
    cols: COLS,
    rows: ROWS,
    client: {
      who: () => [{ name: self, online: true, fingerprint: "aaaa bbbb" }],
      joinedRooms: () => ["#lobby" as GroupId],
      history: () => Promise.resolve([]),
      rooms: () => Promise.resolve({ rooms: [], next: undefined }),
      typing: () => Promise.resolve(),
      seen: () => Promise.resolve(),
    },
    bell: false,
    ringBell: () => undefined,
    onQuit: () => undefined,
  });
  let frames = 0;
  let bytes = 0;
  let shownAt: number | undefined;
  let last = marker(messages - 1);
  const writer = new FrameWriter(controller, {
    write(frame: string) {
      frames++;
      bytes += Buffer.byteLength(frame);
      if (shownAt === undefined && frame.includes(last)) shownAt = performance.now();
    },
  });
  controller.subscribe(writer.schedule);
  controller.event({ type: "link", state: "live" });
  controller.event({ type: "room", room: "#lobby", change: "joined" });
  controller.event({
    type: "ready",
    name: self,
    fingerprint: "aaaa bbbb",
    server: "ws://127.0.0.1:7447",
    cipherSuite: "MLS_256_XWING_AES256GCM_SHA512_Ed25519",
    room: "#lobby",
  });
  await sleep(50);
  frames = 0;
  bytes = 0;
  const started = performance.now();
  for (let i = 0; i < messages; i++) {
    controller.event(messageEvent(i));
    await new Promise((resolve) => setImmediate(resolve));
  }
  while (shownAt === undefined) await sleep(1);
  const shownMs = shownAt - started;
  const burst = { frames, bytes };
  const latencies: number[] = [];
  for (let i = messages; i < messages + STEADY_IN_PROCESS; i++) {
    last = marker(i);
    shownAt = undefined;
    const at = performance.now();
    controller.event(messageEvent(i));
    while (shownAt === undefined) await new Promise((resolve) => setImmediate(resolve));
    latencies.push(shownAt - at);
    await sleep(50);
  }
  writer.stop();
  return {
    messages,
    shownMs,
    ...burst,
    steady: STEADY_IN_PROCESS,
    eventToFrameP50Ms: percentile(latencies, 50),
    eventToFrameP99Ms: percentile(latencies, 99),
  };
}
