import {
  accountOf,
  deviceNumberOf,
  directPeer,
  encodeDeviceRevocation,
  signDeviceRevocation,
  groupOfLabel,
  roomKind,
  type GroupId,
  type RoomKind,
  type UserName,
} from "@secure-chat/protocol";
import { ClientSession } from "./client-session.js";
import type { PendingApproval } from "./devices/linking.js";
import { idBytes, MAX_REACTION_BYTES, type StoredBody } from "./content/content.js";
import { idMatches, messageEvent, shortId } from "./engine/message-effects.js";
import { downloadFile, uploadFile } from "./files/file-transfer.js";
import { ClientError, errorCode, errorMessage } from "./errors.js";
import type { ChatEvent, ChatEventListener, LinkState, MemberInfo, MessageEvent } from "./events.js";
import { fingerprint, generateIdentity } from "./identity.js";
import type { SocketFactory } from "./link/rpc.js";
import { realTimers, sleep, type Timers } from "./link/timers.js";
import { Outages } from "./outages.js";
import { SerialQueue } from "./serial-queue.js";
import type { ClientStore, HistoryEntry } from "./store/store.js";
import { guardWrites } from "./store/write-guard.js";

export interface ChatClientOptions {
  name: UserName;
  server: string;
  store: ClientStore;
  socketFactory: SocketFactory;
  /** Reconnect with backoff when the connection drops (default true). */
  reconnect?: boolean;
  /** Ping interval; a link that answers nothing for two intervals is dropped and redialled. */
  heartbeatMs?: number;
  /** How long login and catch-up may go without a frame from the server before TIMEOUT (default 30 s). */
  handshakeIdleMs?: number;
  /** Timers and randomness (tests drive them by hand). */
  timers?: Timers;
  /** The clock, in ms since the epoch. */
  now?: () => number;
  /** Accept a peer's changed key at once instead of waiting for `trust(name)` (bots). */
  trustNewKeys?: boolean;
  /** Send (and show) typing notices; default true. */
  typing?: boolean;
  /** Send (and show) read receipts in private conversations; default true. */
  receipts?: boolean;
}

/** One device of our account, as `/devices` lists it. */
export interface DeviceInfo {
  device: UserName;
  label: string;
  fingerprint: string;
  /** When the account key certified it (ms; 0 for the first device). */
  addedAt: number;
  /** When the server last saw it log in (its word; 0 for never or not recorded). */
  lastSeen: number;
  revoked: boolean;
  thisDevice: boolean;
}

/** How many of a room's latest messages a short id is looked up among. */
const FIND_WINDOW = 1_000;

export interface RoomListing {
  groupId: GroupId;
  members: number;
  joined: boolean;
  kind: RoomKind;
}

/**
 * The chat client: the typed API every user interface builds on. It owns the serial queue
 * that everything touching group state runs through, in server order (network round trips
 * happen outside it, so deliveries keep flowing meanwhile), and hands the work to the parts:
 * the session (link, login, catch-up), rooms, the outbox and the store.
 */
export class ChatClient {
  readonly name: UserName;
  readonly server: string;
  private readonly store: ClientStore;
  private readonly listeners = new Set<ChatEventListener>();
  private readonly queue = new SerialQueue();
  private readonly outages = new Outages((event) => this.emit(event));
  private readonly timers: Timers;
  private readonly now: () => number;
  private session: ClientSession | undefined;

  constructor(private readonly options: ChatClientOptions) {
    this.name = options.name;
    this.server = options.server;
    this.timers = options.timers ?? realTimers;
    this.now = options.now ?? Date.now;
    // Any failed write, wherever it came from, halts the stream until the state is reloaded.
    this.store = guardWrites(options.store, {
      failed: (error) => this.session?.writeFailed(error),
      halted: () => this.session?.parts?.stream.halted ?? false,
    });
  }

