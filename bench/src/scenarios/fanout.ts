/**
 * Fan-out: one room of N members, 4 senders sending as fast as acknowledgements allow
 * (`window` messages unacknowledged each), ~200-byte ciphertext payloads. Deliveries per
 * second summed over receivers, latency from the sender's send to the receiver's arrival,
 * CPU of the server and of the generator, peak server memory. For secure-chat, the database
 * is then checked to hold every acknowledged message.
 */
import type { ServerKind } from "../load/worker.js";
import { memory, sleep } from "../procs.js";
import type { ServerOptions } from "../servers.js";
import { histogramPercentileMs } from "../stats.js";
import { orderNotes, type ScenarioResult } from "./result.js";
import { measureWindow, openRoom } from "./room.js";

export interface FanOutOptions {
  warmupMs: number;
  measureMs: number;
  window: number;
  receiverWorkers: number;
  /** Receivers send `ack {seq}` like the real client (off only for diagnosis). */
  acks: boolean;
  server?: ServerOptions | undefined;
}

export async function fanOut(kind: ServerKind, members: number, options: FanOutOptions): Promise<ScenarioResult> {
  const room = await openRoom(kind, members, {
    receiverWorkers: options.receiverWorkers,
    acks: options.acks,
    server: options.server,
  });
  const { server, generator } = room;
  const notes: string[] = [];
  try {
    await generator.call(0, { cmd: "start", mode: "flood", window: options.window });
    await sleep(options.warmupMs);
    const { totals, serverCpu, workerCpu, machineBusy, measureFromUs, measureToUs } = await measureWindow(
      room,
      options.measureMs,
    );
    await generator.call(0, { cmd: "stop" });
    await generator.settle(300, 30_000);
    const after = await generator.collect();
    const peak = memory(server.pid).peak;
    const metrics: Record<string, number> = {
      deliveriesPerSecond: totals.deliveriesPerSecond,
      messagesPerSecond: totals.acked / (totals.elapsedMs / 1000),
      p50Ms: histogramPercentileMs(totals.histogram, 50),
      p99Ms: histogramPercentileMs(totals.histogram, 99),
      serverCpu,
      generatorCpu: workerCpu.reduce((a, b) => a + b, 0),
      generatorMaxWorkerCpu: Math.max(...workerCpu),
      machineCpu: machineBusy,
      peakRssMB: peak / 2 ** 20,
      setupSeconds: room.setupMs / 1000,
      droppedConnections: after.closed,
      measureFromUs,
      measureToUs,
    };
    if (after.closed > 0) notes.push(`${after.closed} connections were closed during the run`);
    await generator.close();
    await server.stop();
    if (kind === "secure-chat") {
      metrics.ackedTotal = after.ackedTotal;
      metrics.misorderedDeliveries = after.misorderedTotal;
      notes.push(...orderNotes(after.misorderedTotal));
      metrics.storedMessages = await server.storedMessages();
      if (metrics.storedMessages < after.ackedTotal) {
        notes.push(`DURABILITY: ${after.ackedTotal} acknowledged but ${metrics.storedMessages} stored`);
      }
    }
    return { scenario: `fanout-${members}`, server: kind, metrics, notes };
  } finally {
    await room.close();
  }
}
