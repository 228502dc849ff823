import { connect, headers, type MsgHdrs, type NatsConnection } from "nats";
import type { GroupId, UserName } from "@secure-chat/protocol";
import type { Bus, DeliveryTarget } from "./bus.js";
import { deliverySeq } from "./delivery-seq.js";
import { MemoryBus } from "./memory-bus.js";

/** Subjects, under one prefix so several deployments can share a NATS server. */
const subjects = (prefix: string) => ({
  frames: `${prefix}.frames`,
  presence: `${prefix}.presence`,
  members: `${prefix}.members`,
});

/** How often a node tells the others everyone online on it; a node silent for three of these is gone. */
export const PRESENCE_INTERVAL_MS = 2_000;
const PRESENCE_EXPIRY_MS = 3 * PRESENCE_INTERVAL_MS;

interface RemoteNode {
  online: Set<UserName>;
  heardAt: number;
}

interface PresenceMessage {
  node: string;
  /** Everyone online on that node (a snapshot), or one change. */
  names?: UserName[];
  name?: UserName;
  online?: boolean;
}

export interface NatsBusOptions {
  /** This node's name, unique among the nodes: a node ignores what it published itself. */
  nodeId: string;
  /** Subject prefix (default secure-chat). */
  prefix?: string;
  now?: () => number;
  onStatus?: (event: string, detail: string) => void;
}

/**
 * Core NATS publish/subscribe between nodes: best effort by design (nothing is kept while a
 * node is away), so it carries hints, never the only copy of anything: every delivery is in
 * PostgreSQL, and a node's connections fetch their deliveries from there in seq order (see
 * OrderedDelivery) whatever the bus brought, lost or reordered. Local subscribers are reached
 * through an in-process MemoryBus; each published frame also goes out once on NATS with its
 * recipients in a header, and every other node hands it to its own subscribers of them.
 *
 * Presence: each node announces changes and, every PRESENCE_INTERVAL_MS, everyone online on it;
 * a node not heard from for three intervals (killed) is taken to have nobody online.
 */
