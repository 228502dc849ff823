import { isCipherSuiteKey } from "@secure-chat/protocol";
import { defaultServerConfig, startServer, StorageFullError, type ServerConfig } from "@secure-chat/server";
import { numberFlag, parseArgs, type FlagSpec } from "./args.js";
import { CliExit, exitCodes } from "./exit.js";

/** Numeric server settings: flag -> config key, unit scale (seconds -> ms) and range. */
const numericFlags = {
  port: { key: "port", scale: 1, min: 0, max: 65_535 },
  heartbeat: { key: "heartbeatMs", scale: 1000, min: 0.05, max: 3600 },
  "login-timeout": { key: "loginTimeoutMs", scale: 1000, min: 0.1, max: 3600 },
  "max-frame-bytes": { key: "maxFrameBytes", scale: 1, min: 4096, max: 256 * 1024 * 1024 },
  "max-send-buffer": { key: "maxSendBufferBytes", scale: 1, min: 4096, max: 1024 * 1024 * 1024 },
  "rate-limit": { key: "rateLimitPerConnection", scale: 1, min: 1, max: 1_000_000 },
  "user-rate-limit": { key: "rateLimitPerUser", scale: 1, min: 1, max: 1_000_000 },
  "max-connections-per-ip": { key: "maxConnectionsPerAddress", scale: 1, min: 1, max: 1_000_000 },
  "registrations-per-ip": { key: "registrationsPerHourPerAddress", scale: 1, min: 1, max: 1_000_000 },
  "quota-bytes-per-day": { key: "quotaBytesPerDay", scale: 1, min: 1024, max: 2 ** 50 },
  "groups-per-day": { key: "groupsPerDay", scale: 1, min: 1, max: 1_000_000 },
  "retention-days": { key: "retentionDays", scale: 1, min: 0, max: 100_000 },
  "max-blob-bytes": { key: "maxBlobBytes", scale: 1, min: 1024, max: 2 ** 40 },
  "blob-quota-bytes": { key: "blobQuotaBytes", scale: 1, min: 1024, max: 2 ** 50 },
} as const satisfies Record<string, { key: keyof ServerConfig; scale: number; min: number; max: number }>;

export const serverUsage =
  "secure-chat server [--host 127.0.0.1] [--port 7447] [--data DIR] [--suite xwing|x25519] [--heartbeat SECONDS]\n" +
  "                   [--login-timeout SECONDS] [--max-frame-bytes N] [--max-send-buffer N] [--rate-limit N]\n" +
  "                   [--user-rate-limit N] [--max-connections-per-ip N] [--registrations-per-ip N]\n" +
  "                   [--quota-bytes-per-day N] [--groups-per-day N] [--retention-days N]\n" +
  "                   [--max-blob-bytes N] [--blob-quota-bytes N]\n" +
  "                   [--tls-cert FILE --tls-key FILE]";

function usageError(message: string): CliExit {
  return new CliExit(exitCodes.usage, "BAD_FLAG", `${message}\nusage: ${serverUsage}`);
}

/** Turns the command line into a server configuration, or a usage error. */
export function serverConfigFromArgs(argv: readonly string[]): ServerConfig {
  const spec: FlagSpec = { host: "string", data: "string", suite: "string", "tls-cert": "string", "tls-key": "string" };
  for (const flag of Object.keys(numericFlags)) spec[flag] = "string";
  const parsed = parseArgs(argv, spec);
  if (parsed.kind === "error") throw usageError(parsed.message);
  if (parsed.positionals.length > 0) throw usageError(`unexpected argument ${parsed.positionals[0]}`);
  const config: ServerConfig = { ...defaultServerConfig };
  for (const [flag, { key, scale, min, max }] of Object.entries(numericFlags)) {
    const value = numberFlag(parsed.flags[flag], flag, { min, max });
    if (value.kind === "error") throw usageError(value.message);
    if (value.value === undefined) continue;
    if (key === "port" && !Number.isInteger(value.value)) throw usageError(`--port must be a whole number`);
    config[key] = Math.round(value.value * scale);
  }
  const { host, data, suite } = parsed.flags as Record<string, string | undefined>;
  const certFile = parsed.flags["tls-cert"] as string | undefined;
  const keyFile = parsed.flags["tls-key"] as string | undefined;
  if ((certFile === undefined) !== (keyFile === undefined)) throw usageError("--tls-cert and --tls-key go together");
  if (suite !== undefined && !isCipherSuiteKey(suite))
    throw usageError(`--suite must be xwing or x25519, not ${suite}`);
  return {
    ...config,
    host: host ?? config.host,
    dataDir: data ?? config.dataDir,
    cipherSuite: suite ?? config.cipherSuite,
    tls: certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : undefined,
  };
}

export async function runServer(argv: readonly string[]): Promise<void> {
  const config = serverConfigFromArgs(argv);
  let server;
  try {
    server = await startServer(config);
  } catch (error) {
    if (error instanceof StorageFullError) {
      throw new CliExit(
        exitCodes.failure,
        "STORAGE_FULL",
        `cannot open the database in ${config.dataDir}: the disk is full; free some space and start again`,
      );
    }
    throw new CliExit(exitCodes.failure, "LISTEN_FAILED", `cannot start the server: ${(error as Error).message}`);
  }
  if (server.certificateFingerprint !== undefined) {
    process.stdout.write(`TLS certificate SHA-256 fingerprint: ${server.certificateFingerprint}\n`);
  }
  process.stdout.write(`secure-chat server listening on ${server.url}\n`);
  const stop = (): void => {
    void server.close().then(() => process.exit(exitCodes.ok));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
