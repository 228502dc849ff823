/**
 * `npm run bench [-- --quick] [-- options]`: server scenarios on secure-chat and on reference
 * servers measured in the same run (a bare ws relay, Socket.IO 4, ngircd), client MLS costs
 * per cipher suite, and end-to-end latency with the real client processes. Prints one table,
 * writes bench-results/latest.json and, after a full run, docs/benchmarks.md.
 *
 * Options (for diagnosis): --only=fanout,steady,connections,catchup,crypto,latency,tui,web
 * --servers=secure-chat,ws-relay,socketio,ngircd  --rooms=100,1000  --measure=SECONDS
 * --connections=N  --connect-budget=SECONDS  --catchup=N  --window=N  --no-acks  --cpu-prof
 * (the secure-chat server and the ws relay write a V8 CPU profile per scenario to
 * bench-results/profiles/SCENARIO/SERVER, their rooms' generator workers to .../generator:
 * `node bench/dist/profile-summary.js FILE 15 FROM_US TO_US` with the window from the metrics)
 * --no-docs  --report-only (render bench-results/latest.json again, without measuring).
 */
import { execSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cpus, totalmem } from "node:os";
import { cipherSuites } from "@secure-chat/protocol";
import { SQLITE_DURABILITY } from "@secure-chat/server";
import { measureSuite, type CryptoResult } from "./crypto.js";
import { measureLatency, type LatencyResult } from "./latency.js";
import { measureTui, tuiLines, type TuiResult } from "./tui.js";
import { measureWeb, webLines, type WebResult } from "./web.js";
import type { ServerKind } from "./load/worker.js";
import { killAll } from "./procs.js";
import { formatSummary, readProfile, summarise } from "./profile-summary.js";
import {
  checkTargets,
  cryptoTable,
  latencyLines,
  machineLine,
  scenarioTable,
  targetLines,
  type BenchReport,
} from "./report.js";
import { catchUp } from "./scenarios/catchup.js";
import { connections } from "./scenarios/connections.js";
import { fanOut } from "./scenarios/fanout.js";
import type { ScenarioResult } from "./scenarios/result.js";
import { steady } from "./scenarios/steady.js";
import { writeBenchmarksDoc } from "./docs.js";
import { serverAvailable, serverKinds, type ServerOptions } from "./servers.js";

const knownOptions = ["only", "servers", "rooms", "measure", "connections", "connect-budget", "catchup", "window"];
const knownFlags = ["quick", "no-acks", "cpu-prof", "no-docs", "report-only"];
// A mistyped option must not silently start a 10-minute full run.
for (const arg of process.argv.slice(2)) {
  const name = /^--([a-z-]+)(=|$)/.exec(arg);
  const known = name !== null && (name[2] === "=" ? knownOptions : knownFlags).includes(name[1]!);
  if (!known) {
    process.stderr.write(`bench: unknown option ${arg}; see the options at the top of bench/src/main.ts\n`);
    process.exit(2);
  }
}

function option(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);

const quick = flag("quick");
const only = option("only")?.split(",");
const wants = (part: string): boolean => only === undefined || only.includes(part);
const settings = {
  rooms: (option("rooms") ?? (quick ? "100" : "100,1000")).split(",").map(Number),
  warmupMs: quick ? 300 : 2_000,
  measureMs: Number(option("measure") ?? (quick ? 1 : 8)) * 1000,
  window: Number(option("window") ?? 16),
  connections: Number(option("connections") ?? (quick ? 500 : 10_000)),
  catchup: Number(option("catchup") ?? (quick ? 1_000 : 10_000)),
  cryptoSizes: quick ? [10] : [10, 100, 1000],
  cryptoRuns: quick ? 3 : 20,
  latencyMessages: quick ? 10 : 200,
  tuiBurst: 1_000,
  tuiSteady: quick ? 50 : 200,
  webReloads: quick ? 3 : 10,
  webTypingMessages: quick ? 40 : 100,
  receiverWorkers: quick ? 1 : 2,
  acks: !flag("no-acks"),
  cpuProfileDir: flag("cpu-prof") ? "bench-results/profiles" : undefined,
};

