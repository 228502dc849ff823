/**
 * Connections: N idle connections, each logged in as its own user on secure-chat (registered
 * IRC clients on ngircd, plain connected sockets on the relay and Socket.IO). Server memory
 * per connection is (RSS with them - RSS before) / N; they are held a few seconds and must all
 * still be open at the end.
 */
import { Generator } from "../load/generator.js";
import type { ServerKind } from "../load/worker.js";
import { benchUsers } from "../mls-room.js";
import { CpuMeter, memory, sleep } from "../procs.js";
import { startServer, type ServerOptions } from "../servers.js";
import { monotonicUs, type ScenarioResult } from "./result.js";

export interface ConnectionsOptions {
  count: number;
  workers: number;
  holdMs: number;
  /** Time allowed for connecting; connections not started by then are left out (and reported). */
  budgetMs: number;
  server?: ServerOptions | undefined;
}

export async function connections(kind: ServerKind, options: ConnectionsOptions): Promise<ScenarioResult> {
  const server = await startServer(kind, options.server);
  const generator = Generator.start(options.workers);
  try {
    const users = benchUsers("c", options.count);
    await sleep(1_000);
    const before = memory(server.pid).rss;
    const cpu = new CpuMeter([server.pid]);
    const started = performance.now();
    const measureFromUs = monotonicUs();
    const { connected, skipped } = await generator.connect(kind, { host: server.host, port: server.port }, users, {
      sender: false,
      room: undefined,
      workers: Array.from({ length: options.workers }, (_, i) => i),
      concurrency: 32,
      budgetMs: options.budgetMs,
    });
    const connectSeconds = (performance.now() - started) / 1000;
    const [connectCpu = NaN] = cpu.percent();
    await generator.settle(500, 600_000);
    const settledSeconds = (performance.now() - started) / 1000;
    const measureToUs = monotonicUs();
    await sleep(options.holdMs);
    const totals = await generator.collect();
    const after = memory(server.pid);
    return {
      scenario: "connections",
      server: kind,
      metrics: {
        connections: totals.connections - totals.closed,
        attempted: options.count,
        bytesPerConnection: (after.rss - before) / connected,
        rssBeforeMB: before / 2 ** 20,
        rssAfterMB: after.rss / 2 ** 20,
        peakRssMB: after.peak / 2 ** 20,
        connectSeconds,
        settledSeconds,
        connectServerCpu: connectCpu,
        framesDuringConnect: totals.other,
        measureFromUs,
        measureToUs,
      },
      notes: [
        ...(totals.closed > 0 ? [`${totals.closed} connections dropped`] : []),
        ...(skipped > 0
          ? [
              `only ${connected} of ${options.count} connected within ${options.budgetMs / 1000} s; ${skipped} not attempted`,
            ]
          : []),
      ],
    };
  } finally {
    await generator.close();
    await server.stop();
    server.remove();
  }
}