export class NatsBus implements Bus {
  readonly crossNode = true;
  announcedSeq = 0;
  private readonly local = new MemoryBus();
  private readonly subjects;
  private readonly remote = new Map<string, RemoteNode>();
  private readonly onlineHere = new Set<UserName>();
  private readonly membersListeners: ((groupId: GroupId) => void)[] = [];
  /** The recipients header of a member set, made once per set (sets are values, see Bus). */
  private readonly recipientHeaders = new WeakMap<ReadonlySet<UserName>, string>();
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly options: NatsBusOptions,
  ) {
    this.subjects = subjects(options.prefix ?? "secure-chat");
    this.now = options.now ?? Date.now;
    this.nc.subscribe(this.subjects.frames, {
      callback: (error, msg) => error ?? this.receiveFrame(msg.headers, msg.data),
    });
    this.nc.subscribe(this.subjects.presence, {
      callback: (error, msg) => error ?? this.receivePresence(msg.json<PresenceMessage>()),
    });
    this.nc.subscribe(this.subjects.members, {
      callback: (error, msg) => {
        if (error !== null) return;
        const { node, groupId } = msg.json<{ node: string; groupId: GroupId }>();
        if (node !== options.nodeId) for (const listener of this.membersListeners) listener(groupId);
      },
    });
    this.timer = setInterval(() => this.sharePresenceSnapshot(), PRESENCE_INTERVAL_MS);
    this.timer.unref();
    void this.watchStatus();
  }

  /** Connects to `url` (nats://host:port), reconnecting for ever once connected. */
  static async connect(url: string, options: NatsBusOptions): Promise<NatsBus> {
    const nc = await connect({
      servers: url,
      name: `secure-chat ${options.nodeId}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
    const bus = new NatsBus(nc, options);
    // The server has our subscriptions once it answers: nothing published after this is missed.
    await nc.flush();
    return bus;
  }

  publish(recipients: readonly UserName[], frame: Uint8Array): void {
    this.local.publish(recipients, frame);
    this.send(recipients.join(","), undefined, frame);
  }

  publishToGroup(members: ReadonlySet<UserName>, frame: Uint8Array, except?: UserName): void {
    this.local.publishToGroup(members, frame, except);
    let to = this.recipientHeaders.get(members);
    if (to === undefined) {
      to = [...members].join(",");
      this.recipientHeaders.set(members, to);
    }
    this.send(to, except, frame);
  }

  subscribe(name: UserName, target: DeliveryTarget): () => void {
    return this.local.subscribe(name, target);
  }

  shareOnline(name: UserName, online: boolean): void {
    if (online) this.onlineHere.add(name);
    else this.onlineHere.delete(name);
    this.publishJson(this.subjects.presence, { node: this.options.nodeId, name, online });
  }

  onlineElsewhere(name: UserName): boolean {
    for (const node of this.liveNodes()) if (node.online.has(name)) return true;
    return false;
  }

  namesOnlineElsewhere(): Set<UserName> {
    const names = new Set<UserName>();
    for (const node of this.liveNodes()) for (const name of node.online) names.add(name);
    return names;
  }

  shareMembersChanged(groupId: GroupId): void {
    this.publishJson(this.subjects.members, { node: this.options.nodeId, groupId });
  }

  onMembersChanged(listener: (groupId: GroupId) => void): void {
    this.membersListeners.push(listener);
  }

  /** A round trip to the NATS server; no URL in the error, which /healthz shows to anyone. */
  async ping(): Promise<void> {
    if (this.nc.isClosed()) throw new Error("the bus is closed");
    try {
      await this.nc.rtt();
    } catch (error) {
      throw new Error(`NATS does not answer: ${(error as Error).message}`, { cause: error });
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.local.close();
    void this.nc.close();
  }

  private send(to: string, except: UserName | undefined, frame: Uint8Array): void {
    const seq = deliverySeq(frame);
    if (seq !== undefined) this.announcedSeq = Math.max(this.announcedSeq, seq);
    if (this.nc.isClosed()) return;
    const h = headers();
    h.set("node", this.options.nodeId);
    if (seq !== undefined) h.set("seq", String(seq));
    h.set("to", to);
    if (except !== undefined) h.set("except", except);
    this.publishOnNats(this.subjects.frames, frame, h);
  }

  private receiveFrame(h: MsgHdrs | undefined, frame: Uint8Array): void {
    if (h === undefined || h.get("node") === this.options.nodeId) return;
    const seq = Number(h.get("seq"));
    if (Number.isSafeInteger(seq)) this.announcedSeq = Math.max(this.announcedSeq, seq);
    const except = h.get("except");
    const to = h.get("to").split(",") as UserName[];
    this.local.publish(except === "" ? to : to.filter((name) => name !== except), frame);
  }

  private receivePresence(message: PresenceMessage): void {
    if (message.node === this.options.nodeId) return;
    let node = this.remote.get(message.node);
    if (node === undefined || message.names !== undefined) {
      node = { online: new Set(message.names ?? []), heardAt: this.now() };
      this.remote.set(message.node, node);
    }
    node.heardAt = this.now();
    if (message.name !== undefined) {
      if (message.online === true) node.online.add(message.name);
      else node.online.delete(message.name);
    }
  }

  private sharePresenceSnapshot(): void {
    this.publishJson(this.subjects.presence, { node: this.options.nodeId, names: [...this.onlineHere] });
  }

  private *liveNodes(): Iterable<RemoteNode> {
    const now = this.now();
    for (const [id, node] of this.remote) {
      if (now - node.heardAt > PRESENCE_EXPIRY_MS) this.remote.delete(id);
      else yield node;
    }
  }

  private publishJson(subject: string, value: unknown): void {
    if (this.nc.isClosed()) return;
    this.publishOnNats(subject, JSON.stringify(value));
  }

  /** While NATS is away the client buffers a little and drops the rest: deliveries are fetched anyway. */
  private publishOnNats(subject: string, data: Uint8Array | string, h?: MsgHdrs): void {
    try {
      this.nc.publish(subject, data, h === undefined ? undefined : { headers: h });
    } catch (error) {
      this.options.onStatus?.("bus_publish_failed", String(error));
    }
  }

  private async watchStatus(): Promise<void> {
    for await (const status of this.nc.status()) {
      // A node back on the bus tells the others who is here at once.
      if (status.type === "reconnect") this.sharePresenceSnapshot();
      this.options.onStatus?.(`bus_${status.type}`, String(status.data));
    }
  }
}
