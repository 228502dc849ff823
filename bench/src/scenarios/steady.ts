/**
 * Steady load: a fixed rate of messages (default 1,000/s, split over 4 senders, open loop)
 * into a room of 100 members. Latency percentiles and CPU at that rate.
 */
import type { ServerKind } from "../load/worker.js";
import { memory, sleep } from "../procs.js";
import { histogramPercentileMs } from "../stats.js";
import type { ServerOptions } from "../servers.js";
import { orderNotes, type ScenarioResult } from "./result.js";
import { SENDERS, measureWindow, openRoom } from "./room.js";

export interface SteadyOptions {
  members: number;
  messagesPerSecond: number;
  warmupMs: number;
  measureMs: number;
  receiverWorkers: number;
  acks: boolean;
  server?: ServerOptions | undefined;
}

export async function steady(kind: ServerKind, options: SteadyOptions): Promise<ScenarioResult> {
  const room = await openRoom(kind, options.members, {
    receiverWorkers: options.receiverWorkers,
    acks: options.acks,
    server: options.server,
  });
  const { server, generator } = room;
  try {
    await generator.call(0, { cmd: "start", mode: "rate", perSenderPerSecond: options.messagesPerSecond / SENDERS });
    await sleep(options.warmupMs);
    const { totals, serverCpu, workerCpu, machineBusy, measureFromUs, measureToUs } = await measureWindow(
      room,
      options.measureMs,
    );
    await generator.call(0, { cmd: "stop" });
    const seconds = totals.elapsedMs / 1000;
    const order: Record<string, number> =
      kind === "secure-chat" ? { misorderedDeliveries: totals.misorderedTotal } : {};
    return {
      scenario: `steady-${options.members}`,
      server: kind,
      metrics: {
        messagesPerSecond: totals.sent / seconds,
        ackedPerSecond: totals.acked / seconds,
        deliveriesPerSecond: totals.deliveriesPerSecond,
        p50Ms: histogramPercentileMs(totals.histogram, 50),
        p99Ms: histogramPercentileMs(totals.histogram, 99),
        p999Ms: histogramPercentileMs(totals.histogram, 99.9),
        serverCpu,
        generatorCpu: workerCpu.reduce((a, b) => a + b, 0),
        generatorMaxWorkerCpu: Math.max(...workerCpu),
        machineCpu: machineBusy,
        peakRssMB: memory(server.pid).peak / 2 ** 20,
        measureFromUs,
        measureToUs,
        ...order,
      },
      notes: orderNotes(totals.misorderedTotal),
    };
  } finally {
    await room.close();
  }
}
