import { readdirSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Counter, Histogram, LabelledCounter, Observed, Registry } from "./exposition.js";

/** Open file descriptors (Linux's /proc), or undefined where there is no /proc. */
function openFileDescriptors(): number | undefined {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return undefined;
  }
}

/**
 * What `/metrics` shows: counts, latencies and error codes only. No metric has a label taken
 * from a client (no name, room, address or content), so the exposition says how busy the server
 * is, never who is talking to whom.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  /** Open WebSocket connections, logged in or not (the transport counts them). */
  connections = 0;
  readonly deliveries = this.registry.register(
    new Counter("securechat_deliveries_total", "Deliveries (messages, commits, Welcomes) written to client sockets."),
  );
  readonly acks = this.registry.register(
    new Counter("securechat_acks_total", "Acknowledgements received from clients."),
  );
  readonly errors = this.registry.register(
    new LabelledCounter("securechat_errors_total", "Error frames sent to clients, by protocol error code.", "code"),
  );
  readonly storageSeconds = this.registry.register(
    new Histogram("securechat_storage_seconds", "Duration of storage calls, by operation.", "operation"),
  );
  readonly busSeconds = this.registry.register(
    new Histogram("securechat_bus_seconds", "Duration of bus calls, by operation.", "operation"),
  );
  private readonly eventLoop = monitorEventLoopDelay({ resolution: 10 });

  /** `usersOnline` reads how many distinct users are logged in. */
  constructor(usersOnline: () => number) {
    const { registry } = this;
    registry.register(
      new Observed("securechat_connections", "Open WebSocket connections.", "gauge", () => this.connections),
    );
    registry.register(new Observed("securechat_users_online", "Distinct users logged in.", "gauge", usersOnline));
    this.registerProcessBasics();
    this.eventLoop.enable();
  }

  /** The exposition text; event-loop delays are those since the previous scrape. */
  render(): string {
    const text = this.registry.render();
    this.eventLoop.reset();
    return text;
  }

  close(): void {
    this.eventLoop.disable();
  }

  /** The usual process_* and nodejs_* metrics, named as Prometheus client libraries name them. */
  private registerProcessBasics(): void {
    const { registry, eventLoop } = this;
    const cpu = (part: "user" | "system" | "both"): number => {
      const usage = process.cpuUsage();
      const micros = part === "user" ? usage.user : part === "system" ? usage.system : usage.user + usage.system;
      return micros / 1e6;
    };
    const startSeconds = Math.round(Date.now() / 1000 - process.uptime());
    registry.register(
      new Observed("process_cpu_user_seconds_total", "User CPU time spent, in seconds.", "counter", () => cpu("user")),
    );
    registry.register(
      new Observed("process_cpu_system_seconds_total", "System CPU time spent, in seconds.", "counter", () =>
        cpu("system"),
      ),
    );
    registry.register(
      new Observed("process_cpu_seconds_total", "User and system CPU time spent, in seconds.", "counter", () =>
        cpu("both"),
      ),
    );
    registry.register(
      new Observed("process_resident_memory_bytes", "Resident memory size in bytes.", "gauge", () =>
        process.memoryUsage.rss(),
      ),
    );
    registry.register(
      new Observed(
        "process_start_time_seconds",
        "Start time of the process since the Unix epoch, in seconds.",
        "gauge",
        () => startSeconds,
      ),
    );
    if (openFileDescriptors() !== undefined) {
      registry.register(
        new Observed("process_open_fds", "Open file descriptors.", "gauge", () => openFileDescriptors() ?? 0),
      );
    }
    registry.register(
      new Observed(
        "nodejs_heap_size_used_bytes",
        "V8 heap in use, in bytes.",
        "gauge",
        () => process.memoryUsage().heapUsed,
      ),
    );
    registry.register(
      new Observed(
        "nodejs_eventloop_delay_p99_seconds",
        "99th percentile of event-loop delay since the last scrape.",
        "gauge",
        () => (eventLoop.count > 0 ? eventLoop.percentile(99) / 1e9 : 0),
      ),
    );
    registry.register(
      new Observed(
        "nodejs_eventloop_delay_max_seconds",
        "Largest event-loop delay since the last scrape.",
        "gauge",
        () => (eventLoop.count > 0 ? eventLoop.max / 1e9 : 0),
      ),
    );
  }
}
