/**
 * The one table (scenario x server, with ratios against the bare ws relay), the client
 * cryptography table, the targets of issue 5 checked against the numbers, the JSON file and
 * docs/benchmarks.md.
 */
import type { CryptoResult } from "./crypto.js";
import type { LatencyResult } from "./latency.js";
import type { TuiResult } from "./tui.js";
import type { WebResult } from "./web.js";
import type { ServerKind } from "./load/worker.js";
import type { ScenarioResult } from "./scenarios/result.js";
import { serverLabels } from "./servers.js";

export interface BenchReport {
  at: string;
  quick: boolean;
  machine: Record<string, string>;
  /** How the server made acknowledged messages durable (SQLite settings). */
  durability: string;
  durationSeconds: number;
  servers: ServerKind[];
  scenarios: ScenarioResult[];
  crypto: CryptoResult[];
  latency: LatencyResult[];
  /** The full-screen client in a pseudo-terminal (issue 19.1), when measured. */
  tui?: TuiResult | undefined;
  /** The browser client in chromium (issue 16), when measured. */
  web?: WebResult | undefined;
  targets: Target[];
}

export interface Target {
  target: string;
  value: string;
  met: boolean | undefined;
}

const nf = (digits: number) => new Intl.NumberFormat("en-US", { maximumFractionDigits: digits });

function compact(n: number): string {
  if (!Number.isFinite(n)) return "n/a";
  if (n >= 1e6) return `${nf(2).format(n / 1e6)}M`;
  if (n >= 1e4) return `${nf(0).format(n / 1e3)}k`;
  if (n >= 100) return nf(0).format(n);
  return nf(n >= 10 ? 1 : 2).format(n);
}

function find(results: ScenarioResult[], scenario: string, server: ServerKind): ScenarioResult | undefined {
  return results.find((r) => r.scenario === scenario && r.server === server);
}

interface Row {
  label: string;
  scenario: string;
  cell(r: ScenarioResult): string;
  /** Metric to compare with the relay's (higher is better unless noted). */
  ratio?: (r: ScenarioResult) => number;
}

function pair(a: number, b: number, digits = 1): string {
  return `${Number.isFinite(a) ? a.toFixed(digits) : "n/a"} / ${Number.isFinite(b) ? b.toFixed(digits) : "n/a"}`;
}

/** CPU of the server, of the generator (all its processes) and of the whole machine (of 200). */
function cpuCell(r: ScenarioResult): string {
  const m = r.metrics;
  return `${pair(m.serverCpu ?? NaN, m.generatorCpu ?? NaN, 0)} / ${Number.isFinite(m.machineCpu ?? NaN) ? (m.machineCpu ?? 0).toFixed(0) : "n/a"}`;
}

