import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { MemoryBus } from "./bus/memory-bus.js";
import { defaultServerConfig, type ServerConfig } from "./config.js";
import { createContext } from "./context.js";
import { stderrLogger, type Logger } from "./log.js";
import { startRetention } from "./services/retention.js";
import { SqliteStorage } from "./storage/sqlite-storage.js";
import type { Storage } from "./storage/storage.js";
import { isLoopback, loadTls, selfSignedTls } from "./tls.js";
import { loadWebFiles } from "./web-files.js";
import { listen } from "./ws-transport.js";

export interface RunningServer {
  url: string;
  /** SHA-256 fingerprint of the TLS certificate, when serving wss://. */
  certificateFingerprint: string | undefined;
  /** SHA-256 (hex) of the web client's index.html, when it is served. */
  webIndexSha256: string | undefined;
  close(): Promise<void>;
}

/** The storage adapter in a data directory (also for offline administration). */
export function openStorage(dataDir: string): Storage {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  return new SqliteStorage(join(dataDir, "secure-chat.db"));
}

/** Composition root of the server: picks the SQLite storage and the in-process bus. */
export async function startServer(
  overrides: Partial<ServerConfig> = {},
  log: Logger = stderrLogger(),
): Promise<RunningServer> {
  const config = { ...defaultServerConfig, ...overrides };
  const storage = openStorage(config.dataDir);
  const bus = new MemoryBus();
  const ctx = createContext(config, storage, bus, log);
  try {
    const tls =
      config.tls !== undefined
        ? loadTls(config.tls.certFile, config.tls.keyFile)
        : isLoopback(config.host)
          ? undefined
          : await selfSignedTls(config.dataDir, config.host);
    const web = config.webRoot === undefined ? undefined : loadWebFiles(config.webRoot);
    const transport = await listen(ctx, tls, web);
    const retention = startRetention(ctx);
    log.info("listening", { url: transport.url, cipherSuite: config.cipherSuite, tls: tls !== undefined });
    return {
      url: transport.url,
      certificateFingerprint: tls?.fingerprint256,
      webIndexSha256: web?.indexSha256,
      async close() {
        retention.stop();
        await transport.close();
        await ctx.sends.flush();
        await ctx.cursors.close();
        bus.close();
        await storage.close();
      },
    };
  } catch (error) {
    // A bad certificate or a port in use: nothing was accepted, but the storage is open.
    await ctx.cursors.close();
    await storage.close();
    throw error;
  }
}
