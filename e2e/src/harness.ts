/**
 * Black-box harness: starts real `secure-chat` processes on free ports with temp dirs and
 * talks to them over real sockets. Every wait has a deadline, and every process is killed
 * when the test ends.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { get as httpGetRequest, type IncomingHttpHeaders } from "node:http";
import { get as httpsGetRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ClientConfig, ClientState } from "ts-mls";
import { WebSocket } from "ws";
import { ChatClient, decodeState, type ClientStore } from "@secure-chat/client";
import { SqliteClientStore } from "@secure-chat/cli/sqlite-store";
import type { UserName } from "@secure-chat/protocol";

/** The `secure-chat` command, as the tests run it. */
export const BIN = fileURLToPath(new URL("../../packages/cli/bin/secure-chat.js", import.meta.url));
const DEFAULT_TIMEOUT_MS = 30_000;
/** Clients' local state is sealed with a passphrase; tests pass it like a script would. */
export const PASSPHRASE = "correct horse battery staple";
export const chatEnv = { ...process.env, SECURE_CHAT_PASSPHRASE: PASSPHRASE };
const running = new Set<ChildProcessWithoutNullStreams>();

process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
  // In a test file's process, leave now, every result reported: Node 20's exit-time cleanup of
  // handles can spin forever on sockets the fault proxy reset (seen in faults.test; gdb:
  // FreeEnvironment -> CleanupHandles). process.exit from an `exit` listener skips that cleanup
  // and keeps the exit code, but also every `exit` listener after this one, so only there (the
  // bench imports this module and kills its own children on exit).
  if (process.env["NODE_TEST_CONTEXT"] !== undefined) process.exit();
});

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `secure-chat-${prefix}-`));
}

export { freePort } from "@secure-chat/server/testing";

/** Polls `probe` until it returns a value; throws after `timeoutMs`. */
export async function until<T>(what: string, probe: () => T | undefined, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

class Proc {
  readonly stdoutLines: string[] = [];
  stderr = "";
  exitCode: number | null | undefined;
  private readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    running.add(child);
    let buffer = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) this.onLine(line);
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) =>
      child.on("exit", (code) => {
        running.delete(child);
        this.exitCode = code;
        resolve(code);
      }),
    );
  }

  protected onLine(line: string): void {
    this.stdoutLines.push(line);
  }

  wait(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<number | null> {
    return Promise.race([
      this.exited,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`process did not exit within ${timeoutMs} ms`)), timeoutMs).unref(),
      ),
    ]);
  }

  kill(signal: NodeJS.Signals = "SIGKILL"): Promise<number | null> {
    if (this.exitCode === undefined) this.child.kill(signal);
    return this.exited;
  }
}

export class ServerProcess extends Proc {
  url = "";

  /** With `onlyArgs`, the server gets those arguments alone (no --port, no --data: a config file's test). */
  static async start(
    options: { dataDir?: string; port?: number; args?: string[]; onlyArgs?: boolean } = {},
  ): Promise<ServerProcess> {
    const dataDir = options.dataDir ?? tempDir("server");
    const placement = options.onlyArgs === true ? [] : ["--port", String(options.port ?? 0), "--data", dataDir];
    const child = spawn(process.execPath, [BIN, "server", ...placement, ...(options.args ?? [])], { stdio: "pipe" });
    const server = new ServerProcess(child, dataDir);
    server.url = await until("the server's ready line", () => {
      if (server.exitCode !== undefined) throw new Error(`server exited early: ${server.stderr}`);
      for (const line of server.stdoutLines) {
        const match = /listening on (wss?:\/\/\S+)/.exec(line);
        if (match?.[1] !== undefined) return match[1];
      }
      return undefined;
    });
    return server;
  }

  constructor(
    child: ChildProcessWithoutNullStreams,
    readonly dataDir: string,
  ) {
    super(child);
  }

