/**
 * A throwaway PostgreSQL for tests and benchmarks: initdb in a temp folder, the server on a
 * unix socket in it (no TCP port), trust authentication for the socket only. Stopped by `stop`
 * or when the process that started it ends; `restart` keeps the data (outage tests).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import {
  ServiceMissingError,
  freePort,
  removeDir,
  runAsServiceUser,
  serviceDir,
  startGuarded,
  waitUntil,
  type GuardedProcess,
} from "./throwaway-service.js";

const BIN_DIRS = ["/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin"];

/** The folder of PostgreSQL's server binaries, or undefined when none is installed. */
export function postgresBinDir(): string | undefined {
  return BIN_DIRS.find((dir) => existsSync(join(dir, "postgres")) && existsSync(join(dir, "initdb")));
}

/** Why PostgreSQL tests cannot run here, or undefined when they can. */
const notInstalled = (): ServiceMissingError =>
  new ServiceMissingError("PostgreSQL (initdb, postgres)", "apt-get install -y postgresql");

export function postgresMissing(): string | undefined {
  return postgresBinDir() === undefined ? notInstalled().message : undefined;
}

export interface PostgresOptions {
  /**
   * fsync on: commits survive power loss (benchmarks measure that). Off by default: tests of
   * behaviour need not wait for the disk.
   */
  durable?: boolean;
}

export class PostgresInstance {
  private process: GuardedProcess | undefined;

  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    private readonly port: number,
    private readonly durable: boolean,
  ) {}

  /** initdb and start; throws ServiceMissingError when PostgreSQL is not installed. */
  static async start(options: PostgresOptions = {}): Promise<PostgresInstance> {
    const bin = postgresBinDir();
    if (bin === undefined) throw notInstalled();
    const dir = serviceDir("pg");
    runAsServiceUser(join(bin, "initdb"), [
      "-D",
      join(dir, "data"),
      "-U",
      "postgres",
      "--auth=trust",
      "-E",
      "UTF8",
      "--no-sync",
    ]);
    // The port only names the socket file; nothing listens on TCP.
    const instance = new PostgresInstance(bin, dir, await freePort(), options.durable ?? false);
    await instance.restart();
    return instance;
  }

  /** The URL of database `database` (default postgres) over the unix socket. */
  url(database = "postgres"): string {
    return `postgres://postgres@${encodeURIComponent(this.dir)}:${this.port}/${database}`;
  }

  /** Creates a fresh database and answers its URL. */
  async createDatabase(name: string): Promise<string> {
    await this.query(`CREATE DATABASE ${name}`);
    return this.url(name);
  }

  /** Runs `sql` on a connection of its own (to the database at `url`, by default postgres). */
  async query(sql: string, url = this.url()): Promise<void> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }

  /** Starts the server (again) on the same data; answers once it accepts connections. */
  async restart(): Promise<void> {
    if (this.process !== undefined) return;
    const settings = [
      `listen_addresses=`,
      `unix_socket_directories=${this.dir}`,
      `port=${this.port}`,
      `fsync=${this.durable ? "on" : "off"}`,
      `full_page_writes=${this.durable ? "on" : "off"}`,
      "max_connections=200",
      "shared_buffers=32MB",
    ];
    this.process = startGuarded(
      join(this.bin, "postgres"),
      ["-D", join(this.dir, "data"), ...settings.flatMap((setting) => ["-c", setting])],
      "QUIT",
    );
    const started = this.process;
    await waitUntil(
      "PostgreSQL to accept connections",
      async () => {
        const client = new pg.Client({ connectionString: this.url() });
        client.on("error", () => undefined);
        try {
          await client.connect();
          await client.end();
          return true;
        } catch {
          return false;
        }
      },
      () => started.output(),
    );
  }

  /** Stops the server at once, as a crash would (the data stays for `restart`). */
  async stopServer(): Promise<void> {
    const running = this.process;
    this.process = undefined;
    await running?.stop();
  }

  /** Stops the server and removes its data. */
  async stop(): Promise<void> {
    await this.stopServer();
    removeDir(this.dir);
  }
}