function rowsFor(results: ScenarioResult[]): Row[] {
  const rows: Row[] = [];
  const fanouts = [...new Set(results.map((r) => r.scenario).filter((s) => s.startsWith("fanout-")))];
  for (const scenario of fanouts) {
    const members = nf(0).format(Number(scenario.slice("fanout-".length)));
    rows.push(
      {
        label: `Fan-out, ${members} members: deliveries/s`,
        scenario,
        cell: (r) => compact(r.metrics.deliveriesPerSecond ?? NaN),
        ratio: (r) => r.metrics.deliveriesPerSecond ?? NaN,
      },
      {
        label: `Fan-out, ${members}: messages/s acknowledged`,
        scenario,
        cell: (r) => compact(r.metrics.messagesPerSecond ?? NaN),
      },
      {
        label: `Fan-out, ${members}: latency p50 / p99 ms`,
        scenario,
        cell: (r) => pair(r.metrics.p50Ms ?? NaN, r.metrics.p99Ms ?? NaN),
      },
      {
        label: `Fan-out, ${members}: CPU % server / generator / machine`,
        scenario,
        cell: cpuCell,
      },
      {
        label: `Fan-out, ${members}: peak server RSS MB`,
        scenario,
        cell: (r) => compact(r.metrics.peakRssMB ?? NaN),
      },
    );
  }
  const steady = results.find((r) => r.scenario.startsWith("steady-"))?.scenario;
  if (steady !== undefined) {
    rows.push(
      {
        label: "Steady 1,000 msg/s, 100 members: msg/s sent",
        scenario: steady,
        cell: (r) => compact(r.metrics.messagesPerSecond ?? NaN),
      },
      {
        label: "Steady: latency p50 / p99 ms",
        scenario: steady,
        cell: (r) => pair(r.metrics.p50Ms ?? NaN, r.metrics.p99Ms ?? NaN),
      },
      {
        label: "Steady: CPU % server / generator / machine",
        scenario: steady,
        cell: cpuCell,
      },
      { label: "Steady: peak server RSS MB", scenario: steady, cell: (r) => compact(r.metrics.peakRssMB ?? NaN) },
    );
  }
  if (results.some((r) => r.scenario === "connections")) {
    const count = results.find((r) => r.scenario === "connections")?.metrics.attempted ?? 0;
    rows.push(
      {
        label: `Connections (${nf(0).format(count)} idle): KB per connection`,
        scenario: "connections",
        cell: (r) => nf(1).format((r.metrics.bytesPerConnection ?? NaN) / 1024),
      },
      {
        label: "Connections: KB per connection, 2nd half only",
        scenario: "connections",
        cell: (r) => nf(1).format((r.metrics.marginalBytesPerConnection ?? NaN) / 1024),
      },
      {
        label: "Connections: held / seconds to connect them",
        scenario: "connections",
        cell: (r) => `${nf(0).format(r.metrics.connections ?? 0)} / ${nf(1).format(r.metrics.settledSeconds ?? NaN)}`,
      },
      {
        label: "Connections: peak server RSS MB",
        scenario: "connections",
        cell: (r) => compact(r.metrics.peakRssMB ?? NaN),
      },
    );
  }
  const catchup = results.find((r) => r.scenario === "catchup");
  if (catchup !== undefined) {
    rows.push(
      {
        label: `Catch-up of ${nf(0).format(catchup.metrics.messages ?? 0)} messages: ms`,
        scenario: "catchup",
        cell: (r) => nf(0).format(r.metrics.catchUpMs ?? NaN),
      },
      { label: "Catch-up: peak server RSS MB", scenario: "catchup", cell: (r) => compact(r.metrics.peakRssMB ?? NaN) },
    );
  }
  return rows;
}

/** The scenario table as Markdown (also readable in a terminal). */
export function scenarioTable(results: ScenarioResult[], servers: ServerKind[]): string {
  const header = ["scenario", ...servers.map((s) => serverLabels[s])];
  const lines: string[][] = [];
  for (const row of rowsFor(results)) {
    const relay = find(results, row.scenario, "ws-relay");
    lines.push([
      row.label,
      ...servers.map((server) => {
        const r = find(results, row.scenario, server);
        if (r === undefined) return row.scenario === "catchup" ? "n/a (no storage)" : "-";
        let cell = row.cell(r);
        if (row.ratio !== undefined && relay !== undefined && server !== "ws-relay") {
          cell += ` (${(row.ratio(r) / row.ratio(relay)).toFixed(2)}x)`;
        }
        return cell;
      }),
    ]);
  }
  return markdown(header, lines, [false, ...servers.map(() => true)]);
}

function markdown(header: string[], rows: string[][], right: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const fmt = (cells: string[]): string =>
    `| ${cells.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(" | ")} |`;
  const rule = `| ${widths.map((w, i) => (right[i] ? `${"-".repeat(w - 1)}:` : "-".repeat(w))).join(" | ")} |`;
  return [fmt(header), rule, ...rows.map(fmt)].join("\n");
}

