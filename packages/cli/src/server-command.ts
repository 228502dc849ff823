import { isCipherSuiteKey } from "@secure-chat/protocol";
import {
  defaultServerConfig,
  startServer,
  StorageFullError,
  StorageUnavailableError,
  type ServerConfig,
} from "@secure-chat/server";
import { numberFlag, parseArgs, type FlagSpec } from "./args.js";
import { configKeyLabel, readConfigFile } from "./config-file.js";
import { CliExit, exitCodes } from "./exit.js";
import { webClientDir } from "./web-client.js";

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
  "drain-seconds": { key: "drainMs", scale: 1000, min: 0, max: 3600 },
  "max-blob-bytes": { key: "maxBlobBytes", scale: 1, min: 1024, max: 2 ** 40 },
  "blob-quota-bytes": { key: "blobQuotaBytes", scale: 1, min: 1024, max: 2 ** 50 },
} as const satisfies Record<string, { key: keyof ServerConfig; scale: number; min: number; max: number }>;

/** Settings as given, checked one by one; `tls` is only whole once both halves are merged. */
type Settings = Partial<Omit<ServerConfig, "tls" | "webRoot">> & {
  certFile?: string;
  keyFile?: string;
  noWeb?: boolean;
};

/** Settings taken as given (file names, an address): flag -> key of Settings. */
const textFlags = {
  host: "host",
  data: "dataDir",
  storage: "storageUrl",
  bus: "busUrl",
  "node-id": "nodeId",
  "tls-cert": "certFile",
  "tls-key": "keyFile",
  "metrics-token-file": "metricsTokenFile",
} as const satisfies Record<string, keyof Settings>;

/** Every flag of the server but --config: each is also a key of the config file. */
const settingFlags: FlagSpec = {
  ...Object.fromEntries(
    [...Object.keys(textFlags), "suite", ...Object.keys(numericFlags)].map((flag) => [flag, "string"]),
  ),
  "no-web": "boolean",
};

export const serverUsage =
  "secure-chat server [--config FILE] [--host 127.0.0.1] [--port 7447] [--data DIR]\n" +
  "                   [--storage postgres://USER@HOST/DB] [--bus nats://HOST:PORT --node-id ID]\n" +
  "                   [--suite xwing|x25519] [--heartbeat SECONDS]\n" +
  "                   [--login-timeout SECONDS] [--max-frame-bytes N] [--max-send-buffer N]\n" +
  "                   [--rate-limit N] [--user-rate-limit N] [--max-connections-per-ip N] [--registrations-per-ip N]\n" +
  "                   [--quota-bytes-per-day N] [--groups-per-day N] [--retention-days N]\n" +
  "                   [--max-blob-bytes N] [--blob-quota-bytes N]\n" +
  "                   [--tls-cert FILE --tls-key FILE] [--metrics-token-file FILE] [--drain-seconds SECONDS]";

function usageError(message: string): CliExit {
  return new CliExit(exitCodes.usage, "BAD_FLAG", `${message}\nusage: ${serverUsage}`);
}

/**
 * Checks the settings from one source (the command line, or a config file) and turns them into
 * configuration values. The one check of each setting, whichever source it came from: `label`
 * names a setting in an error ("--port", or the file's key) and `refuse` makes the error.
 */