  /** Waits until the server's log (stderr) contains `event`. */
  async waitForLog(event: string, timeoutMs?: number): Promise<void> {
    await until(
      `server log ${event}`,
      () => (this.stderr.includes(`"event":"${event}"`) ? true : undefined),
      timeoutMs,
    );
  }

  /** Every byte the server wrote: its data directory files and its logs. */
  everythingWritten(): Buffer {
    const parts: Buffer[] = [Buffer.from(this.stdoutLines.join("\n")), Buffer.from(this.stderr)];
    for (const file of filesUnder(this.dataDir)) parts.push(readFileSync(file));
    return Buffer.concat(parts);
  }
}

/**
 * A plain HTTP GET of `path` on the port of the server at `serverUrl`, on a connection of its own:
 * HTTPS for a wss:// server, trusting the certificate `ca` (PEM) whatever name it was made for.
 */
export function httpGet(
  serverUrl: string,
  path: string,
  headers: Record<string, string> = {},
  ca?: string,
): Promise<{ status: number; body: string; headers: IncomingHttpHeaders }> {
  const url = new URL(path, serverUrl.replace(/^ws/, "http"));
  const get = url.protocol === "https:" ? httpsGetRequest : httpGetRequest;
  const tls = { ca, checkServerIdentity: () => undefined };
  return new Promise((resolve, reject) => {
    const request = get(url, { headers, agent: false, timeout: DEFAULT_TIMEOUT_MS, ...tls }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body, headers: response.headers }));
      response.on("error", reject);
    });
    request.on("timeout", () => request.destroy(new Error(`no answer to GET ${url.href}`)));
    request.on("error", reject);
  });
}

export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

export type JsonEvent = { type: string } & Record<string, unknown>;

/** A `secure-chat chat --json` process: stdin lines in, NDJSON events out. */
export class ChatProcess extends Proc {
  readonly events: JsonEvent[] = [];
  /** When each event arrived (ms since epoch), index-aligned with `events`. */
  readonly arrivals: number[] = [];

  static async start(name: string, server: string, home: string, extraArgs: string[] = []): Promise<ChatProcess> {
    const chat = ChatProcess.spawn(name, server, home, extraArgs);
    await chat.waitFor("ready event", (e) => e.type === "ready");
    return chat;
  }

  /** Starts the process without waiting for `ready` (for starts that are meant to fail). */
  static spawn(name: string, server: string, home: string, extraArgs: string[] = []): ChatProcess {
    return ChatProcess.run("chat", name, server, home, extraArgs);
  }

  /** `secure-chat link` for a new device of `name`'s account: it prints link_code, link_sas, linked, then chats. */
  static link(name: string, server: string, home: string, extraArgs: string[] = []): ChatProcess {
    return ChatProcess.run("link", name, server, home, extraArgs);
  }

  private static run(command: string, name: string, server: string, home: string, extraArgs: string[]): ChatProcess {
    const child = spawn(
      process.execPath,
      [BIN, command, "--json", "--server", server, "--home", home, ...extraArgs, name],
      { stdio: "pipe", env: chatEnv },
    );
    return new ChatProcess(child, name, home);
  }

  constructor(
    child: ChildProcessWithoutNullStreams,
    readonly name: string,
    readonly home: string,
  ) {
    super(child);
  }

  protected override onLine(line: string): void {
    super.onLine(line);
    this.arrivals.push(Date.now());
    try {
      this.events.push(JSON.parse(line) as JsonEvent);
    } catch {
      this.events.push({ type: "unparsed", line });
    }
  }

  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  /** Waits for an event matching `match` (searching from event index `from`). */
  async waitFor(what: string, match: (event: JsonEvent) => boolean, from = 0, timeoutMs?: number): Promise<JsonEvent> {
    return until(
      `${this.name}: ${what}`,
      () => {
        if (this.exitCode !== undefined) {
          throw new Error(`${this.name} exited (${this.exitCode}) while waiting for ${what}: ${this.stderr}`);
        }
        return this.events.slice(from).find(match);
      },
      timeoutMs,
    );
  }