export function cryptoTable(results: CryptoResult[]): string {
  const f = (n: number): string => (n >= 100 ? nf(0).format(n) : n.toFixed(1));
  return markdown(
    [
      "suite",
      "members",
      "KeyPackage ms",
      "KP bytes",
      "encrypt ms",
      "decrypt ms",
      "add commit ms",
      "commit bytes",
      "Welcome bytes",
      "update commit ms",
      "process commit ms",
      "Welcome join ms",
      "external join ms",
    ],
    results.map((r) => [
      r.suite.startsWith("MLS_256_XWING") ? "xwing" : "x25519",
      nf(0).format(r.members),
      f(r.keyPackageMs),
      nf(0).format(r.keyPackageBytes),
      f(r.encryptMs),
      f(r.decryptMs),
      f(r.addCommitMs),
      nf(0).format(r.addCommitBytes),
      nf(0).format(r.welcomeBytes),
      f(r.updateCommitMs),
      f(r.processCommitMs),
      f(r.welcomeJoinMs),
      f(r.externalJoinMs),
    ]),
    [false, ...Array.from({ length: 12 }, () => true)],
  );
}

export function latencyLines(results: LatencyResult[]): string {
  return results
    .map(
      (r) =>
        `- ${r.suite}: p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, max ${r.maxMs.toFixed(1)} ms (${r.messages} messages)`,
    )
    .join("\n");
}

