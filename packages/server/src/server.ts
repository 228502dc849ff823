import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Bus } from "./bus/bus.js";
import { MemoryBus } from "./bus/memory-bus.js";
import { NatsBus } from "./bus/nats-bus.js";
import { defaultServerConfig, type ServerConfig } from "./config.js";
import { createContext } from "./context.js";
import { httpEndpoints, readMetricsToken } from "./http-endpoints.js";
import { stderrLogger, type Logger } from "./log.js";
import { watchForMissedHints } from "./services/delivery.js";
import { startRetention } from "./services/retention.js";
import { PgStorage } from "./storage/pg-storage.js";
import { SqliteStorage } from "./storage/sqlite-storage.js";
import type { Storage } from "./storage/storage.js";
import { isLoopback, loadTls, selfSignedTls } from "./tls.js";
import { loadWebFiles, noWebClient } from "./web-files.js";
import { listen } from "./ws-transport.js";

export interface RunningServer {
  url: string;
  /** SHA-256 fingerprint of the TLS certificate, when serving wss://. */
  certificateFingerprint: string | undefined;
  /** SHA-256 (hex) of the web client's index.html, when it is served. */
  webIndexSha256: string | undefined;
  /** Closes at once: every connection, then the storage. */
  close(): Promise<void>;
  /** Shutdown for a balancer: /healthz says "not ready", the server serves on for drainMs, then closes. */
  drain(): Promise<void>;
}

/** The storage adapter in a data directory (also for offline administration). */
export function openStorage(dataDir: string): Storage {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  return new SqliteStorage(join(dataDir, "secure-chat.db"));
}

/** The configured storage: PostgreSQL at `storageUrl`, else SQLite in the data directory. */
async function openConfiguredStorage(config: ServerConfig, log: Logger): Promise<Storage> {
  if (config.storageUrl === undefined) return openStorage(config.dataDir);
  return PgStorage.open(config.storageUrl, {}, (error) =>
    log.warn("storage_connection_lost", { error: error.message, action: "reconnecting on the next request" }),
  );
}

/**
 * How often a node of several checks storage for seqs the bus did not tell it about (a frame
 * lost on the bus, or sent while NATS was away).
 */
const MISSED_HINTS_CHECK_MS = 1_000;

/** The configured bus: NATS at `busUrl`, else the in-process one. */
async function openConfiguredBus(config: ServerConfig, log: Logger): Promise<Bus> {
  if (config.busUrl === undefined) return new MemoryBus();
  try {
    return await NatsBus.connect(config.busUrl, {
      nodeId: config.nodeId,
      onStatus: (event, detail) => log.info(event, { detail }),
    });
  } catch (error) {
    throw new Error(`cannot reach the bus at ${config.busUrl}: ${(error as Error).message}`, { cause: error });
  }
}

/** Composition root of the server: picks the storage (SQLite or PostgreSQL) and the bus (in-process or NATS). */
export async function startServer(
  overrides: Partial<ServerConfig> = {},
  log: Logger = stderrLogger(),
): Promise<RunningServer> {
  const config = { ...defaultServerConfig, ...overrides };
  const storage = await openConfiguredStorage(config, log);
  let bus: Bus;
  try {
    bus = await openConfiguredBus(config, log);
  } catch (error) {
    await storage.close();
    throw error;
  }
  const ctx = createContext(config, storage, bus, log);
  /** Closes what is open before anything listens: cursors, metrics, bus, storage. */
  const release = async (): Promise<void> => {
    await ctx.cursors.close();
    ctx.metrics.close();
    bus.close();
    await storage.close();
  };
  try {
    const tls =
      config.tls !== undefined
        ? loadTls(config.tls.certFile, config.tls.keyFile)
        : isLoopback(config.host)
          ? undefined
          : await selfSignedTls(config.dataDir, config.host);
    const web = config.webRoot === undefined ? undefined : loadWebFiles(config.webRoot);
    const metricsToken = config.metricsTokenFile === undefined ? undefined : readMetricsToken(config.metricsTokenFile);
    const transport = await listen(ctx, tls, httpEndpoints(ctx, metricsToken, web?.handle ?? noWebClient));
    const retention = startRetention(ctx);
    const missedHints = bus.crossNode ? watchForMissedHints(ctx, MISSED_HINTS_CHECK_MS) : undefined;
    log.info("listening", { url: transport.url, cipherSuite: config.cipherSuite, tls: tls !== undefined });
    let closing: Promise<void> | undefined;
    const close = (): Promise<void> =>
      (closing ??= (async () => {
        ctx.draining = true;
        retention.stop();
        missedHints?.stop();
        await transport.close();
        await ctx.sends.flush();
        await release();
      })());
    return {
      url: transport.url,
      certificateFingerprint: tls?.fingerprint256,
      webIndexSha256: web?.indexSha256,
      close,
      async drain() {
        ctx.draining = true;
        log.info("draining", { seconds: config.drainMs / 1000 });
        await new Promise((resolve) => setTimeout(resolve, config.drainMs));
        await close();
      },
    };
  } catch (error) {
    // A bad certificate or a port in use: nothing was accepted, but the storage is open.
    await release();
    throw error;
  }
}