  on(listener: ChatEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: ChatEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  get fingerprint(): string {
    const identity = this.session?.directory.self;
    return identity === undefined ? "" : fingerprint(identity.publicKey);
  }

  get cipherSuite(): string {
    return this.session?.parts?.cipherSuite ?? "";
  }

  get connectionState(): LinkState {
    return this.session?.link.state ?? "offline";
  }

  /** Loads or creates the identity, logs in, catches up, and makes sure we are in #lobby. */
  async start(): Promise<void> {
    const stored = await this.store.identity();
    // A linked device's home holds alice.N, which is alice's.
    if (stored !== undefined && accountOf(stored.name) !== this.name) {
      const message = `this home folder belongs to ${stored.name}; use another --home for ${this.name}`;
      throw new ClientError("BAD_ARGUMENT", message);
    }
    const identity = stored ?? generateIdentity(this.name);
    if (stored === undefined) await this.store.saveIdentity({ ...identity, server: this.server });
    const { socketFactory, reconnect = true, heartbeatMs = 15_000, handshakeIdleMs = 30_000 } = this.options;
    const trustNewKeys = this.options.trustNewKeys ?? false;
    this.session = new ClientSession({
      identity,
      store: this.store,
      queue: this.queue,
      timers: this.timers,
      outages: this.outages,
      now: this.now,
      emit: (event) => this.emit(event),
      trustNewKeys,
      notices: { typing: this.options.typing ?? true, receipts: this.options.receipts ?? true },
      link: { url: this.server, socketFactory, reconnect, heartbeatMs, dialTimeoutMs: 10_000, handshakeIdleMs },
    });
    await this.session.directory.load();
    await this.session.link.start();
    // A room that can't be joined (a damaged GroupInfo, say) must not stop the client starting.
    await this.join("#lobby" as GroupId).catch((error: unknown) => {
      const message = `could not join #lobby: ${errorMessage(error)}; everything else works (/join #lobby retries)`;
      this.emit({ type: "error", code: errorCode(error), message });
    });
  }

  /** Waits until every message we sent is acknowledged, then disconnects. */
  async close(): Promise<void> {
    while (!this.outboxEmpty) await sleep(this.timers, 20);
    await this.queue.idle();
    this.session?.close();
    await this.options.store.close();
  }

  private parts() {
    const parts = this.session?.parts;
    if (parts === undefined) throw new ClientError("DISCONNECTED", "not logged in yet");
    return parts;
  }

  private started(): ClientSession {
    if (this.session === undefined) throw new ClientError("DISCONNECTED", "not started yet");
    return this.session;
  }

  // ---------------------------------------------------------------- rooms and messages

  join(groupId: GroupId): Promise<void> {
    return this.parts().rooms.join(groupId);
  }

  leave(groupId: GroupId): Promise<void> {
    return this.parts().rooms.leave(groupId);
  }

  invite(groupId: GroupId, name: UserName): Promise<void> {
    return this.parts().rooms.invite(groupId, name);
  }

  kick(groupId: GroupId, name: UserName): Promise<void> {
    return this.parts().rooms.kick(groupId, name);
  }

  /**
   * Queues a message; it is sent as soon as the link is live, and shown once the server has
   * stored it. The answer is its id.
   */
  async send(groupId: GroupId, text: string): Promise<string> {
    return this.enqueue(groupId, { kind: "text", text });
  }

  private enqueue(groupId: GroupId, body: StoredBody): Promise<string> {
    const peer = directPeer(groupId, this.name);
    if (peer !== undefined) this.started().directory.requireTrusted(peer);
    return this.parts().outbox.enqueue(groupId, body);
  }

  /**
   * The stored message of `groupId` that `ref` names: its short id (as shown), a longer
   * prefix, or its whole id, among the last FIND_WINDOW messages.
   */
  async findMessage(groupId: GroupId, ref: string): Promise<HistoryEntry> {
    const found = (await this.store.history(groupId, FIND_WINDOW)).filter((m) => idMatches(m.id, ref));
    const [entry, other] = found;
    if (entry === undefined) throw new ClientError("NO_SUCH_MESSAGE", `no message ${ref} in ${groupId}`);
    if (other !== undefined) {
      throw new ClientError("BAD_ARGUMENT", `${ref} names ${found.length} messages in ${groupId}: type more of its id`);
    }
    if (idBytes(entry.id) === undefined) {
      throw new ClientError(
        "BAD_ARGUMENT",
        `message ${shortId(entry.id)} is from an older version: it can't be replied to, reacted to or changed`,
      );
    }
    if (entry.deleted === true) throw new ClientError("BAD_ARGUMENT", `message ${shortId(entry.id)} was deleted`);
    return entry;
  }

  /**
   * Sends a file: encrypted with a fresh key, its ciphertext uploaded to the server, then the
   * key and digest sent to the room in a message. The answer is that message's id.
   */
  async sendFile(groupId: GroupId, file: { name: string; contentType: string; bytes: Uint8Array }): Promise<string> {
    const peer = directPeer(groupId, this.name);
    if (peer !== undefined) this.started().directory.requireTrusted(peer);
    this.parts().engine.table.current(groupId); // NOT_IN_ROOM before anything is uploaded
    const ref = await uploadFile(() => this.started().link.connection(), groupId, file);
    return this.enqueue(groupId, { kind: "file", file: ref });
  }

  /** The file message `ref` names: downloaded, checked against its digest, decrypted (FILE_CORRUPT if not intact). */
  async fetchFile(groupId: GroupId, ref: string): Promise<{ name: string; bytes: Uint8Array }> {
    const entry = await this.findMessage(groupId, ref);
    if (entry.file === undefined) throw new ClientError("BAD_ARGUMENT", `message ${shortId(entry.id)} is not a file`);
    const bytes = await downloadFile(() => this.started().link.connection(), groupId, entry.file);
    return { name: entry.file.name, bytes };
  }

  /** Answers message `ref` (quoted by the interfaces). */
  async reply(groupId: GroupId, ref: string, text: string): Promise<string> {
    const target = await this.findMessage(groupId, ref);
    return this.enqueue(groupId, { kind: "text", text, replyTo: target.id });
  }

  /** Reacts to message `ref` with `emoji`; the same emoji again takes our reaction back. */
  async react(groupId: GroupId, ref: string, emoji: string): Promise<string> {
    const bytes = new TextEncoder().encode(emoji).length;
    if (bytes === 0 || bytes > MAX_REACTION_BYTES || /\s/.test(emoji)) {
      throw new ClientError(
        "BAD_ARGUMENT",
        `a reaction is one emoji (or a short word), at most ${MAX_REACTION_BYTES} bytes`,
      );
    }
    const target = await this.findMessage(groupId, ref);
    const ours = target.reactions?.find((r) => r.from === this.name && r.emoji === emoji);
    return ours === undefined
      ? this.enqueue(groupId, { kind: "reaction", target: target.id, emoji })
      : this.enqueue(groupId, { kind: "unreaction", target: target.id, reaction: ours.id });
  }

  /** Replaces the text of our message `ref`; everyone sees it marked as edited. */
  async edit(groupId: GroupId, ref: string, text: string): Promise<string> {
    const target = await this.ownMessage(groupId, ref, "edit");
    return this.enqueue(groupId, {
      kind: "edit",
      target: target.id,
      text,
      ...(target.replyTo === undefined ? {} : { replyTo: target.replyTo }),
    });
  }

  /** Deletes our message `ref` for everyone: a tombstone stays in its place. */
  async delete(groupId: GroupId, ref: string): Promise<string> {
    const target = await this.ownMessage(groupId, ref, "delete");
    return this.enqueue(groupId, { kind: "delete", target: target.id });
  }

  private async ownMessage(groupId: GroupId, ref: string, verb: string): Promise<HistoryEntry> {
    const target = await this.findMessage(groupId, ref);
    if (target.from !== this.name) {
      throw new ClientError(
        "NOT_YOUR_MESSAGE",
        `message ${shortId(target.id)} is ${target.from}'s: only its sender can ${verb} it`,
      );
    }
    return target;
  }

  /**
   * Tells `groupId` we are typing (at most every few seconds; nothing with typing off). Best
   * effort: never fails, a notice that can't go is dropped.
   */
  async typing(groupId: GroupId): Promise<void> {
    await this.session?.parts?.notices.typing(groupId).catch(() => undefined);
  }

  /**
   * Tells `groupId` that its messages up to `id` were shown here (best effort; a room hears it
   * at most every few seconds, and nothing goes with receipts off).
   */
  async seen(groupId: GroupId, id: string): Promise<void> {
    await this.session?.parts?.notices.seen(groupId, id).catch(() => undefined);
  }

  /**
   * Which other members of `groupId` have been shown message `ref` (default: our last one): those
   * whose newest receipt names it or a later message. Only receipts that reached this client
   * while it ran count (the server never stores them), so a member who read it offline is missed.
   */
  async seenBy(groupId: GroupId, ref?: string): Promise<{ id: string; seenBy: UserName[]; others: number }> {
    if (this.options.receipts === false) {
      throw new ClientError("BAD_ARGUMENT", "read receipts are off here: none are sent, none are shown");
    }
    const target = ref === undefined ? await this.lastOwnMessage(groupId) : await this.findMessage(groupId, ref);
    const others = this.who(groupId).filter((m) => m.name !== this.name);
    const seenBy: UserName[] = [];
    for (const [name, id] of this.parts().notices.receiptsOf(groupId)) {
      const shown = id === target.id ? target : await this.store.message(groupId, id);
      if (shown !== undefined && shown.seq >= target.seq && others.some((m) => m.name === name)) seenBy.push(name);
    }
    return { id: target.id, seenBy: seenBy.sort(), others: others.length };
  }

  private async lastOwnMessage(groupId: GroupId): Promise<HistoryEntry> {
    const own = (await this.store.history(groupId, FIND_WINDOW)).findLast((m) => m.from === this.name);
    if (own === undefined) throw new ClientError("NO_SUCH_MESSAGE", `you have sent no message in ${groupId} yet`);
    return own;
  }

  /** Accepts `name`'s changed key (after comparing fingerprints) and moves our private conversation to it. */
  async trust(name: UserName): Promise<void> {
    await this.started().directory.trust(name);
    await this.parts().rooms.renewDirect(name);
  }

  /** A private message: starts the two-member conversation (works while the peer is offline). */
  async sendPrivate(peer: UserName, text: string): Promise<string> {
    return this.send(await this.openPrivate(peer), text);
  }

  /** The private conversation with `peer`, started now if it does not exist yet. */
  openPrivate(peer: UserName): Promise<GroupId> {
    return this.parts().rooms.openPrivate(peer);
  }

  /** True once every message handed to `send` has been stored by the server. */
  get outboxEmpty(): boolean {
    return this.session?.parts?.outbox.empty ?? true;
  }

  // ---------------------------------------------------------------- queries

  /** The group a typed label (`#room`, `+room`, `@peer`) names. */
  resolveRoom(label: string): GroupId | undefined {
    return groupOfLabel(label, this.name);
  }

  joinedRooms(): GroupId[] {
    return this.session?.parts?.engine.table.joined() ?? [];
  }

  /** The members of a group by account: online if any of its devices is; the fingerprint of its first device's leaf, if in. */
  who(groupId: GroupId): MemberInfo[] {
    const online = this.started().online;
    const byAccount = new Map<UserName, MemberInfo>();
    for (const m of this.parts().engine.table.members(groupId)) {
      const name = accountOf(m.name);
      const known = byAccount.get(name);
      const info = { name, online: online.has(m.name) || (known?.online ?? false) };
      const first = m.name === name || known === undefined;
      byAccount.set(name, { ...info, fingerprint: first ? fingerprint(m.signaturePublicKey) : known.fingerprint });
    }
    return [...byAccount.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async whoOnline(): Promise<UserName[]> {
    const answer = await this.started().link.connection().request({ type: "list_online", rid: 0 }, "online");
    return answer.names as UserName[];
  }

  /** One page of rooms (the server's page size), after `after`; `next` is the next page's `after`. */
  async rooms(after?: GroupId): Promise<{ rooms: RoomListing[]; next: GroupId | undefined }> {
    const answer = await this.started()
      .link.connection()
      .request({ type: "list_rooms", rid: 0, after: after ?? "" }, "rooms");
    const joined = new Set(this.joinedRooms());
    const rooms = answer.groupIds.map((id, i) => {
      const groupId = id as GroupId;
      const members = answer.memberNames[i] ?? "";
      const count = members === "" ? 0 : members.split(",").length;
      return { groupId, members: count, joined: joined.has(groupId), kind: roomKind(groupId) };
    });
    return { rooms, next: answer.next === "" ? undefined : (answer.next as GroupId) };
  }

  async history(groupId: GroupId, limit: number): Promise<MessageEvent[]> {
    return (await this.store.history(groupId, limit)).map(messageEvent);
  }

  /** Every device of `name`'s account with its fingerprint: the first device's key, then each certified linked one. */
  async fingerprintsOf(name: UserName): Promise<{ device: UserName; fingerprint: string; revoked: boolean }[]> {
    const directory = this.started().directory;
    const accountKey = await directory.accountKey(name);
    if (accountKey === undefined) throw new ClientError("NO_SUCH_USER", `nobody is registered as ${name}`);
    const first = { device: name, fingerprint: fingerprint(accountKey), revoked: false };
    const linked = (await directory.devices(name, true)).map((d) => ({
      device: d.device,
      fingerprint: fingerprint(d.publicKey),
      revoked: d.revoked,
    }));
    return [first, ...linked];
  }

  /** Our own fingerprint, or a peer's (pinned key first, else the server's directory). */
  async fingerprintOf(name?: UserName): Promise<string> {
    if (name === undefined || name === this.name) return this.fingerprint;
    const directory = this.started().directory;
    const key = (await directory.pinnedKey(name)) ?? (await directory.serverKey(name));
    if (key === undefined) throw new ClientError("NO_SUCH_USER", `nobody is registered as ${name}`);
    return fingerprint(key);
  }

  // ---------------------------------------------------------------- devices

  /** Joins the link a new device shows the code of; answers the SAS to compare with the new device's screen. */
  linkDevice(code: string): Promise<PendingApproval> {
    return this.started().approver.start(code);
  }

  /**
   * After the same SAS showed on both screens: certifies the new device, sends it the recent
   * history of our rooms (unless `withHistory` is false), and adds it to our groups.
   */
  approveDevice(withHistory = true): Promise<UserName> {
    return this.started().approver.approve(withHistory);
  }

  /** Our account's devices: the first (the account key) and every linked one the account key certified. */
  async devices(): Promise<DeviceInfo[]> {
    const directory = this.started().directory;
    const own = directory.self.name;
    const accountKey = await directory.accountKey(this.name);
    const first: DeviceInfo = {
      device: this.name,
      label: "first device (account key)",
      fingerprint: accountKey === undefined ? "" : fingerprint(accountKey),
      addedAt: 0,
      lastSeen: 0,
      revoked: false,
      thisDevice: own === this.name,
    };
    const linked = (await directory.devices(this.name, true)).map((d) => ({
      device: d.device,
      label: d.label,
      fingerprint: fingerprint(d.publicKey),
      addedAt: d.addedAt,
      lastSeen: d.lastSeen,
      revoked: d.revoked,
      thisDevice: d.device === own,
    }));
    return [first, ...linked];
  }

  /** Revokes another device of ours: it can no longer log in, and leaves every group (a commit per group). */
  async revokeDevice(device: UserName): Promise<void> {
    const directory = this.started().directory;
    const self = directory.self;
    if (accountOf(device) !== this.name || deviceNumberOf(device) < 2) {
      throw new ClientError(
        "BAD_ARGUMENT",
        `${device} is not a linked device of ${this.name} (the first device can't be revoked)`,
      );
    }
    if (device === self.name) throw new ClientError("BAD_ARGUMENT", "revoke this device from another one");
    const revocation = signDeviceRevocation(self.secretKey, { device, revokedAt: this.now(), signer: self.name });
    await this.started()
      .link.connection()
      .request({ type: "revoke_device", rid: 0, revocation: encodeDeviceRevocation(revocation) }, "ok");
    await this.parts().rooms.removeOwnDevice(device);
  }

  /** The engine's live group slots (read by the secret-zeroing test; not an API). */
  private get groups(): ReadonlyMap<GroupId, unknown> {
    return this.session?.parts?.engine.table.groups ?? new Map();
  }
}
