/**
 * End-to-end latency with real processes: one server, three `--json` clients. The time is
 * the receiver's arrival minus `sentAt` (the sender's clock, same machine), so it covers
 * encryption, the server's durable write and fan-out, and decryption.
 */
import { ChatProcess, ServerProcess, tempDir } from "@secure-chat/e2e/harness";
import { percentile } from "./stats.js";

export interface LatencyResult {
  suite: string;
  messages: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export async function measureLatency(suite: "xwing" | "x25519", messages: number): Promise<LatencyResult> {
  const server = await ServerProcess.start({ args: ["--suite", suite] });
  const clients: ChatProcess[] = [];
  try {
    for (const name of ["alice", "bob", "carol"])
      clients.push(await ChatProcess.start(name, server.url, tempDir(name)));
    const [alice, bob, carol] = clients as [ChatProcess, ChatProcess, ChatProcess];
    await alice.waitFor("carol joined", (e) => e.type === "member" && e.name === "carol");
    await bob.waitFor("carol joined", (e) => e.type === "member" && e.name === "carol");
    const arrivals = new Map<string, number>();
    for (const receiver of [bob, carol]) {
      receiver.child.stdout.on("data", () => {
        const now = Date.now();
        for (const event of receiver.events) {
          const key = `${receiver.name} ${String(event.id)}`;
          if (event.type === "message" && !arrivals.has(key)) arrivals.set(key, now);
        }
      });
    }
    const latencies: number[] = [];
    for (let i = 0; i < messages; i++) {
      const text = `latency probe ${i}`;
      alice.send(text);
      for (const receiver of [bob, carol]) {
        const event = await receiver.waitFor(text, (e) => e.type === "message" && e.text === text);
        await new Promise((resolve) => setImmediate(resolve));
        const arrived = arrivals.get(`${receiver.name} ${String(event.id)}`) ?? Date.now();
        latencies.push(arrived - Number(event.sentAt));
      }
    }
    return {
      suite,
      messages,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: Math.max(...latencies),
    };
  } finally {
    await Promise.all(clients.map((c) => c.kill()));
    await server.kill();
  }
}
