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
  /** Pause before measuring RSS (after start and after each half). */
  pauseMs: number;
  /** Time allowed for connecting; connections not started by then are left out (and reported). */
  budgetMs: number;
  server?: ServerOptions | undefined;
}

export async function connections(kind: ServerKind, options: ConnectionsOptions): Promise<ScenarioResult> {
  const server = await startServer(kind, options.server);
  const generator = Generator.start(options.workers);
  try {
    const users = benchUsers("c", options.count);
    await sleep(options.pauseMs * 2);
    const before = memory(server.pid).rss;
    const cpu = new CpuMeter([server.pid]);
    const started = performance.now();
    const measureFromUs = monotonicUs();
    // Two halves: the RSS growth over the second half is the marginal cost of a connection,
    // without the server's one-off growth (heap, SQLite cache) that the first half absorbs.
    let connected = 0;
    let skipped = 0;
    let failed = 0;
    let firstError: string | undefined;
    const rssAt: number[] = [];
    const connectedAt: number[] = [];
    for (const half of [users.slice(0, users.length / 2), users.slice(users.length / 2)]) {
      const result = await generator.connect(kind, { host: server.host, port: server.port }, half, {
        sender: false,
        room: undefined,
        workers: Array.from({ length: options.workers }, (_, i) => i),
        // ngircd slows down sharply with hundreds of registrations in flight; 4 x 8 is quick.
        concurrency: 8,
        budgetMs: options.budgetMs / 2,
        tolerateFailures: true,
      });
      connected += result.connected;
      skipped += result.skipped;
      failed += result.failed;
      firstError ??= result.firstError;
      await generator.settle(300, 600_000);
      await sleep(options.pauseMs);
      rssAt.push(memory(server.pid).rss);
      connectedAt.push(connected);
    }
    const connectSeconds = (performance.now() - started) / 1000;
    const [connectCpu = NaN] = cpu.percent();
    const settledSeconds = connectSeconds;
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
        failed,
        bytesPerConnection: (after.rss - before) / connected,
        marginalBytesPerConnection: (rssAt[1]! - rssAt[0]!) / Math.max(1, connectedAt[1]! - connectedAt[0]!),
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
        ...(failed > 0 ? [`${failed} connections failed while connecting (${firstError})`] : []),
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
    await server.remove();
  }
}