function log(line: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

function machine(): Record<string, string> {
  const release = (() => {
    try {
      return execSync("grep PRETTY_NAME /etc/os-release", { encoding: "utf8" }).split("=")[1]?.replace(/"/g, "").trim();
    } catch {
      return undefined;
    }
  })();
  return {
    cpus: `${cpus().length} x ${cpus()[0]?.model ?? "unknown"}`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    os: release ?? process.platform,
    kernel: execSync("uname -r", { encoding: "utf8" }).trim(),
  };
}

/** The servers --cpu-prof profiles: the Node ones whose profiles are compared. */
const profiled = (kind: ServerKind): boolean => kind === "secure-chat" || kind === "ws-relay";

/** Server options for one scenario: with --cpu-prof, the server writes a profile into its own folder. */
function serverOptions(kind: ServerKind, scenario: string): ServerOptions | undefined {
  if (settings.cpuProfileDir === undefined || !profiled(kind)) return undefined;
  const dir = join(settings.cpuProfileDir, scenario, kind);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return { cpuProfileDir: dir };
}

/** The top functions of a scenario's profile, inside its measured window. */
function profileOf(result: ScenarioResult): string[] | undefined {
  if (settings.cpuProfileDir === undefined || !profiled(result.server)) return undefined;
  const dir = join(settings.cpuProfileDir, result.scenario, result.server);
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (file === undefined) return undefined;
  const { measureFromUs, measureToUs } = result.metrics;
  const window =
    measureFromUs !== undefined && measureToUs !== undefined ? { fromUs: measureFromUs, toUs: measureToUs } : undefined;
  return [
    `${join(dir, file)}, measured window only:`,
    ...formatSummary(summarise(readProfile(join(dir, file)), 15, window)),
  ];
}

async function attempt(what: string, run: () => Promise<ScenarioResult>, into: ScenarioResult[]): Promise<void> {
  log(`${what}...`);
  const started = performance.now();
  try {
    const result = await run();
    result.profile = profileOf(result);
    if (result.profile !== undefined) log(`${what}: CPU profile\n${result.profile.join("\n")}`);
    into.push(result);
    log(`${what}: ${JSON.stringify(result.metrics)} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    for (const note of result.notes) log(`${what}: NOTE ${note}`);
  } catch (error) {
    log(`${what}: FAILED ${(error as Error).stack ?? String(error)}`);
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const requested = (option("servers")?.split(",") as ServerKind[] | undefined) ?? serverKinds;
  const servers = requested.filter((kind) => {
    const ok = serverAvailable(kind);
    if (!ok) log(`${kind}: not available, skipped`);
    return ok;
  });
  const scenarios: ScenarioResult[] = [];
  if (settings.cpuProfileDir !== undefined) mkdirSync(settings.cpuProfileDir, { recursive: true });

  if (wants("fanout")) {
    for (const members of settings.rooms) {
      for (const kind of servers) {
        await attempt(
          `fan-out ${members} on ${kind}`,
          () =>
            fanOut(kind, members, {
              warmupMs: settings.warmupMs,
              measureMs: settings.measureMs,
              window: settings.window,
              receiverWorkers: settings.receiverWorkers,
              acks: settings.acks,
              server: serverOptions(kind, `fanout-${members}`),
            }),
          scenarios,
        );
      }
    }
  }
  if (wants("steady")) {
    for (const kind of servers) {
      await attempt(
        `steady 1,000 msg/s into 100 on ${kind}`,
        () =>
          steady(kind, {
            members: 100,
            messagesPerSecond: 1_000,
            warmupMs: settings.warmupMs,
            measureMs: settings.measureMs,
            receiverWorkers: settings.receiverWorkers,
            acks: settings.acks,
            server: serverOptions(kind, "steady-100"),
          }),
        scenarios,
      );
    }
  }
  if (wants("connections")) {
    // --quick: only secure-chat and the relay it is compared with, to stay under a minute.
    for (const kind of servers.filter((k) => !quick || k === "secure-chat" || k === "ws-relay")) {
      await attempt(
        `${settings.connections} connections on ${kind}`,
        () =>
          connections(kind, {
            count: settings.connections,
            workers: 4,
            holdMs: quick ? 0 : 3_000,
            pauseMs: quick ? 100 : 500,
            budgetMs: Number(option("connect-budget") ?? (quick ? 3 : 120)) * 1000,
            server: serverOptions(kind, "connections"),
          }),
        scenarios,
      );
    }
  }
  if (wants("catchup") && servers.includes("secure-chat")) {
    await attempt(
      `catch-up of ${settings.catchup}`,
      () => catchUp(settings.catchup, serverOptions("secure-chat", "catchup")),
      scenarios,
    );
  }

  const crypto: CryptoResult[] = [];
  if (wants("crypto")) {
    for (const [key, suite] of Object.entries(cipherSuites)) {
      for (const size of settings.cryptoSizes) {
        log(`crypto: ${key}, ${size} members...`);
        crypto.push(await measureSuite(suite, size, settings.cryptoRuns));
      }
    }
  }
  const latency: LatencyResult[] = [];
  if (wants("latency")) {
    for (const key of Object.keys(cipherSuites) as ("xwing" | "x25519")[]) {
      log(`end-to-end latency with real clients: ${key}...`);
      latency.push(await measureLatency(key, settings.latencyMessages));
    }
  }

  let tui: TuiResult | undefined;
  if (wants("tui")) {
    log("the full-screen client in a pseudo-terminal...");
    try {
      const cpuProfileDir = settings.cpuProfileDir === undefined ? undefined : join(settings.cpuProfileDir, "tui");
      if (cpuProfileDir !== undefined) mkdirSync(cpuProfileDir, { recursive: true });
      tui = await measureTui({
        burst: settings.tuiBurst,
        steady: settings.tuiSteady,
        steadyPerSecond: 10,
        cpuProfileDir,
      });
      log(`full-screen client: ${JSON.stringify(tui)}`);
    } catch (error) {
      log(`full-screen client: FAILED ${(error as Error).stack ?? String(error)}`);
    }
  }

  let web: WebResult | undefined;
  if (wants("web")) {
    log("the browser client in chromium...");
    try {
      web = await measureWeb({ reloads: settings.webReloads, typingMessages: settings.webTypingMessages });
      log(`browser client: ${JSON.stringify(web)}`);
    } catch (error) {
      log(`browser client: FAILED ${(error as Error).stack ?? String(error)}`);
    }
  }

  const report: BenchReport = {
    at: new Date().toISOString(),
    quick,
    machine: machine(),
    durability: SQLITE_DURABILITY,
    durationSeconds: (performance.now() - started) / 1000,
    servers,
    scenarios,
    crypto,
    latency,
    tui,
    web,
    targets: checkTargets(scenarios, SQLITE_DURABILITY, tui, web),
  };
  mkdirSync("bench-results", { recursive: true });
  writeFileSync("bench-results/latest.json", JSON.stringify(report, null, 2));
  render(report, !quick && only === undefined && !flag("no-docs"));
}

/** Prints the tables and, for a full run, rewrites docs/benchmarks.md. */
function render(report: BenchReport, docs: boolean): void {
  const { scenarios, servers, crypto, latency, tui, web } = report;
  const text = [
    `secure-chat bench (${report.quick ? "quick" : "full"}), ${machineLine(report.machine)}`,
    `SQLite: ${report.durability}; generator and servers share this machine: compare ratios, not absolutes.`,
    "",
    scenarioTable(scenarios, servers),
    "",
    crypto.length > 0 ? `Client MLS costs (median ms; sizes in bytes)\n\n${cryptoTable(crypto)}\n` : "",
    latency.length > 0
      ? `End-to-end latency, real client processes, 1 sender -> 2 receivers:\n${latencyLines(latency)}\n`
      : "",
    tui !== undefined
      ? `Full-screen client in a pseudo-terminal (vs a --json client of the same room):\n${tuiLines(tui)}\n`
      : "",
    web !== undefined ? `Browser client in chromium:\n${webLines(web)}\n` : "",
    report.targets.length > 0 ? `Targets (issues 5, 16 and 19):\n${targetLines(report.targets)}` : "",
    `\n(${report.durationSeconds.toFixed(0)} s)`,
  ].join("\n");
  console.log(text);
  if (docs) writeBenchmarksDoc(report);
}

/** --report-only: render bench-results/latest.json again (after a change to the report code). */
function renderSaved(): void {
  const report = JSON.parse(readFileSync("bench-results/latest.json", "utf8")) as BenchReport;
  report.targets = checkTargets(report.scenarios, report.durability, report.tui, report.web);
  render(report, !report.quick && !flag("no-docs"));
}

try {
  if (flag("report-only")) renderSaved();
  else await main();
} finally {
  killAll();
}