  messages(room?: string): JsonEvent[] {
    return this.events.filter((e) => e.type === "message" && (room === undefined || e.room === room));
  }

  async waitForMessages(count: number, room?: string, timeoutMs?: number): Promise<JsonEvent[]> {
    return until(
      `${this.name}: ${count} messages${room ? ` in ${room}` : ""}`,
      () => {
        if (this.exitCode !== undefined) throw new Error(`${this.name} exited: ${this.stderr}`);
        const found = this.messages(room);
        return found.length >= count ? found : undefined;
      },
      timeoutMs,
    );
  }

  /** Sends a command and waits for its reply event of `type`. */
  async command(line: string, type: string): Promise<JsonEvent> {
    const from = this.events.length;
    this.send(line);
    return this.waitFor(`reply to ${line}`, (e) => e.type === type || e.type === "error", from);
  }

  /** Ends stdin (like Ctrl-D) and waits for a clean exit. */
  async quit(): Promise<number | null> {
    this.child.stdin.end();
    return this.wait();
  }
}

export function uniqueMarker(label: string): string {
  return `${label}-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
}

/** A server and clients that have all joined #lobby; `stop()` ends every process it knows. */
export class Lobby {
  private constructor(
    readonly server: ServerProcess,
    private readonly clients: Map<string, ChatProcess>,
  ) {}

  static async start(names: string[], serverOptions: Parameters<typeof ServerProcess.start>[0] = {}): Promise<Lobby> {
    const server = await ServerProcess.start(serverOptions);
    const lobby = new Lobby(server, new Map());
    for (const name of names) await lobby.add(name);
    const [first] = names;
    const last = names.at(-1);
    if (first !== undefined && last !== undefined && first !== last) {
      await lobby.get(first).waitFor(`${last} joined`, (e) => e.type === "member" && e.name === last);
    }
    return lobby;
  }

  /** Starts (or restarts, with the same home) the client `name`. */
  async add(name: string, home?: string): Promise<ChatProcess> {
    const client = await ChatProcess.start(
      name,
      this.server.url,
      home ?? this.clients.get(name)?.home ?? tempDir(name),
    );
    this.clients.set(name, client);
    return client;
  }

  get(name: string): ChatProcess {
    const client = this.clients.get(name);
    if (client === undefined) throw new Error(`no client ${name}`);
    return client;
  }

  all(): ChatProcess[] {
    return [...this.clients.values()];
  }

  async stop(): Promise<void> {
    await Promise.all(this.all().map((c) => c.kill()));
    await this.server.kill();
  }
}

/** A client's saved MLS state for a group, read from its (stopped) home folder. */
export async function savedGroupState(home: string, groupId: string, config: ClientConfig): Promise<ClientState> {
  const store = new SqliteClientStore(home, PASSPHRASE);
  try {
    const record = (await store.groups()).find((g) => g.groupId === groupId);
    if (record === undefined) throw new Error(`no saved state for ${groupId} in ${home}`);
    return decodeState(record.state, config);
  } finally {
    await store.close();
  }
}

/**
 * A client of the library in this process (not a `secure-chat` process), for tests that read its
 * memory or fail its store on cue; `wrap` may stand between it and its SQLite store.
 */
export function inProcessClient(
  name: string,
  serverUrl: string,
  options: { home?: string; wrap?: (store: ClientStore) => ClientStore; reconnect?: boolean } = {},
): ChatClient {
  const store = new SqliteClientStore(options.home ?? tempDir(`in-process-${name}`), PASSPHRASE);
  return new ChatClient({
    name: name as UserName,
    server: serverUrl,
    store: options.wrap?.(store) ?? store,
    socketFactory: (url) => new WebSocket(url),
    reconnect: options.reconnect,
  });
}
