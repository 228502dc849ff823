/**
 * One load-generator process (started by generator.ts with child_process.fork). It holds a
 * share of the connections of one scenario and obeys commands from the parent over IPC:
 * connect users, run setup requests, send (flood or fixed rate), reset and collect counters.
 */
import { ACK_INTERVAL_MS, type ClientFrame } from "@secure-chat/protocol";
import { Counters } from "./counters.js";
import { nowMs } from "./raw-ws.js";
import { IrcClient, RelayClient, SocketIoReceiver, SocketIoSender, type LoadConnection } from "./reference-clients.js";
import { SecureChatClient, sendTemplate, type BenchUser } from "./secure-chat-client.js";

export type ServerKind = "secure-chat" | "ws-relay" | "socketio" | "ngircd";

export interface ConnectCommand {
  cmd: "connect";
  kind: ServerKind;
  host: string;
  port: number;
  users: BenchUser[];
  /** Senders get a message template and send when told; receivers only receive. */
  sender: boolean;
  /** Room to join (reference servers); secure-chat membership is set up by commits. */
  room: string | undefined;
  concurrency: number;
  /** Stop starting new connections after this many ms (the rest are reported as skipped). */
  budgetMs?: number;
}

export interface ConnectResult {
  connected: number;
  failed: number;
  skipped: number;
  firstError?: string;
}

export type Command =
  | ConnectCommand
  | { cmd: "request"; user: string; frame: ClientFrame }
  | { cmd: "message"; groupId: string; mls: Uint8Array; size: number }
  | { cmd: "start"; mode: "flood"; window: number; limit?: number }
  | { cmd: "start"; mode: "rate"; perSenderPerSecond: number }
  | { cmd: "stop" }
  | { cmd: "acks"; enabled: boolean }
  | { cmd: "reset" }
  | { cmd: "collect" }
  | { cmd: "waitDeliveries"; count: number; timeoutMs: number }
  | { cmd: "close" };

export interface Collected {
  elapsedMs: number;
  deliveries: number;
  other: number;
  sent: number;
  acked: number;
  ackedTotal: number;
  misorderedTotal: number;
  histogram: number[];
  connections: number;
  closed: number;
}

const counters = new Counters();
const connections: LoadConnection[] = [];
const secureChat = new Map<string, SecureChatClient>();
const scClients: SecureChatClient[] = [];
const senders: LoadConnection[] = [];
let sending: { stop(): void } | undefined;
let acksEnabled = true;
let scTemplate: { template: Buffer; payloadOffset: number } | undefined;

// Acknowledge like the real client: the highest seq received, at most every ACK_INTERVAL_MS.
setInterval(() => {
  if (!acksEnabled) return;
  for (const client of scClients) client.flushAck();
}, ACK_INTERVAL_MS).unref();

function asConnection(client: SecureChatClient): LoadConnection {
  const connection: LoadConnection = {
    name: client.user.name,
    get closed() {
      return client.closed;
    },
    onAck: undefined,
    sendMessage(now) {
      if (scTemplate === undefined) throw new Error("no message template");
      client.sendStamped(scTemplate.template, scTemplate.payloadOffset, now);
    },
    close: () => client.close(),
  };
  client.onAck = () => connection.onAck?.();
  return connection;
}

async function open(command: ConnectCommand, user: BenchUser): Promise<LoadConnection> {
  const { host, port, room } = command;
  switch (command.kind) {
    case "secure-chat": {
      const client = await SecureChatClient.connect(host, port, user, counters);
      secureChat.set(user.name, client);
      scClients.push(client);
      return asConnection(client);
    }
    case "ws-relay":
      return RelayClient.connect(host, port, user.name, counters);
    case "socketio":
      return command.sender && room !== undefined
        ? SocketIoSender.connect(host, port, user.name, room, counters)
        : SocketIoReceiver.connect(host, port, user.name, room, counters);
    case "ngircd":
      return IrcClient.connect(host, port, user.name, room, counters);
  }
}