/** The targets of issue 5, checked against this run. */
export function checkTargets(
  results: ScenarioResult[],
  durability: string,
  tui?: TuiResult,
  web?: WebResult,
): Target[] {
  const targets: Target[] = [];
  for (const scenario of [...new Set(results.map((r) => r.scenario).filter((s) => s.startsWith("fanout-")))]) {
    const ours = find(results, scenario, "secure-chat")?.metrics.deliveriesPerSecond;
    const relay = find(results, scenario, "ws-relay")?.metrics.deliveriesPerSecond;
    const ratio = ours !== undefined && relay !== undefined ? ours / relay : NaN;
    targets.push({
      target: `fan-out ${scenario.slice(7)} members >= 0.8x the bare relay's deliveries/s`,
      // Three decimals: 0.7987 must not read as a met "0.80x".
      value: `${compact(ours ?? NaN)} vs ${compact(relay ?? NaN)} = ${ratio.toFixed(3)}x`,
      met: Number.isFinite(ratio) ? ratio >= 0.8 : undefined,
    });
  }
  const steady = results.find((r) => r.scenario.startsWith("steady-") && r.server === "secure-chat");
  if (steady !== undefined) {
    targets.push({
      target: "p99 <= 5 ms at 1,000 msg/s into 100 members",
      value: `p99 ${steady.metrics.p99Ms?.toFixed(1)} ms (p50 ${steady.metrics.p50Ms?.toFixed(1)} ms) at ${compact(steady.metrics.messagesPerSecond ?? NaN)} msg/s sent, ${compact(steady.metrics.ackedPerSecond ?? NaN)} acked/s`,
      met: (steady.metrics.p99Ms ?? Infinity) <= 5 && (steady.metrics.ackedPerSecond ?? 0) >= 950,
    });
  }
  const conn = find(results, "connections", "secure-chat");
  if (conn !== undefined) {
    const kb = (conn.metrics.bytesPerConnection ?? NaN) / 1024;
    targets.push({
      target: "<= 10 KB of server memory per idle authenticated connection",
      value: `${kb.toFixed(1)} KB on average over ${nf(0).format(conn.metrics.connections ?? 0)} connections; ${((conn.metrics.marginalBytesPerConnection ?? NaN) / 1024).toFixed(1)} KB each over the second half`,
      met: kb <= 10,
    });
    targets.push({
      target: "10,000 connections held",
      value: `${nf(0).format(conn.metrics.connections ?? 0)} held (connected in ${nf(1).format(conn.metrics.settledSeconds ?? NaN)} s)`,
      met: (conn.metrics.attempted ?? 0) < 10_000 ? undefined : (conn.metrics.connections ?? 0) >= 10_000,
    });
  }
  const catchup = find(results, "catchup", "secure-chat");
  if (catchup !== undefined) {
    targets.push({
      target: "catch-up of 10,000 messages in under 1 s",
      value: `${nf(0).format(catchup.metrics.received ?? 0)} of ${nf(0).format(catchup.metrics.messages ?? 0)} in ${nf(0).format(catchup.metrics.catchUpMs ?? NaN)} ms`,
      met: (catchup.metrics.messages ?? 0) < 10_000 ? undefined : (catchup.metrics.catchUpMs ?? Infinity) < 1000,
    });
  }
  const durable = results.filter((r) => r.server === "secure-chat" && r.metrics.storedMessages !== undefined);
  if (durable.length > 0) {
    const ok = durable.every((r) => (r.metrics.storedMessages ?? 0) >= (r.metrics.ackedTotal ?? Infinity));
    targets.push({
      target: "every acknowledged message durable",
      value: `${durable.map((r) => `${r.scenario}: ${nf(0).format(r.metrics.ackedTotal ?? 0)} acked, ${nf(0).format(r.metrics.storedMessages ?? 0)} in the database`).join("; ")}; SQLite: ${durability}`,
      met: ok,
    });
  }
  const ordered = results.filter((r) => r.server === "secure-chat" && r.metrics.misorderedDeliveries !== undefined);
  if (ordered.length > 0) {
    targets.push({
      target: "(check) no delivery a client would drop: none duplicated or below a seq already seen",
      value: ordered.map((r) => `${r.scenario}: ${nf(0).format(r.metrics.misorderedDeliveries ?? 0)}`).join("; "),
      met: ordered.every((r) => r.metrics.misorderedDeliveries === 0),
    });
  }
  if (tui !== undefined) {
    const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;
    targets.push(
      {
        target: "full screen: a burst of 1,000 messages shown in under 1 s (the UI's part, in-process)",
        value: `${nf(0).format(tui.uiPath.messages)} on screen in ${nf(0).format(tui.uiPath.shownMs)} ms (${tui.uiPath.frames} frames)`,
        met: tui.uiPath.messages < 1_000 ? undefined : tui.uiPath.shownMs < 1000,
      },
      {
        target: "(check) full screen: a 1,000-message catch-up shown no later than a --json client prints it",
        value: `the last on screen ${nf(0).format(tui.burstShownMs)} ms after the client went on; a --json client's line after ${nf(0).format(tui.burstJsonMs)} ms`,
        met: tui.burst < 1_000 ? undefined : tui.burstShownMs <= tui.burstJsonMs,
      },
      {
        target: "full screen: arrival to screen p99 under 20 ms at a normal rate",
        value:
          `the UI's part (message event to its frame, in-process, ${tui.uiPath.steady} at 20/s): p99 ${tui.uiPath.eventToFrameP99Ms.toFixed(2)} ms; ` +
          `in the pseudo-terminal, its screen minus a --json client's line for the same message (two processes, so noisy): ` +
          `p99 ${tui.screenP99Ms.toFixed(1)} ms (p50 ${tui.screenP50Ms.toFixed(1)} ms) over ${tui.steady} at ${tui.steadyPerSecond}/s`,
        met: tui.uiPath.eventToFrameP99Ms < 20 && tui.screenP99Ms < 20,
      },
      {
        target: "full screen: under 120 MB of memory",
        value: `RSS at most ${mb(tui.tuiPeakRss)} after the start (the --json client's ${mb(tui.jsonPeakRss)})`,
        met: tui.tuiPeakRss < 120 * 2 ** 20,
      },
    );
  }
  if (web !== undefined) {
    targets.push(
      {
        target: "browser: first paint of a warm reload under 300 ms",
        value: `p50 ${web.firstPaintP50Ms.toFixed(0)} ms, max ${web.firstPaintMaxMs.toFixed(0)} ms over ${web.reloads} reloads`,
        met: web.firstPaintMaxMs < 300,
      },
      {
        target: "browser: typing never lags while messages arrive (key press to next frame p99 under 50 ms)",
        value: `p99 ${web.keyToFrameP99Ms.toFixed(1)} ms over ${web.keys} keys at 20 messages/s`,
        met: web.keyToFrameP99Ms < 50,
      },
    );
  }
  return targets;
}

export function targetLines(targets: Target[]): string {
  return targets
    .map((t) => `- ${t.met === undefined ? "n/a in this run" : t.met ? "MET" : "MISSED"}: ${t.target}: ${t.value}`)
    .join("\n");
}

export function machineLine(machine: Record<string, string>): string {
  return Object.entries(machine)
    .map(([k, v]) => `${k}: ${v}`)
    .join("; ");
}
