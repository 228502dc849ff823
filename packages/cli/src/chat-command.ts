import { existsSync, rmSync } from "node:fs";
import { homedir, hostname } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import {
  ChatClient,
  ChatSession,
  ClientError,
  UiEvents,
  linkNewDevice,
  parseCommand,
  parseJsonModeLine,
  type SocketFactory,
  type UiEvent,
  type UiSink,
} from "@secure-chat/client";
import { parseUserName, roomLabel, type UserName } from "@secure-chat/protocol";
import { numberFlag, parseArgs } from "./args.js";
import { CliExit, exitCodes } from "./exit.js";
import { closeTelling } from "./closing.js";
import { foldToWidth, formatHuman } from "./format-human.js";
import { terminalLine } from "./terminal-safe.js";
import { localFiles } from "./local-files.js";
import { pinningSocketFactory } from "./known-servers.js";
import { promptHidden, unlockHome } from "./passphrase.js";
import { SqliteClientStore } from "./store/sqlite-store.js";

export const chatUsage =
  "secure-chat chat [--server URL] [--home DIR] [--json | --plain] [--no-bell] [--heartbeat SECONDS]\n" +
  "                 [--login-timeout SECONDS] [--accept-new-cert] [--trust-new-keys] [--no-typing]\n" +
  "                 [--no-receipts] NAME";
export const linkUsage =
  "secure-chat link [--server URL] [--home DIR] [--label TEXT] [--json | --plain] [chat flags] NAME";
const DEFAULT_SERVER = "ws://127.0.0.1:7447";

export type ChatMode = "tui" | "line" | "json";

/**
 * Which interface runs: the full-screen UI on a terminal (stdin and stdout both TTYs), unless
 * `--plain` asks for the line mode; `--json` is the scripting interface, always.
 */
export function chooseMode(options: {
  json: boolean;
  plain: boolean;
  stdinTTY: boolean;
  stdoutTTY: boolean;
}): ChatMode {
  if (options.json) return "json";
  if (options.plain || !options.stdinTTY || !options.stdoutTTY) return "line";
  return "tui";
}

/** The full-screen UI rings the bell on mentions and private messages unless `--no-bell` or SECURE_CHAT_BELL=off|0. */
export function bellEnabled(noBellFlag: boolean, env: Record<string, string | undefined>): boolean {
  const setting = env.SECURE_CHAT_BELL?.trim().toLowerCase();
  return !noBellFlag && setting !== "0" && setting !== "off" && setting !== "false" && setting !== "no";
}

/**
 * Composition root of the terminal client: SQLite store, `ws` sockets, readline or the full-screen
 * UI. `link`: this home becomes a new device of NAME's account first (secure-chat link), then chats.
 */
