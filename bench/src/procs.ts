/**
 * Child processes of the bench (servers and generator workers): start, wait for a ready
 * line, read CPU time and memory from /proc, and kill every one of them at the end, also
 * when the bench fails.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";

const children = new Set<ChildProcess>();

/** Node flags that make a process write a V8 CPU profile into `dir` when it exits (none without one). */
export function cpuProfileArgs(dir: string | undefined): string[] {
  return dir === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", dir];
}

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

export function killAll(): void {
  for (const child of children) child.kill("SIGKILL");
  children.clear();
}

process.on("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

/** Clock ticks per second for /proc/PID/stat times (USER_HZ, 100 on Linux). */
const TICKS = 100;

/** User + system CPU seconds a process has used so far. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return Number.NaN;
  }
}

/** VmRSS (current) and VmHWM (peak) in bytes. */
export function memory(pid: number): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
    return { rss: kb("VmRSS") * 1024, peak: kb("VmHWM") * 1024 };
  } catch {
    return { rss: Number.NaN, peak: Number.NaN };
  }
}

/** CPU use of several processes over an interval, in % of one core each. */
export class CpuMeter {
  private readonly start: number[];
  private readonly at = performance.now();

  constructor(private readonly pids: number[]) {
    this.start = pids.map(cpuSeconds);
  }

  percent(): number[] {
    const seconds = (performance.now() - this.at) / 1000;
    return this.pids.map((pid, i) => ((cpuSeconds(pid) - this.start[i]!) / seconds) * 100);
  }
}

/**
 * Whole-machine CPU use over an interval, in % of one core (200 = both cores of this machine
 * busy). It includes what no process is charged for, such as loopback TCP work done in softirq.
 */
export class MachineCpuMeter {
  private readonly start = MachineCpuMeter.read();

  private static read(): { busy: number; total: number } {
    try {
      const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
      const total = fields.reduce((a, b) => a + b, 0);
      const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
      return { busy: total - idle, total };
    } catch {
      return { busy: NaN, total: NaN };
    }
  }

  percent(cores: number): number {
    const end = MachineCpuMeter.read();
    return ((end.busy - this.start.busy) / (end.total - this.start.total)) * 100 * cores;
  }
}

export interface Spawned {
  child: ChildProcess;
  pid: number;
  output(): string;
  /** SIGINT (or the given signal), then SIGKILL after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

/** Spawns a process and waits until `ready` matches its stdout or stderr. */
export async function spawnReady(
  command: string,
  args: string[],
  ready: RegExp,
  timeoutMs = 20_000,
): Promise<{ spawned: Spawned; match: RegExpExecArray }> {
  const child = track(spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] }));
  let output = "";
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      resolve();
    }),
  );
  const keep = (chunk: Buffer): void => {
    output += chunk.toString("utf8");
    if (output.length > 20_000) output = output.slice(-10_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`cannot start ${command}`);
  const spawned: Spawned = {
    child,
    pid,
    output: () => output,
    async stop(signal = "SIGINT", graceMs = 5_000) {
      if (exited) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = ready.exec(output);
    if (match !== null) return { spawned, match };
    if (exited || Date.now() > deadline) {
      await spawned.stop("SIGKILL");
      throw new Error(`${command} ${args.join(" ")} did not get ready: ${output.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
