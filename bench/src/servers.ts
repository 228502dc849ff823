/** Starts the server under test as its own process: secure-chat or one of the references. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ServerKind } from "./load/worker.js";
import { ensureNgircd, writeNgircdConfig } from "./references/ngircd.js";
import { freePort } from "@secure-chat/e2e/harness";
import { cpuProfileArgs, spawnReady, type Spawned } from "./procs.js";
import { PostgresInstance } from "@secure-chat/server/testing";
import { storedMessages, storedMessagesInPostgres } from "./scenarios/durability.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const SECURE_CHAT = join(HERE, "..", "..", "packages", "cli", "bin", "secure-chat.js");

export const serverKinds: ServerKind[] = ["secure-chat", "ws-relay", "socketio", "ngircd"];

export const serverLabels: Record<ServerKind, string> = {
  "secure-chat": "secure-chat",
  "ws-relay": "ws relay",
  socketio: "Socket.IO 4",
  ngircd: "ngircd",
};

export interface RunningServer {
  kind: ServerKind;
  host: string;
  port: number;
  pid: number;
  spawned: Spawned;
  /** Stops the process (SIGINT, so secure-chat closes its database and writes its profile). */
  stop(): Promise<void>;
  /** secure-chat's application messages in its database; after stop(). */
  storedMessages(): Promise<number>;
  /** Deletes its temporary folder (and stops its PostgreSQL); after stop(). */
  remove(): Promise<void>;
}

/** Where secure-chat stores: SQLite in its data folder (the default), or a throwaway PostgreSQL. */
export type StorageKind = "sqlite" | "postgres";

export interface ServerOptions {
  /** Write a V8 CPU profile of the server into this folder (Node servers only: secure-chat, the relays). */
  cpuProfileDir?: string | undefined;
  /** secure-chat only; PostgreSQL runs with fsync on, as in production. */
  storage?: StorageKind;
}

export function serverAvailable(kind: ServerKind): boolean {
  return kind !== "ngircd" || ensureNgircd() !== undefined;
}

export async function startServer(kind: ServerKind, options: ServerOptions = {}): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), `bench-${kind}-`));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  let started: { spawned: Spawned; port: number };
  const profile = cpuProfileArgs(options.cpuProfileDir);
  let postgres: PostgresInstance | undefined;
  let storedMessagesNow = async (): Promise<number> => storedMessages(dir);
  switch (kind) {
    case "secure-chat": {
      const storage: string[] = [];
      if (options.storage === "postgres") {
        postgres = await PostgresInstance.start({ durable: true });
        const url = await postgres.createDatabase("bench");
        storage.push("--storage", url);
        storedMessagesNow = () => storedMessagesInPostgres(url);
      }
      const { spawned, match } = await spawnReady(
        process.execPath,
        [
          ...profile,
          SECURE_CHAT,
          "server",
          "--port",
          "0",
          "--data",
          dir,
          ...storage,
          "--suite",
          "x25519",
          "--rate-limit",
          "1000000",
          "--user-rate-limit",
          "1000000",
          "--max-connections-per-ip",
          "1000000",
          "--registrations-per-ip",
          "1000000",
        ],
        /listening on ws:\/\/127\.0\.0\.1:(\d+)/,
      );
      started = { spawned, port: Number(match[1]) };
      break;
    }
    case "ws-relay":
    case "socketio": {
      const script = join(HERE, "references", kind === "ws-relay" ? "ws-relay.js" : "socketio-server.js");
      const { spawned, match } = await spawnReady(process.execPath, [...profile, script], /listening on (\d+)/);
      started = { spawned, port: Number(match[1]) };
      break;
    }
    case "ngircd": {
      const binary = ensureNgircd();
      if (binary === undefined) throw new Error("ngircd is not installed and could not be installed");
      const port = await freePort();
      const config = writeNgircdConfig(dir, port);
      const { spawned } = await spawnReady(binary, ["-n", "-f", config], /ready\./);
      started = { spawned, port };
      break;
    }
  }
  return {
    kind,
    host: "127.0.0.1",
    port: started.port,
    pid: started.spawned.pid,
    spawned: started.spawned,
    stop: () => started.spawned.stop("SIGINT", 10_000),
    storedMessages: storedMessagesNow,
    async remove() {
      await postgres?.stop();
      cleanup();
    },
  };
}