export async function runChat(argv: readonly string[], link = false): Promise<void> {
  const parsed = parseArgs(argv, {
    ...(link ? { label: "string" as const } : {}),
    server: "string",
    home: "string",
    json: "boolean",
    plain: "boolean",
    "no-bell": "boolean",
    heartbeat: "string",
    "login-timeout": "string",
    "accept-new-cert": "boolean",
    "trust-new-keys": "boolean",
    "no-typing": "boolean",
    "no-receipts": "boolean",
  });
  if (parsed.kind === "error") throw new CliExit(exitCodes.usage, "BAD_FLAG", `${parsed.message}\nusage: ${chatUsage}`);
  const [rawName, extra] = parsed.positionals;
  if (rawName === undefined || extra !== undefined) {
    throw new CliExit(exitCodes.usage, "BAD_FLAG", `give exactly one NAME\nusage: ${chatUsage}`);
  }
  const name = parseUserName(rawName);
  if (name === undefined) {
    throw new CliExit(exitCodes.usage, "BAD_NAME", `${rawName} is not a valid name: 1-32 of a-z, 0-9, _ and -`);
  }
  const server = (parsed.flags.server as string | undefined) ?? DEFAULT_SERVER;
  if (!/^wss?:\/\//.test(server))
    throw new CliExit(exitCodes.usage, "BAD_FLAG", `--server must be a ws:// or wss:// URL`);
  const home = (parsed.flags.home as string | undefined) ?? join(homedir(), ".secure-chat", name);
  const json = parsed.flags.json === true;
  const heartbeat = numberFlag(parsed.flags.heartbeat, "--heartbeat", { min: 0.05, max: 3600 });
  if (heartbeat.kind === "error") throw new CliExit(exitCodes.usage, "BAD_FLAG", heartbeat.message);
  const loginTimeout = numberFlag(parsed.flags["login-timeout"], "--login-timeout", { min: 0.5, max: 3600 });
  if (loginTimeout.kind === "error") throw new CliExit(exitCodes.usage, "BAD_FLAG", loginTimeout.message);
  const plain = parsed.flags.plain === true;
  if (json && plain) throw new CliExit(exitCodes.usage, "BAD_FLAG", `--json and --plain exclude each other`);
  const mode = chooseMode({
    json,
    plain,
    stdinTTY: process.stdin.isTTY === true,
    stdoutTTY: process.stdout.isTTY === true,
  });

  // A home made by this run is removed again if the first start can't reach the server.
  const newHome = existsSync(home) ? undefined : home;
  let store: SqliteClientStore;
  try {
    store = await unlockHome(
      home,
      (passphrase) => new SqliteClientStore(home, passphrase),
      process.stdin.isTTY === true ? promptHidden : undefined,
      (line) => void process.stderr.write(`secure-chat: ${line}\n`),
    );
  } catch (error) {
    if (error instanceof CliExit) throw error;
    const code = error instanceof ClientError ? error.code : "STATE_CORRUPT";
    const wayBack =
      code === "BAD_PASSPHRASE"
        ? ""
        : code === "DISK_FULL"
          ? " Free some space and start again: nothing in the folder was changed."
          : ` Move the folder aside (mv ${home} ${home}.broken) and follow "Lost or damaged client state" in the README.`;
    throw new CliExit(exitCodes.failure, code, `${(error as Error).message}.${wayBack}`);
  }
  // Notices from the socket layer (certificate pinning) go to whichever interface runs.
  let notice: (message: string) => void = () => undefined;
  const socketFactory = pinningSocketFactory(home, parsed.flags["accept-new-cert"] === true, (message) =>
    notice(message),
  );
  if (link) {
    const label = (parsed.flags.label as string | undefined) ?? hostname();
    await linkHome({ name, server, home, store, label, json, newHome, socketFactory });
  }
  const client = new ChatClient({
    name,
    server,
    store,
    socketFactory,
    heartbeatMs: heartbeat.value === undefined ? undefined : heartbeat.value * 1000,
    handshakeIdleMs: loginTimeout.value === undefined ? undefined : loginTimeout.value * 1000,
    trustNewKeys: parsed.flags["trust-new-keys"] === true,
    typing: parsed.flags["no-typing"] !== true,
    receipts: parsed.flags["no-receipts"] !== true,
  });

  if (mode === "tui") {
    const { createTui } = await import("./tui/run-tui.js");
    const tui = createTui({
      self: name,
      server,
      home,
      client,
      bell: bellEnabled(parsed.flags["no-bell"] === true, process.env),
    });
    forwardEvents(client, tui.controller.event);
    notice = (message) => tui.controller.reply({ type: "info", message });
    await startClient(client, server, newHome);
    tui.controller.event(readyEvent(client, server));
    return tui.run(new ChatSession(client, tui.controller.reply, localFiles));
  }

  const interactive = mode === "line" && process.stdin.isTTY === true && process.stdout.isTTY === true;
  const input = createInterface({
    input: process.stdin,
    output: interactive ? process.stdout : undefined,
    terminal: interactive,
  });
  const print = (line: string): void => {
    if (interactive) {
      // Keep the line being typed intact: clear it, print above, redraw the prompt.
      process.stdout.write("\r\x1b[2K");
      process.stdout.write(`${line}\n`);
      input.prompt(true);
    } else {
      process.stdout.write(`${line}\n`);
    }
  };
  const sink: UiSink = json
    ? (event: UiEvent) => print(JSON.stringify(event))
    : (event: UiEvent) =>
        formatHuman(event).forEach((line) => {
          // On a terminal, fold long lines ourselves (see foldToWidth); a pipe gets them whole.
          const width = process.stdout.isTTY === true ? process.stdout.columns : undefined;
          const safe = terminalLine(line);
          (width === undefined ? [safe] : foldToWidth(safe, width)).forEach(print);
        });
  // The line mode's current room: where plain text goes, and what /leave, /who … act on.
  let current = "#lobby";
  // Line and JSON modes print the `connection` notices, not every state the link passes through.
  const showOnLine = (event: UiEvent): void => {
    if (event.type !== "link") sink(event);
  };
  forwardEvents(client, (event) => {
    if (event.type === "room" && (event.change === "left" || event.change === "removed") && event.room === current) {
      const next = client.joinedRooms()[0];
      current = next === undefined ? "#lobby" : roomLabel(next, name);
    }
    showOnLine(event);
    // A message printed here has been shown: its sender may see "seen", a room may count it
    // (/seen), unless --no-receipts; the client spaces a room's receipts out.
    if (event.type === "message" && event.from !== name) {
      const groupId = client.resolveRoom(event.room);
      if (groupId !== undefined) void client.seen(groupId, event.id);
    }
  });
  // Typing at a terminal (not a command) tells the current room, every few seconds at most.
  if (interactive) {
    process.stdin.on("keypress", () => {
      const groupId = client.resolveRoom(current);
      if (groupId !== undefined && !input.line.startsWith("/")) void client.typing(groupId);
    });
  }
  notice = (message) => sink({ type: "info", message });
  const session = new ChatSession(client, sink, localFiles);

  // Lines are carried out one after another, so messages keep the order they were typed in.
  // Input is read from the start: lines (and the end of input) that arrive while the client
  // logs in wait for it instead of being lost, so `printf 'hi\n' | secure-chat chat` sends "hi".
  let markStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  let chain: Promise<"quit" | undefined> = started.then(() => undefined);
  let quitting = false;
  const finish = (): void => {
    if (quitting) return;
    quitting = true;
    void chain.then(async () => {
      await closeTelling(client, (message) => sink({ type: "info", message }));
      process.exit(exitCodes.ok);
    });
  };
  input.on("line", (line) => {
    if (quitting) return;
    chain = chain.then(async () => {
      const outcome = await session.run(json ? parseJsonModeLine(line) : parseCommand(line), current);
      if (outcome?.kind === "focus") current = outcome.room;
      if (interactive) {
        input.setPrompt(`${current}> `);
        input.prompt(true);
      }
      return outcome?.kind === "quit" ? "quit" : undefined;
    });
    void chain.then((result) => {
      if (result === "quit") finish();
    });
  });
  input.on("close", finish);

  await startClient(client, server, newHome);
  sink(readyEvent(client, server));
  if (interactive) {
    input.setPrompt(`${current}> `);
    input.prompt();
  }
  markStarted();
}

/**
 * Makes this (new) home a device of `name`'s account: prints the code to type on the account's
 * first device and the string to compare, and returns once the first device approved it. A home
 * that already holds an identity is refused; a new one that was not linked is removed again.
 */
async function linkHome(options: {
  name: UserName;
  server: string;
  home: string;
  store: SqliteClientStore;
  label: string;
  json: boolean;
  newHome: string | undefined;
  socketFactory: SocketFactory;
}): Promise<void> {
  const { name, server, store, json } = options;
  const existing = await store.identity();
  if (existing !== undefined) {
    await store.close();
    throw new CliExit(
      exitCodes.usage,
      "BAD_ARGUMENT",
      `${options.home} is ${existing.name} already; start it with chat`,
    );
  }
  const say = (event: Record<string, string>, line: string): void =>
    void process.stdout.write(`${json ? JSON.stringify(event) : `secure-chat: ${line}`}\n`);
  try {
    const { identity, history } = await linkNewDevice({
      account: name,
      server,
      socketFactory: options.socketFactory,
      store,
      label: options.label,
      onCode: (code) => say({ type: "link_code", code }, `on ${name}'s first device, type: /devices link ${code}`),
      onSas: (sas) =>
        say({ type: "link_sas", sas }, `${name}'s first device must show ${sas}; approve there only if it does`),
    });
    say({ type: "linked", device: identity.name }, `linked: this device is ${identity.name}`);
    if ("refused" in history) say({ type: "history_refused", reason: history.refused }, history.refused);
    else {
      const { rooms, messages } = history;
      const counts = { type: "history_received", rooms: String(rooms), messages: String(messages) };
      say(counts, `received the last ${messages} messages of ${rooms} rooms from the approving device`);
    }
  } catch (error) {
    await store.close();
    if (options.newHome !== undefined) rmSync(options.newHome, { recursive: true, force: true });
    const code = error instanceof ClientError ? error.code : "INTERNAL";
    const message = code === "UNREACHABLE" ? `cannot reach the server at ${server}` : (error as Error).message;
    throw new CliExit(exitCodes.failure, code, message);
  }
}

/** Logs in and catches up; a failure is fatal (one stderr line, exit status 1). */
async function startClient(client: ChatClient, server: string, newHome: string | undefined): Promise<void> {
  try {
    await client.start();
  } catch (error) {
    const code = error instanceof ClientError ? error.code : "INTERNAL";
    // A first start that never reached the server, or whose name was refused as a look-alike,
    // leaves no home behind: nothing was registered, and the user is to choose another name.
    // (Any other failure keeps it: the server may already hold this key for the name.)
    if (newHome !== undefined && (code === "UNREACHABLE" || code === "NAME_CONFUSABLE")) {
      rmSync(newHome, { recursive: true, force: true });
    }
    const message = code === "UNREACHABLE" ? `cannot reach the server at ${server}` : (error as Error).message;
    throw new CliExit(exitCodes.failure, code, message);
  }
}

/** The client's events, as the terminal shows them, to `sink`. */
function forwardEvents(client: ChatClient, sink: UiSink): void {
  const events = new UiEvents(client.name as UserName, () => client.joinedRooms().flatMap((g) => client.who(g)));
  client.on((event) => events.from(event).forEach(sink));
}

function readyEvent(client: ChatClient, server: string): UiEvent {
  return {
    type: "ready",
    name: client.name,
    fingerprint: client.fingerprint,
    server,
    cipherSuite: client.cipherSuite,
    room: "#lobby",
  };
}