function settingsFrom(
  flags: Record<string, string | boolean>,
  label: (flag: string) => string,
  refuse: (message: string) => CliExit,
): Settings {
  const settings: Settings = {};
  for (const [flag, { key, scale, min, max }] of Object.entries(numericFlags)) {
    const value = numberFlag(flags[flag], label(flag), { min, max });
    if (value.kind === "error") throw refuse(value.message);
    if (value.value === undefined) continue;
    if (key === "port" && !Number.isInteger(value.value)) throw refuse(`${label(flag)} must be a whole number`);
    settings[key] = Math.round(value.value * scale);
  }
  for (const [flag, key] of Object.entries(textFlags)) {
    const value = flags[flag];
    if (typeof value === "string") settings[key] = value;
  }
  const storage = settings.storageUrl;
  if (storage !== undefined && !/^postgres(ql)?:\/\/./.test(storage)) {
    throw refuse(
      `${label("storage")} must be a postgres:// URL (SQLite in --data is the default), not ${withoutPassword(storage)}`,
    );
  }
  const bus = settings.busUrl;
  if (bus !== undefined && !/^nats:\/\/./.test(bus)) throw refuse(`${label("bus")} must be a nats:// URL, not ${bus}`);
  const nodeId = settings.nodeId;
  if (nodeId !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(nodeId)) {
    throw refuse(`${label("node-id")} must be 1-64 letters, digits, _ or -, not ${nodeId}`);
  }
  const suite = flags["suite"];
  if (typeof suite === "string") {
    if (!isCipherSuiteKey(suite)) throw refuse(`${label("suite")} must be xwing or x25519, not ${suite}`);
    settings.cipherSuite = suite;
  }
  if (flags["no-web"] === true) settings.noWeb = true;
  return settings;
}

/**
 * Turns the command line, and the config file it names, into a server configuration, or a usage
 * error. A flag on the command line wins over the file's key; both are checked either way.
 */
export function serverConfigFromArgs(argv: readonly string[]): ServerConfig {
  const parsed = parseArgs(argv, { ...settingFlags, config: "string" });
  if (parsed.kind === "error") throw usageError(parsed.message);
  if (parsed.positionals.length > 0) throw usageError(`unexpected argument ${parsed.positionals[0]}`);
  const { config: configFile, ...flags } = parsed.flags;
  const fromFile =
    typeof configFile === "string"
      ? settingsFrom(
          readConfigFile(configFile, settingFlags),
          configKeyLabel(configFile),
          (message) => new CliExit(exitCodes.usage, "CONFIG_BAD_VALUE", message),
        )
      : {};
  const fromFlags = settingsFrom(flags, (flag) => `--${flag}`, usageError);
  const { certFile, keyFile, noWeb, ...settings } = { ...fromFile, ...fromFlags };
  if ((certFile === undefined) !== (keyFile === undefined)) throw usageError("--tls-cert and --tls-key go together");
  if (settings.busUrl !== undefined && settings.storageUrl === undefined) {
    throw usageError("--bus links nodes that share one database: it needs --storage postgres://…");
  }
  if ((settings.busUrl === undefined) !== (settings.nodeId === undefined)) {
    throw usageError("--bus and --node-id go together");
  }
  return {
    ...defaultServerConfig,
    ...settings,
    tls: certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : undefined,
    webRoot: noWeb === true ? undefined : webClientDir(),
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
    if (error instanceof StorageUnavailableError) {
      throw new CliExit(
        exitCodes.failure,
        "STORAGE_UNAVAILABLE",
        `cannot reach the database at ${withoutPassword(config.storageUrl ?? "")}: ${String((error.cause as Error | undefined)?.message ?? error.message)}`,
      );
    }
    throw new CliExit(exitCodes.failure, "LISTEN_FAILED", `cannot start the server: ${(error as Error).message}`);
  }
  if (server.certificateFingerprint !== undefined) {
    process.stdout.write(`TLS certificate SHA-256 fingerprint: ${server.certificateFingerprint}\n`);
  }
  if (server.webIndexSha256 !== undefined) {
    const page = server.url.replace(/^ws/, "http");
    process.stdout.write(`web client on ${page}/ (index.html SHA-256 ${server.webIndexSha256})\n`);
  }
  process.stdout.write(`secure-chat server listening on ${server.url}\n`);
  // The first signal drains (see --drain-seconds), a second one closes at once.
  let stopping = false;
  const stop = (): void => {
    const closing = stopping ? server.close() : server.drain();
    stopping = true;
    void closing.then(() => process.exit(exitCodes.ok));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

/** A connection URL fit for messages: any password replaced. */
function withoutPassword(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:@/]*):[^@]*@/, "$1:***@");
}
