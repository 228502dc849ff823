/**
 * Starting real services (PostgreSQL, nats-server) for tests and benchmarks: as throwaway
 * processes in temp folders, never a system service. Each runs under a small shell guard that
 * stops it when its stdin closes, so it ends with the process that started it, however that
 * one ends (even by kill -9).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A service a test needs is missing: under CI=true that is a failure with this message, else
 * the test may skip (see skipUnlessCi).
 */
export class ServiceMissingError extends Error {
  constructor(service: string, install: string) {
    super(`${service} is not installed here (${install}); CI must provide it`);
    this.name = "ServiceMissingError";
  }
}

/** Whether a missing service must fail the test (CI=true) rather than skip it. */
export function serviceRequired(): boolean {
  return process.env["CI"] === "true";
}

/**
 * The skip reason for a test whose service is missing, or undefined to run it. Under CI=true
 * the missing service throws, failing the test with the reason.
 */
export function skipUnlessCi(missing: string | undefined): string | undefined {
  if (missing === undefined) return undefined;
  if (serviceRequired()) throw new Error(missing);
  return missing;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Services refuse to run as root (PostgreSQL) or should not: as root, they run as this user. */
const SERVICE_USER = "postgres";

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** A temp folder the service's user owns (when we are root, the service is not). */
export function serviceDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `secure-chat-${prefix}-`));
  if (isRoot()) {
    const ids = spawnSync("id", ["-u", SERVICE_USER], { encoding: "utf8" });
    const gids = spawnSync("id", ["-g", SERVICE_USER], { encoding: "utf8" });
    if (ids.status !== 0) throw new Error(`running as root needs a user ${SERVICE_USER} to run services as`);
    chownSync(dir, Number(ids.stdout.trim()), Number(gids.stdout.trim()));
  }
  return dir;
}

/** Runs a command to completion as the service's user; throws with its output if it fails. */
export function runAsServiceUser(command: string, args: readonly string[]): void {
  const [file, argv] = isRoot() ? ["runuser", ["-u", SERVICE_USER, "--", command, ...args]] : [command, [...args]];
  const result = spawnSync(file, argv, { encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(`${command} failed (${result.status ?? result.signal}): ${result.stderr}${result.stdout}`);
  }
}

/** A running service process, stopped when `stop` is called or this process ends. */
export interface GuardedProcess {
  /** Everything it wrote, for failure messages. */
  output(): string;
  /** Resolves once the process has ended (SIGQUIT-style immediate stop, no cleanup). */
  stop(): Promise<void>;
}

/**
 * Starts `command args` as the service's user under a guard that sends it `stopSignal` when our
 * end of its stdin closes (our `stop`, or our death), and waits for it.
 */
export function startGuarded(command: string, args: readonly string[], stopSignal: "QUIT" | "KILL"): GuardedProcess {
  const quoted = [command, ...args].map((arg) => `'${arg.replaceAll("'", `'\\''`)}'`).join(" ");
  const script = `${quoted} </dev/null & child=$!; read _ignored; kill -${stopSignal} $child; wait $child`;
  const [file, argv] = isRoot() ? ["runuser", ["-u", SERVICE_USER, "--", "sh", "-c", script]] : ["sh", ["-c", script]];
  const child: ChildProcess = spawn(file, argv, { stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const ended = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // Not kept alive by it: a test process whose work is done may end, and so does the service.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as { unref?(): void } | null)?.unref?.();
  return {
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.ref(); // waiting for its end keeps this process alive
        child.stdin?.end();
      }
      await ended;
    },
  };
}

/** Polls `probe` until it resolves true; throws with `what` and `detail()` after `timeoutMs`. */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  detail: () => string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}:\n${detail()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function removeDir(dir: string): void {
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
