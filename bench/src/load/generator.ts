/**
 * The parent's handle on the load generator: several worker processes (worker.ts, forked),
 * commands over IPC, results summed.
 */
import { fork, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { cpuProfileArgs, track } from "../procs.js";
import { addHistograms, newHistogram } from "../stats.js";
import type { BenchUser } from "./secure-chat-client.js";
import type { Collected, Command, ConnectResult, ServerKind } from "./worker.js";

const WORKER = join(dirname(fileURLToPath(import.meta.url)), "worker.js");

class WorkerHandle {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  constructor(readonly child: ChildProcess) {
    child.on("message", (message: { id: number; ok: boolean; value?: unknown; error?: string }) => {
      const waiter = this.pending.get(message.id);
      if (waiter === undefined) return;
      this.pending.delete(message.id);
      if (message.ok) waiter.resolve(message.value);
      else waiter.reject(new Error(message.error));
    });
    child.on("exit", (code) => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`load worker exited (${code})`));
      this.pending.clear();
    });
  }

  call<T>(command: Command): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, command });
    });
  }
}

export interface Totals {
  elapsedMs: number;
  deliveries: number;
  deliveriesPerSecond: number;
  sent: number;
  acked: number;
  ackedTotal: number;
  misorderedTotal: number;
  other: number;
  histogram: number[];
  connections: number;
  closed: number;
}

export class Generator {
  private constructor(readonly workers: WorkerHandle[]) {}

  /**
   * `count` worker processes; worker 0 is reserved for senders when the scenario has any. With
   * `cpuProfileDir`, each writes a V8 CPU profile there when it exits.
   */
  static start(count: number, cpuProfileDir?: string): Generator {
    const workers: WorkerHandle[] = [];
    const execArgv = cpuProfileArgs(cpuProfileDir);
    for (let i = 0; i < count; i++) {
      const child = track(
        fork(WORKER, [], { execArgv, serialization: "advanced", stdio: ["ignore", "inherit", "inherit", "ipc"] }),
      );
      workers.push(new WorkerHandle(child));
    }
    return new Generator(workers);
  }

  get pids(): number[] {
    return this.workers.map((w) => w.child.pid ?? 0);
  }

  /** Connects `users` spread evenly over workers `from..`; throws if any failed. */
  async connect(
    kind: ServerKind,
    url: { host: string; port: number },
    users: BenchUser[],
    options: {
      sender: boolean;
      room: string | undefined;
      workers: number[];
      concurrency: number;
      budgetMs?: number;
      /** Report failed connections instead of throwing. */
      tolerateFailures?: boolean;
    },
  ): Promise<{ connected: number; skipped: number; failed: number; firstError: string | undefined }> {
    const shares: BenchUser[][] = options.workers.map(() => []);
    users.forEach((user, i) => shares[i % shares.length]!.push(user));
    const results = await Promise.all(
      options.workers.map((w, i) =>
        this.workers[w]!.call<ConnectResult>({
          cmd: "connect",
          kind,
          host: url.host,
          port: url.port,
          users: shares[i]!,
          sender: options.sender,
          room: options.room,
          concurrency: options.concurrency,
          budgetMs: options.budgetMs,
        }),
      ),
    );
    const failed = results.reduce((n, r) => n + r.failed, 0);
    const firstError = results.find((r) => r.firstError)?.firstError;
    if (failed > 0 && options.tolerateFailures !== true) {
      throw new Error(
        `${failed} of ${users.length} ${kind} connections failed: ${results.find((r) => r.firstError)?.firstError}`,
      );
    }
    return {
      connected: results.reduce((n, r) => n + r.connected, 0),
      skipped: results.reduce((n, r) => n + r.skipped, 0),
      failed,
      firstError,
    };
  }

  call<T>(worker: number, command: Command): Promise<T> {
    return this.workers[worker]!.call<T>(command);
  }

  all<T>(command: Command): Promise<T[]> {
    return Promise.all(this.workers.map((w) => w.call<T>(command)));
  }

  async collect(): Promise<Totals> {
    const parts = await this.all<Collected>({ cmd: "collect" });
    const histogram = newHistogram();
    let deliveriesPerSecond = 0;
    for (const part of parts) {
      addHistograms(histogram, part.histogram);
      if (part.elapsedMs > 0) deliveriesPerSecond += part.deliveries / (part.elapsedMs / 1000);
    }
    const sum = (
      key: "deliveries" | "sent" | "acked" | "ackedTotal" | "misorderedTotal" | "other" | "connections" | "closed",
    ): number => parts.reduce((n, p) => n + p[key], 0);
    return {
      elapsedMs: Math.max(...parts.map((p) => p.elapsedMs)),
      deliveries: sum("deliveries"),
      deliveriesPerSecond,
      sent: sum("sent"),
      acked: sum("acked"),
      ackedTotal: sum("ackedTotal"),
      misorderedTotal: sum("misorderedTotal"),
      other: sum("other"),
      histogram,
      connections: sum("connections"),
      closed: sum("closed"),
    };
  }

  /** Waits until no worker's received counts change for `quietMs` (setup traffic drained). */
  async settle(quietMs = 300, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    let stableSince = Date.now();
    while (Date.now() < deadline) {
      const parts = await this.all<Collected>({ cmd: "collect" });
      const now = parts.map((p) => `${p.deliveries}/${p.other}/${p.acked}`).join(",");
      if (now !== last) {
        last = now;
        stableSince = Date.now();
      } else if (Date.now() - stableSince >= quietMs) {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        const exited = new Promise((resolve) => w.child.once("exit", resolve));
        if (w.child.exitCode !== null || w.child.signalCode !== null) return;
        w.call({ cmd: "close" }).catch(() => undefined);
        const timer = setTimeout(() => w.child.kill("SIGKILL"), 3_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}