async function connectAll(command: ConnectCommand): Promise<ConnectResult> {
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const deadline = nowMs() + (command.budgetMs ?? Infinity);
  const lane = async (): Promise<void> => {
    while (next < command.users.length && nowMs() < deadline) {
      const user = command.users[next++]!;
      try {
        const connection = await open(command, user);
        connections.push(connection);
        if (command.sender) senders.push(connection);
      } catch (error) {
        failed++;
        firstError ??= String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, command.concurrency) }, lane));
  const skipped = command.users.length - next;
  return { connected: next - failed, failed, skipped, firstError };
}

/** Each sender keeps `window` messages unacknowledged; `limit` stops after that many in all. */
function startFlood(window: number, limit = Infinity): { stop(): void } {
  let running = true;
  let total = 0;
  const send = (sender: LoadConnection): void => {
    if (!running || total >= limit) return;
    total++;
    counters.sent++;
    sender.sendMessage(nowMs());
  };
  for (const sender of senders) {
    sender.onAck = () => {
      counters.acked++;
      counters.ackedTotal++;
      send(sender);
    };
    for (let i = 0; i < window; i++) send(sender);
  }
  return { stop: () => (running = false) };
}

/** Open loop: each sender sends on schedule whatever the answers do (no coordinated omission). */
function startRate(perSecond: number): { stop(): void } {
  const start = nowMs();
  let sent = 0;
  for (const sender of senders)
    sender.onAck = () => {
      counters.acked++;
      counters.ackedTotal++;
    };
  const timer = setInterval(() => {
    const due = Math.floor(((nowMs() - start) / 1000) * perSecond);
    for (; sent < due; sent++) {
      for (const sender of senders) {
        counters.sent++;
        sender.sendMessage(nowMs());
      }
    }
  }, 1);
  return { stop: () => clearInterval(timer) };
}

async function waitDeliveries(count: number, timeoutMs: number): Promise<{ ms: number; deliveries: number }> {
  const deadline = nowMs() + timeoutMs;
  while (counters.deliveries < count && nowMs() < deadline) await new Promise((resolve) => setImmediate(resolve));
  return { ms: nowMs() - counters.since, deliveries: counters.deliveries };
}

async function run(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case "connect":
      return connectAll(command);
    case "request": {
      const client = secureChat.get(command.user);
      if (client === undefined) throw new Error(`no connection for ${command.user}`);
      return client.request(command.frame);
    }
    case "message":
      scTemplate = sendTemplate(command.groupId, command.mls);
      for (const sender of senders) {
        if (sender instanceof RelayClient || sender instanceof SocketIoSender) sender.setPayload(command.mls);
        if (sender instanceof IrcClient) sender.setText(command.groupId, command.size);
      }
      return undefined;
    case "start":
      sending?.stop();
      sending =
        command.mode === "flood" ? startFlood(command.window, command.limit) : startRate(command.perSenderPerSecond);
      return undefined;
    case "stop":
      sending?.stop();
      sending = undefined;
      return undefined;
    case "acks":
      acksEnabled = command.enabled;
      return undefined;
    case "reset":
      counters.reset(nowMs());
      return undefined;
    case "collect":
      return {
        elapsedMs: nowMs() - counters.since,
        deliveries: counters.deliveries,
        other: counters.other,
        sent: counters.sent,
        acked: counters.acked,
        ackedTotal: counters.ackedTotal,
        misorderedTotal: counters.misorderedTotal,
        histogram: counters.histogram,
        connections: connections.length,
        closed: connections.filter((c) => c.closed).length,
      } satisfies Collected;
    case "waitDeliveries":
      return waitDeliveries(command.count, command.timeoutMs);
    case "close":
      sending?.stop();
      for (const connection of connections) connection.close();
      setTimeout(() => process.exit(0), 50);
      return undefined;
  }
}

process.on("message", (message: { id: number; command: Command }) => {
  run(message.command).then(
    (value) => process.send?.({ id: message.id, ok: true, value }),
    (error: unknown) => process.send?.({ id: message.id, ok: false, error: String(error) }),
  );
});
process.on("disconnect", () => process.exit(0));
