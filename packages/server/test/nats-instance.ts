/**
 * A throwaway nats-server for tests and benchmarks: on a free 127.0.0.1 port, no persistence
 * (core NATS only), stopped by `stop` or when the process that started it ends. `restart`
 * brings it back on the same port (outage tests).
 */
import { existsSync } from "node:fs";
import {
  ServiceMissingError,
  acceptsConnections,
  freePort,
  startGuarded,
  waitUntil,
  type GuardedProcess,
} from "./throwaway-service.js";

const CANDIDATES = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"];

export function natsServerBinary(): string | undefined {
  return CANDIDATES.find((path) => existsSync(path));
}

/** Why NATS tests cannot run here, or undefined when they can. */
const notInstalled = (): ServiceMissingError =>
  new ServiceMissingError("nats-server", "apt-get install -y nats-server");

export function natsMissing(): string | undefined {
  return natsServerBinary() === undefined ? notInstalled().message : undefined;
}

export class NatsInstance {
  private process: GuardedProcess | undefined;

  private constructor(
    private readonly binary: string,
    readonly port: number,
  ) {}

  static async start(): Promise<NatsInstance> {
    const binary = natsServerBinary();
    if (binary === undefined) throw notInstalled();
    const instance = new NatsInstance(binary, await freePort());
    await instance.restart();
    return instance;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async restart(): Promise<void> {
    if (this.process !== undefined) return;
    const started = startGuarded(this.binary, ["-a", "127.0.0.1", "-p", String(this.port)], "KILL");
    this.process = started;
    await waitUntil(
      "nats-server to accept connections",
      () => acceptsConnections(this.port),
      () => started.output(),
    );
  }

  /** Stops the server at once (kill -9). */
  async stop(): Promise<void> {
    const running = this.process;
    this.process = undefined;
    await running?.stop();
  }
}
