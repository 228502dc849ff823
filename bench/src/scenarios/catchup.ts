/**
 * Catch-up (secure-chat only; the references store nothing): a member goes offline, N messages
 * are sent to the room and acknowledged, then the member reconnects. Time from the start of
 * the reconnection (TCP connect, upgrade, login) until all N have arrived.
 */
import { Generator } from "../load/generator.js";
import { memory } from "../procs.js";
import { startServer, type ServerOptions } from "../servers.js";
import { applicationMessage, benchUsers, planRoom } from "../mls-room.js";
import { monotonicUs, orderNotes, type ScenarioResult } from "./result.js";
import { PAYLOAD_BYTES, createGroup } from "./room.js";

export async function catchUp(messages: number, serverOptions?: ServerOptions): Promise<ScenarioResult> {
  const [sender, reader] = benchUsers("cu", 2) as [
    ReturnType<typeof benchUsers>[number],
    ReturnType<typeof benchUsers>[number],
  ];
  const plan = await planRoom("+catchup", [sender, reader], 1);
  const server = await startServer("secure-chat", serverOptions);
  // worker 0: the sender; worker 1: the reader's first session; worker 2: its reconnection.
  const generator = Generator.start(3);
  try {
    const url = { host: server.host, port: server.port };
    await generator.connect("secure-chat", url, [sender], {
      sender: true,
      room: undefined,
      workers: [0],
      concurrency: 1,
    });
    await generator.connect("secure-chat", url, [reader], {
      sender: false,
      room: undefined,
      workers: [1],
      concurrency: 1,
    });
    await createGroup(generator, sender.name, plan);
    await generator.settle(); // the reader acknowledges the Welcome and the commit
    await generator.call(1, { cmd: "close" }); // the reader goes offline
    await generator.call(0, {
      cmd: "message",
      groupId: plan.groupId,
      mls: applicationMessage(plan.groupId, plan.epoch, PAYLOAD_BYTES),
      size: PAYLOAD_BYTES,
    });
    const fillStarted = performance.now();
    await generator.call(0, { cmd: "start", mode: "flood", window: 16, limit: messages });
    for (;;) {
      const part = await generator.call<{ acked: number }>(0, { cmd: "collect" });
      if (part.acked >= messages) break;
      if (performance.now() - fillStarted > 300_000) throw new Error(`only ${part.acked} of ${messages} stored`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const fillSeconds = (performance.now() - fillStarted) / 1000;
    await generator.call(2, { cmd: "reset" });
    const measureFromUs = monotonicUs();
    await generator.connect("secure-chat", url, [reader], {
      sender: false,
      room: undefined,
      workers: [2],
      concurrency: 1,
    });
    const done = await generator.call<{ ms: number; deliveries: number }>(2, {
      cmd: "waitDeliveries",
      count: messages,
      timeoutMs: 120_000,
    });
    const measureToUs = monotonicUs();
    // Nothing is sent while it catches up, so not even the duplicates the overlap of catch-up
    // and live delivery may cause (and the client skips) are expected here.
    const { misorderedTotal } = await generator.call<{ misorderedTotal: number }>(2, { cmd: "collect" });
    const notes = done.deliveries < messages ? [`only ${done.deliveries} of ${messages} arrived`] : [];
    notes.push(...orderNotes(misorderedTotal));
    return {
      scenario: "catchup",
      server: "secure-chat",
      metrics: {
        messages,
        received: done.deliveries,
        catchUpMs: done.ms,
        fillMessagesPerSecond: messages / fillSeconds,
        peakRssMB: memory(server.pid).peak / 2 ** 20,
        measureFromUs,
        measureToUs,
        misorderedDeliveries: misorderedTotal,
      },
      notes,
    };
  } finally {
    await generator.close();
    await server.stop();
    await server.remove();
  }
}
