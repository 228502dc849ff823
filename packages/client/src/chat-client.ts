import {
  createApplicationMessage,
  createCommit,
  createGroup,
  createGroupInfoWithExternalPubAndRatchetTree,
  createProposal,
  emptyPskIndex,
  joinGroup,
  joinGroupExternal,
  processMessage,
  zeroOutUint8Array,
  type CiphersuiteImpl,
  type ClientConfig,
  type ClientState,
  type IncomingMessageCallback,
  type Proposal,
} from "ts-mls";
import {
  ACK_INTERVAL_MS,
  deliveryKinds,
  directGroupId,
  directPeer,
  ED25519_PUBLIC_KEY_BYTES,
  SendIds,
  parseGroupId,
  roomKind,
  signLogin,
  type DeliveryKind,
  type FrameOf,
  type GroupId,
  type UserName,
} from "@secure-chat/protocol";
import { MAX_TEXT_BYTES, decodeContent, encodeContent } from "./content.js";
import { ClientError } from "./errors.js";
import type { ChatEvent, ChatEventListener, MemberInfo, MessageEvent } from "./events.js";
import { fingerprint, generateIdentity, sameKey, type Identity } from "./identity.js";
import { directoryAuthService, type DirectoryEntry } from "./mls/auth-service.js";
import { clientConfig, credentialName } from "./mls/config.js";
import {
  commitAuthor,
  decodeMessage,
  decodeState,
  encodeMessage,
  encodeState,
  leafName,
  members,
  newKeyPackage,
  ownLeafExpiresIn,
  ownLeafIndex,
  privateMessageSender,
  welcomeSignerIndex,
} from "./mls/groups.js";
import { loadCipherSuite } from "./mls/suite.js";
import { SerialQueue } from "./serial-queue.js";
import { ratchetTreeFromExtension } from "ts-mls/groupInfo.js";
import type { ClientStore, HistoryEntry, OutboxEntry, StoreBatch } from "./store/store.js";
import { guardWrites } from "./store/write-guard.js";
import { RpcConnection, type PushFrame, type SocketFactory } from "./transport.js";

export interface ChatClientOptions {
  name: UserName;
  server: string;
  store: ClientStore;
  socketFactory: SocketFactory;
  /** Reconnect with backoff when the connection drops (default true). */
  reconnect?: boolean;
  /** Ping interval; a link that answers nothing for two intervals is dropped and redialled. */
  heartbeatMs?: number;
}

/** A group we are in (state) and our own commit awaiting the server's verdict (pending). */
interface GroupSlot {
  state: ClientState | undefined;
  pending: ClientState | undefined;
  /**
   * Secrets the pending commit consumed. They are still part of `state`, which we need if
   * the commit loses, so they are zeroed only once the commit is accepted.
   */
  pendingConsumed?: Uint8Array[];
}

interface CommitPlan {
  proposals: Proposal[];
  added: UserName[];
  removed: UserName[];
}

type CommitFrame = FrameOf<"commit">;

const KEY_PACKAGE_TARGET = 20;
const KEY_PACKAGE_LOW_WATER = 10;
/** A leaf from a KeyPackage (60-day lifetime) is refreshed by an update commit when it has less left. */
const LEAF_REFRESH_SECONDS = 45n * 24n * 3600n;
const MAX_COMMIT_ATTEMPTS = 10;
const EMPTY = new Uint8Array(0);
const DEFAULT_HEARTBEAT_MS = 15_000;
/** How long a message waits before it is offered again to a server whose disk is full (x1-2). */
const STORAGE_FULL_RETRY_MS = 2_000;
/** How long after a failed local write the state is reloaded and what was missed fetched again (x1-2). */
const LOCAL_RETRY_MS = 2_000;

/** Conditions the user is told of once each, until they are over. */
type Outage = "server_disk_full" | "local_write_failed";

const kindByNumber = new Map<number, DeliveryKind>(
  Object.entries(deliveryKinds).map(([name, id]) => [id, name as DeliveryKind]),
);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A group's row for the store: its current state and our pending commit, if any. */
function slotRecord(groupId: GroupId, state: ClientState, pending: ClientState | undefined) {
  return { groupId, state: encodeState(state), pending: pending === undefined ? null : encodeState(pending) };
}

/** Names removed by the proposals waiting in `state` (members who asked to leave). */
function pendingRemovals(state: ClientState): UserName[] {
  const byLeaf = new Map(members(state).map((m) => [m.leafIndex, m.name]));
  return Object.values(state.unappliedProposals).flatMap((p) => {
    const name = p.proposal.proposalType === "remove" ? byLeaf.get(p.proposal.remove.removed) : undefined;
    return name === undefined ? [] : [name];
  });
}

function errorCode(error: unknown): string {
  return error instanceof ClientError ? error.code : "INTERNAL";
}

/**
 * The chat client: identity, MLS groups, delivery stream and the typed event API that
 * every user interface (line mode, JSON mode, later TUI and browser) builds on.
 *
 * Everything that touches group state runs through one serial queue, in server order;
 * network round trips happen outside the queue so deliveries keep flowing meanwhile.
 */
export class ChatClient {
  readonly name: UserName;
  readonly server: string;
  private readonly store: ClientStore;
  private readonly socketFactory: SocketFactory;
  private readonly reconnect: boolean;
  private readonly heartbeatMs: number;
  private readonly listeners = new Set<ChatEventListener>();
  private readonly queue = new SerialQueue();
  private readonly groups = new Map<GroupId, GroupSlot>();
  private readonly directory = new Map<UserName, DirectoryEntry>();
  private readonly onlineNames = new Set<UserName>();
  /** `groupId name` of members whose self-remove proposal we have seen: shown as "left". */
  private readonly leaving = new Set<string>();
  /** sendIds of this session (see SendIds: ordered, for the server's index). */
  private readonly sendIds = new SendIds();
  private identity!: Identity;
  private impl: CiphersuiteImpl | undefined;
  private config!: ClientConfig;
  private rpc: RpcConnection | undefined;
  private cursor = 0;
  private ackTimer: ReturnType<typeof setTimeout> | undefined;
  private ackSeq = 0;
  private pumping = false;
  /** Outages the user has been told of: each is told once, until it is over. */
  private readonly outagesTold = new Set<Outage>();
  /**
   * A local write failed (a full disk): memory is now ahead of the store, so nothing more is
   * processed until the next login reloads the groups and cursor from the store.
   */
  private halted = false;
  private keyPackagesOnServer = 0;
  private loggedIn = false;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private closing = false;
  private synced: (() => void) | undefined;
  private cipherSuiteName = "";

  constructor(options: ChatClientOptions) {
    this.name = options.name;
    this.server = options.server;
    // Any failed write, wherever it came from, halts processing until the state is reloaded.
    this.store = guardWrites(options.store, {
      failed: (error) => this.localWriteFailed(error),
      halted: () => this.halted,
    });
    this.socketFactory = options.socketFactory;
    this.reconnect = options.reconnect ?? true;
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  }

  // ---------------------------------------------------------------- lifecycle

  on(listener: ChatEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: ChatEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  get fingerprint(): string {
    return fingerprint(this.identity.publicKey);
  }

  get cipherSuite(): string {
    return this.cipherSuiteName;
  }

  /** Loads or creates the identity, logs in, catches up, and makes sure we are in #lobby. */
  async start(): Promise<void> {
    const stored = this.store.identity();
    if (stored !== undefined && stored.name !== this.name) {
      throw new ClientError(
        "BAD_ARGUMENT",
        `this home folder belongs to ${stored.name}; use another --home for ${this.name}`,
      );
    }
    this.identity = stored ?? generateIdentity(this.name);
    if (stored === undefined) this.store.saveIdentity({ ...this.identity, server: this.server });
    this.cursor = this.store.cursor();
    this.config = clientConfig(
      directoryAuthService({
        lookup: (name, fresh) => this.lookupKey(name, fresh),
        pinnedKey: (name) => (name === this.name ? this.identity.publicKey : this.store.pinnedKey(name)),
        pin: (name, key) => this.store.pin(name, key),
        keyChanged: (name, pinned, presented) => {
          this.emit({ type: "key_changed", name, pinned: fingerprint(pinned), presented: fingerprint(presented) });
          void this.queue.idle().then(() => this.renewDirect(name));
        },
      }),
    );
    await this.connect();
    await this.join("#lobby" as GroupId);
  }

  /**
   * Dials, logs in and catches up. Until it returns, a lost connection makes it throw (the
   * caller retries); after that, `onDisconnect` takes over and starts one reconnect loop.
   */
  private async connect(): Promise<void> {
    let lose: (error: ClientError) => void = () => undefined;
    const lost = new Promise<never>((_, reject) => (lose = reject));
    lost.catch(() => undefined);
    const rpc = await RpcConnection.open(
      this.socketFactory,
      this.server,
      (frame) => this.onPush(frame),
      (reason) => {
        lose(new ClientError("DISCONNECTED", `connection lost: ${reason}`));
        this.onDisconnect(rpc, reason);
      },
    );
    this.rpc = rpc;
    try {
      await this.login(rpc, lost);
    } catch (error) {
      rpc.close(); // a half-open login is abandoned; the caller decides whether to retry
      throw error;
    }
    this.startHeartbeat(rpc);
    void this.pumpOutbox();
    // Best effort from here on: a failure is retried at the next login.
    try {
      await this.topUpKeyPackages(this.keyPackagesOnServer);
    } catch (error) {
      this.emit({
        type: "error",
        code: errorCode(error),
        message: `KeyPackage upload failed: ${(error as Error).message}`,
      });
    }
    void this.refreshAgingLeaves();
  }

  private async login(rpc: RpcConnection, lost: Promise<never>): Promise<void> {
    const challenge = await rpc.request(
      { type: "hello", rid: 0, name: this.name, publicKey: this.identity.publicKey },
      "challenge",
    );
    if (this.impl === undefined) {
      this.impl = await loadCipherSuite(challenge.cipherSuite);
      this.cipherSuiteName = challenge.cipherSuite;
      this.loadGroups();
    } else if (challenge.cipherSuite !== this.cipherSuiteName) {
      throw new ClientError("BAD_ARGUMENT", `the server switched cipher suite to ${challenge.cipherSuite}`);
    }
    if (this.halted) await this.queue.run(async () => this.reloadFromStore());
    const synced = new Promise<void>((resolve) => (this.synced = resolve));
    const ok = await rpc.request(
      { type: "login", rid: 0, signature: signLogin(this.identity.secretKey, challenge.nonce, this.name) },
      "login_ok",
    );
    await Promise.race([synced, lost]);
    await this.queue.run(async () => this.dropUnacceptedCommits());
    const online = await rpc.request({ type: "list_online", rid: 0 }, "online");
    this.onlineNames.clear();
    for (const name of online.names) this.onlineNames.add(name as UserName);
    this.keyPackagesOnServer = ok.keyPackageCount;
    this.loggedIn = true;
  }

  /** Detects a black-holed link: a ping unanswered after one interval drops the connection. */
  private startHeartbeat(rpc: RpcConnection): void {
    clearInterval(this.heartbeat);
    let waiting = false;
    this.heartbeat = setInterval(() => {
      if (waiting) {
        rpc.abort(`no answer from the server for ${this.heartbeatMs} ms`);
        return;
      }
      waiting = true;
      rpc.request({ type: "ping", rid: 0 }, "pong").then(
        () => (waiting = false),
        () => undefined,
      );
    }, this.heartbeatMs);
  }

  /** Update commits for groups where our leaf still comes from an aging KeyPackage (also heals keys: PCS). */
  private async refreshAgingLeaves(): Promise<void> {
    const now = BigInt(Math.floor(Date.now() / 1000));
    for (const [groupId, slot] of this.groups) {
      const left = slot.state === undefined ? undefined : ownLeafExpiresIn(slot.state, now);
      if (left === undefined || left > LEAF_REFRESH_SECONDS) continue;
      try {
        await this.commitChange(groupId, async (state) => {
          const remaining = ownLeafExpiresIn(state, now);
          return remaining === undefined || remaining > LEAF_REFRESH_SECONDS
            ? undefined
            : { proposals: [], added: [], removed: [] };
        });
      } catch (error) {
        this.emit({
          type: "error",
          code: errorCode(error),
          message: `could not refresh keys in ${this.label(groupId)}: ${(error as Error).message}`,
        });
      }
    }
  }

  private loadGroups(): void {
    for (const record of this.store.groups()) {
      this.groups.set(record.groupId, {
        state: record.state.length > 0 ? decodeState(record.state, this.config) : undefined,
        pending: record.pending === undefined ? undefined : decodeState(record.pending, this.config),
      });
    }
  }

  private onDisconnect(rpc: RpcConnection, reason: string): void {
    if (this.rpc !== rpc || this.closing) return;
    this.rpc = undefined;
    const established = this.loggedIn;
    this.loggedIn = false;
    clearInterval(this.heartbeat);
    if (!established) return; // connect() is still running: it throws and its caller retries
    if (!this.reconnect) {
      this.emit({ type: "error", code: "DISCONNECTED", message: `connection lost: ${reason}` });
      return;
    }
    this.emit({ type: "connection", state: "reconnecting", reason });
    void this.reconnectLoop();
  }

  private async reconnectLoop(): Promise<void> {
    for (let attempt = 0; !this.closing; attempt++) {
      const delay = Math.min(10_000, 250 * 2 ** attempt);
      await sleep(delay / 2 + Math.random() * (delay / 2));
      if (this.closing) return;
      try {
        await this.connect();
        this.emit({ type: "connection", state: "connected" });
        return;
      } catch (error) {
        const code = errorCode(error);
        if (code === "NAME_TAKEN" || code === "AUTH_FAILED" || code === "CERT_CHANGED") {
          this.emit({ type: "error", code, message: (error as Error).message });
          return;
        }
      }
    }
  }

  /** Waits until every message we sent is acknowledged, then disconnects. */
  async close(): Promise<void> {
    while (!this.outboxEmpty) await sleep(20);
    await this.queue.idle();
    this.flushAck();
    this.closing = true;
    clearInterval(this.heartbeat);
    this.rpc?.close();
    this.rpc = undefined;
    this.store.close();
  }

  private connection(): RpcConnection {
    if (this.rpc === undefined || !this.rpc.isOpen) {
      throw new ClientError("DISCONNECTED", "not connected to the server right now");
    }
    return this.rpc;
  }

  private mls(): CiphersuiteImpl {
    if (this.impl === undefined) throw new ClientError("DISCONNECTED", "not logged in yet");
    return this.impl;
  }

  // ---------------------------------------------------------------- directory

  private async serverKey(name: UserName): Promise<Uint8Array | undefined> {
    return (await this.lookupKey(name, false))?.current;
  }

  private async lookupKey(name: UserName, fresh: boolean): Promise<DirectoryEntry | undefined> {
    if (!fresh && this.directory.has(name)) return this.directory.get(name);
    const answer = await this.connection().request({ type: "lookup_keys", rid: 0, names: [name] }, "keys");
    this.directory.delete(name);
    answer.names.forEach((found, i) => {
      const current = answer.publicKeys[i];
      const retired = answer.retiredKeys[i] ?? new Uint8Array();
      if (current === undefined) return;
      const old: Uint8Array[] = [];
      for (let at = 0; at + ED25519_PUBLIC_KEY_BYTES <= retired.length; at += ED25519_PUBLIC_KEY_BYTES) {
        old.push(retired.slice(at, at + ED25519_PUBLIC_KEY_BYTES));
      }
      this.directory.set(found as UserName, { current, retired: old });
    });
    return this.directory.get(name);
  }

  private async topUpKeyPackages(onServer: number): Promise<void> {
    if (onServer >= KEY_PACKAGE_LOW_WATER) return;
    const impl = this.mls();
    const fresh = [];
    for (let i = onServer; i < KEY_PACKAGE_TARGET; i++) fresh.push(await newKeyPackage(this.identity, impl, false));
    const hasLastResort = this.store.keyPackages().some((kp) => kp.lastResort);
    const lastResort = hasLastResort ? undefined : await newKeyPackage(this.identity, impl, true);
    // Private halves are stored before the public halves leave the machine.
    this.store.addKeyPackages([...fresh.map((kp) => kp.stored), ...(lastResort ? [lastResort.stored] : [])]);
    await this.connection().request(
      {
        type: "upload_key_packages",
        rid: 0,
        keyPackages: fresh.map((kp) => kp.stored.publicPackage),
        lastResort: lastResort?.stored.publicPackage ?? EMPTY,
      },
      "ok",
    );
  }

  // ---------------------------------------------------------------- incoming

  private onPush(frame: PushFrame): void {
    switch (frame.type) {
      case "deliver":
        void this.queue.run(() => this.handleDelivery(frame));
        return;
      case "synced":
        void this.queue.run(async () => this.synced?.());
        return;
      case "presence":
        if (frame.online) this.onlineNames.add(frame.name as UserName);
        else this.onlineNames.delete(frame.name as UserName);
        this.emit({ type: "presence", name: frame.name as UserName, online: frame.online });
        return;
      case "error":
        this.emit({ type: "error", code: frame.code, message: frame.message });
        return;
    }
  }

  private async handleDelivery(frame: FrameOf<"deliver">): Promise<void> {
    if (this.halted || frame.seq <= this.cursor) return;
    const groupId = parseGroupId(frame.groupId);
    const kind = kindByNumber.get(frame.kind);
    const batch: StoreBatch = { cursor: frame.seq };
    const events: ChatEvent[] = [];
    if (groupId !== undefined && kind !== undefined) {
      try {
        if (kind === "welcome") await this.onWelcome(groupId, frame, batch, events);
        else if (kind === "commit") await this.onCommit(groupId, frame, batch, events);
        else await this.onGroupMessage(groupId, frame, batch, events);
      } catch (error) {
        events.push({
          type: "error",
          code: "DECRYPT_FAILED",
          message: `could not process ${kind} #${frame.seq} in ${this.label(groupId)} from ${frame.sender}: ${(error as Error).message}`,
        });
      }
    }
    try {
      this.store.apply(batch);
    } catch {
      return; // halted (localWriteFailed); fetched again after the reload
    }
    this.outagesTold.delete("local_write_failed");
    this.cursor = frame.seq;
    this.scheduleAck(frame.seq);
    for (const event of events) this.emit(event);
  }

  /**
   * After a failed local write (the disk is full) memory is ahead of the store: an MLS state
   * advanced, its secrets zeroed, but not saved. So nothing more is processed; after a pause
   * the connection is dropped, and the next login reloads the groups and the cursor from the
   * store and fetches again what was missed (the server keeps it until acknowledged).
   */
  private localWriteFailed(error: unknown): void {
    if (this.halted || this.closing) return;
    this.halted = true;
    this.tellOnce("local_write_failed", {
      type: "error",
      code: errorCode(error),
      message: `${(error as Error).message}: new messages wait on the server and are fetched again once there is room`,
    });
    this.dropLinkToReload();
  }

  /**
   * After a pause, drops the link so the next login reloads; while a login (or the first
   * start) is still running, waits for it to finish instead of failing it.
   */
  private dropLinkToReload(): void {
    setTimeout(
      () => {
        if (!this.halted || this.closing) return;
        if (this.loggedIn) this.rpc?.abort("reloading the local state after a failed write");
        else this.dropLinkToReload();
      },
      LOCAL_RETRY_MS * (1 + Math.random()),
    ).unref();
  }

  /** Emits `event` unless the user was already told of this outage. */
  private tellOnce(outage: Outage, event: ChatEvent): void {
    if (this.outagesTold.has(outage)) return;
    this.outagesTold.add(outage);
    this.emit(event);
  }

  /** The groups and cursor as last saved (see localWriteFailed). */
  private reloadFromStore(): void {
    this.groups.clear();
    this.loadGroups();
    this.cursor = this.store.cursor();
    this.halted = false;
  }

  private async onWelcome(
    groupId: GroupId,
    frame: FrameOf<"deliver">,
    batch: StoreBatch,
    events: ChatEvent[],
  ): Promise<void> {
    if (this.groups.get(groupId)?.state !== undefined) return;
    const message = decodeMessage(frame.payload);
    if (message?.wireformat !== "mls_welcome") throw new ClientError("BAD_ARGUMENT", "not a Welcome");
    const welcome = message.welcome;
    const keyPackage = this.store
      .keyPackages()
      .find((kp) => welcome.secrets.some((secret) => sameKey(secret.newMember, kp.ref)));
    if (keyPackage === undefined)
      throw new ClientError("BAD_ARGUMENT", "the Welcome is for a KeyPackage we no longer hold");
    const publicMessage = decodeMessage(keyPackage.publicPackage);
    if (publicMessage?.wireformat !== "mls_key_package")
      throw new ClientError("STATE_CORRUPT", "stored KeyPackage unreadable");
    // Read before joining, which may spend the key; named below from the tree joined.
    const signer = await welcomeSignerIndex(welcome, publicMessage.keyPackage, keyPackage.initPrivateKey, this.mls());
    const state = await joinGroup(
      welcome,
      publicMessage.keyPackage,
      {
        initPrivateKey: keyPackage.initPrivateKey,
        hpkePrivateKey: keyPackage.hpkePrivateKey,
        signaturePrivateKey: this.identity.secretKey,
      },
      emptyPskIndex,
      this.mls(),
      undefined,
      undefined,
      this.config,
    );
    if (new TextDecoder().decode(state.groupContext.groupId) !== groupId) {
      throw new ClientError("BAD_ARGUMENT", "the Welcome is for another group than announced");
    }
    this.groups.set(groupId, { state, pending: undefined });
    batch.groups = [{ groupId, state: encodeState(state), pending: null }];
    batch.removeKeyPackage = keyPackage.ref;
    // Who signed the GroupInfo joinGroup verified; the server's label only as a last resort.
    const by = (signer === undefined ? undefined : leafName(state.ratchetTree, signer)) ?? (frame.sender as UserName);
    events.push({ type: "room", room: this.label(groupId), change: "joined", by });
    if (!keyPackage.lastResort) void this.queue.idle().then(() => this.refillAfterWelcome());
  }

  private async refillAfterWelcome(): Promise<void> {
    // Runs on its own after the Welcome: the client may have been closed meanwhile (its store too).
    if (this.closing) return;
    try {
      await this.topUpKeyPackages(this.store.keyPackages().filter((kp) => !kp.lastResort).length);
    } catch {
      // Offline, rejected or closed: the next login tops up again.
    }
  }

  private async onCommit(
    groupId: GroupId,
    frame: FrameOf<"deliver">,
    batch: StoreBatch,
    events: ChatEvent[],
  ): Promise<void> {
    const slot = this.groups.get(groupId);
    if (slot === undefined) return;
    const before = slot.state === undefined ? [] : members(slot.state);
    if (frame.sender === this.name && slot.pending !== undefined) {
      // Our own commit, accepted by the server: the pending state becomes current.
      const joined = slot.state === undefined;
      slot.state = slot.pending;
      slot.pending = undefined;
      slot.pendingConsumed?.forEach(zeroOutUint8Array);
      slot.pendingConsumed = undefined;
      batch.groups = [{ groupId, state: encodeState(slot.state), pending: null }];
      if (joined) events.push({ type: "room", room: this.label(groupId), change: "joined" });
      else this.memberEvents(groupId, before, slot.state, this.name, events);
      return;
    }
    if (slot.state === undefined) return; // someone else's commit raced our external join
    const message = decodeMessage(frame.payload);
    if (message?.wireformat !== "mls_public_message" && message?.wireformat !== "mls_private_message") {
      throw new ClientError("BAD_ARGUMENT", "not an MLS commit");
    }
    // Read from the tree before the commit; processing it then checks the author's signature.
    // (Every commit ts-mls accepts names one; the server's label is only a last resort.)
    const author = (await commitAuthor(slot.state, message, this.mls())) ?? (frame.sender as UserName);
    const result = await this.processIncoming(groupId, slot.state, message);
    if (result.kind !== "newState") throw new ClientError("BAD_ARGUMENT", "expected a commit");
    slot.pending = undefined; // if we had a commit in flight for this epoch, it lost
    slot.pendingConsumed = undefined;
    if (result.actionTaken === "reject") {
      throw new ClientError("BAD_ARGUMENT", `a commit by ${author} breaks this room's rules and was refused`);
    }
    if (result.newState.groupActiveState.kind === "removedFromGroup") {
      this.groups.delete(groupId);
      batch.groups = [{ groupId, state: null, pending: null }];
      events.push({ type: "room", room: this.label(groupId), change: "removed", by: author });
      return;
    }
    slot.state = result.newState;
    batch.groups = [{ groupId, state: encodeState(slot.state), pending: null }];
    this.memberEvents(groupId, before, slot.state, author, events);
    if ([...this.leaving].some((key) => key.startsWith(`${groupId} `))) void this.completeLeaves(groupId);
  }

  private async onGroupMessage(
    groupId: GroupId,
    frame: FrameOf<"deliver">,
    batch: StoreBatch,
    events: ChatEvent[],
  ): Promise<void> {
    if (frame.sender === this.name) return; // our own message, recorded when it was accepted
    const slot = this.groups.get(groupId);
    if (slot?.state === undefined) return;
    const message = decodeMessage(frame.payload);
    if (message?.wireformat !== "mls_private_message") throw new ClientError("BAD_ARGUMENT", "not an MLS message");
    // The sender is who MLS says signed it; the server's label is only a hint.
    const sender = await privateMessageSender(slot.state, message.privateMessage, this.mls());
    if (sender === undefined) throw new ClientError("BAD_ARGUMENT", "the message names no member as its sender");
    const result = await this.processIncoming(groupId, slot.state, message);
    slot.state = result.newState;
    batch.groups = [slotRecord(groupId, slot.state, slot.pending)];
    if (result.kind === "newState") {
      // A proposal (a member leaving): any member commits it; the server picks one commit.
      this.leaving.add(`${groupId} ${sender}`);
      void this.completeLeaves(groupId);
      return;
    }
    const content = decodeContent(result.message);
    if (content === undefined) throw new ClientError("BAD_ARGUMENT", "unreadable message content");
    if (this.store.hasMessage(groupId, content.id)) return; // a replay or duplicate
    const entry: HistoryEntry = {
      room: groupId,
      id: content.id,
      from: sender,
      text: content.text,
      sentAt: content.sentAt,
      serverTs: frame.serverTs,
      seq: frame.seq,
    };
    batch.messages = [entry];
    events.push(this.messageEvent(entry));
  }

  /** Processes a group message under the room's policy; the secrets it used are zeroed. */
  private async processIncoming(
    groupId: GroupId,
    state: ClientState,
    message: Parameters<typeof processMessage>[0],
  ): Promise<Awaited<ReturnType<typeof processMessage>>> {
    const result = await processMessage(message, state, emptyPskIndex, this.policy(groupId, state), this.mls());
    result.consumed.forEach(zeroOutUint8Array);
    return result;
  }

  /** The join/kick policy, the same in every client: enforced on every incoming commit. */
  private policy(groupId: GroupId, state: ClientState): IncomingMessageCallback {
    return (incoming) => {
      if (incoming.kind === "proposal") return "accept";
      const proposals = incoming.proposals.map((p) => p.proposal);
      const kind = roomKind(groupId);
      if (kind !== "open" && proposals.some((p) => p.proposalType === "external_init")) return "reject";
      if (kind === "direct") {
        // Only a peer's new device may replace their old leaf: every remove comes with an add of that name.
        const byLeaf = new Map(members(state).map((m) => [m.leafIndex, m.name]));
        const added = proposals.flatMap((p) =>
          p.proposalType === "add" ? [credentialName(p.add.keyPackage.leafNode.credential)] : [],
        );
        const removed = proposals.flatMap((p) => (p.proposalType === "remove" ? [byLeaf.get(p.remove.removed)] : []));
        if (removed.some((name) => name === undefined || !added.includes(name))) return "reject";
      }
      return "accept";
    };
  }

  private memberEvents(
    groupId: GroupId,
    before: ReturnType<typeof members>,
    after: ClientState,
    by: UserName,
    events: ChatEvent[],
  ): void {
    const now = members(after);
    const beforeNames = new Set(before.map((m) => m.name));
    const nowNames = new Set(now.map((m) => m.name));
    const room = this.label(groupId);
    for (const member of now) {
      if (beforeNames.has(member.name) || member.name === this.name) continue;
      events.push({
        type: "member",
        room,
        name: member.name,
        change: "joined",
        by,
        fingerprint: fingerprint(member.signaturePublicKey),
      });
    }
    for (const member of before) {
      if (nowNames.has(member.name)) continue;
      const selfRemoved = this.leaving.delete(`${groupId} ${member.name}`);
      events.push({
        type: "member",
        room,
        name: member.name,
        change: selfRemoved ? "left" : "removed",
        by,
        fingerprint: fingerprint(member.signaturePublicKey),
      });
    }
  }

  private scheduleAck(seq: number): void {
    this.ackSeq = Math.max(this.ackSeq, seq);
    if (this.ackTimer !== undefined) return;
    this.ackTimer = setTimeout(() => this.flushAck(), ACK_INTERVAL_MS);
  }

  private flushAck(): void {
    if (this.ackTimer !== undefined) clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    if (this.ackSeq > 0) this.rpc?.post({ type: "ack", seq: this.ackSeq });
  }

  /** After a (re)sync, a commit of ours that never came back was not accepted: drop it. */
  private dropUnacceptedCommits(): void {
    for (const [groupId, slot] of this.groups) {
      if (slot.pending === undefined) continue;
      slot.pending = undefined;
      if (slot.state === undefined) {
        this.groups.delete(groupId);
        this.store.apply({ groups: [{ groupId, state: null, pending: null }] });
      } else {
        this.store.apply({ groups: [{ groupId, state: encodeState(slot.state), pending: null }] });
      }
    }
  }

  // ---------------------------------------------------------------- commits

  /**
   * Commits a change, retrying on a lost race: the server accepts one commit per epoch,
   * so on STALE_EPOCH we process the winner (already queued) and re-plan from the new state.
   */
  private async commitChange(
    groupId: GroupId,
    plan: (state: ClientState) => Promise<CommitPlan | undefined>,
  ): Promise<void> {
    for (let attempt = 0; attempt < MAX_COMMIT_ATTEMPTS; attempt++) {
      const prepared = await this.queue.run(async () => {
        const slot = this.groups.get(groupId);
        if (slot?.state === undefined) throw new ClientError("NOT_IN_ROOM", `you are not in ${this.label(groupId)}`);
        if (slot.pending !== undefined) return "busy" as const;
        const change = await plan(slot.state);
        if (change === undefined) return "nothing" as const;
        // createCommit also commits every pending proposal (members leaving): tell the server.
        const removed = [...new Set([...change.removed, ...pendingRemovals(slot.state)])];
        const impl = this.mls();
        const result = await createCommit(
          { state: slot.state, cipherSuite: impl },
          { extraProposals: change.proposals, ratchetTreeExtension: true },
        );
        slot.pending = result.newState;
        slot.pendingConsumed = result.consumed;
        this.store.apply({
          groups: [{ groupId, state: encodeState(slot.state), pending: encodeState(result.newState) }],
        });
        const frame: CommitFrame = {
          type: "commit",
          rid: 0,
          groupId,
          commit: encodeMessage(result.commit),
          groupInfo: await this.groupInfoFor(groupId, result.newState),
          welcome:
            result.welcome === undefined
              ? EMPTY
              : encodeMessage({ welcome: result.welcome, wireformat: "mls_welcome", version: "mls10" }),
          added: change.added,
          removed,
        };
        return { frame, pending: result.newState };
      });
      if (prepared === "nothing") return;
      if (prepared === "busy") {
        await sleep(50 + Math.random() * 100);
        continue;
      }
      if (await this.submitCommit(groupId, prepared.frame, prepared.pending)) return;
    }
    throw new ClientError("SERVER_ERROR", `could not get a change to ${this.label(groupId)} accepted; try again`);
  }

  /** Sends a prepared commit. True when accepted, false when another commit won the epoch. */
  private async submitCommit(groupId: GroupId, frame: CommitFrame, pending: ClientState): Promise<boolean> {
    try {
      // Our commit was delivered to us before the answer; once the queue reaches the answer, it is applied.
      await this.connection().requestThen(frame, "accepted", () => this.queue.idle());
      return true;
    } catch (error) {
      if (errorCode(error) === "DISCONNECTED") throw error; // pending stays until resync tells
      await this.queue.run(async () => {
        const slot = this.groups.get(groupId);
        if (slot === undefined || slot.pending !== pending) return;
        slot.pending = undefined;
        if (slot.state === undefined) {
          this.groups.delete(groupId);
          this.store.apply({ groups: [{ groupId, state: null, pending: null }] });
        } else {
          this.store.apply({ groups: [{ groupId, state: encodeState(slot.state), pending: null }] });
        }
      });
      if (errorCode(error) !== "STALE_EPOCH") throw error;
      await sleep(Math.random() * 50);
      return false;
    }
  }

  private async groupInfoFor(groupId: GroupId, state: ClientState): Promise<Uint8Array> {
    if (roomKind(groupId) !== "open") return EMPTY;
    const groupInfo = await createGroupInfoWithExternalPubAndRatchetTree(state, [], this.mls());
    return encodeMessage({ groupInfo, wireformat: "mls_group_info", version: "mls10" });
  }

  /**
   * Completes the leaves of members who asked to go: commits their pending proposals, or, if
   * another commit won the epoch and dropped them, removes them by value. Members are spread
   * out by leaf index so usually one commits and the others find nothing left to do.
   */
  private async completeLeaves(groupId: GroupId): Promise<void> {
    const slot = this.groups.get(groupId);
    const rank = slot?.state === undefined ? 0 : ownLeafIndex(slot.state);
    await sleep(Math.min(rank, 20) * 100 + Math.random() * 100);
    try {
      await this.commitChange(groupId, async (state) => {
        if (Object.keys(state.unappliedProposals).length > 0) return { proposals: [], added: [], removed: [] };
        const leavers = members(state).filter((m) => this.leaving.has(`${groupId} ${m.name}`));
        if (leavers.length === 0) return undefined;
        return {
          proposals: leavers.map((m) => ({ proposalType: "remove" as const, remove: { removed: m.leafIndex } })),
          added: [],
          removed: leavers.map((m) => m.name),
        };
      });
    } catch (error) {
      this.emit({ type: "error", code: errorCode(error), message: (error as Error).message });
    }
  }

  // ---------------------------------------------------------------- rooms

  /** Joins an open room (creating it if new) or creates an invite-only room. */
  async join(groupId: GroupId): Promise<void> {
    for (let attempt = 0; attempt < MAX_COMMIT_ATTEMPTS; attempt++) {
      if (this.groups.get(groupId)?.state !== undefined) return;
      let groupInfoBytes: Uint8Array;
      try {
        groupInfoBytes = (await this.connection().request({ type: "get_group_info", rid: 0, groupId }, "group_info"))
          .groupInfo;
      } catch (error) {
        if (errorCode(error) === "NO_SUCH_GROUP") {
          if (await this.createRoom(groupId)) return;
          continue;
        }
        if (errorCode(error) === "INVITE_ONLY") {
          throw new ClientError("INVITE_ONLY", `${groupId} is invite-only: ask a member to /invite you`);
        }
        throw error;
      }
      const prepared = await this.queue.run(async () => {
        const message = decodeMessage(groupInfoBytes);
        if (message?.wireformat !== "mls_group_info")
          throw new ClientError("SERVER_ERROR", "the server sent a bad GroupInfo");
        const impl = this.mls();
        const keyPackage = await newKeyPackage(this.identity, impl, false);
        // A leaf under our name is our own lost device's: the join replaces it (resync).
        const tree = ratchetTreeFromExtension(message.groupInfo) ?? [];
        const resync = tree.some(
          (node) => node?.nodeType === "leaf" && credentialName(node.leaf.credential) === this.name,
        );
        const { publicMessage, newState } = await joinGroupExternal(
          message.groupInfo,
          keyPackage.publicPackage,
          keyPackage.privatePackage,
          resync,
          impl,
          undefined,
          this.config,
        );
        this.groups.set(groupId, { state: undefined, pending: newState });
        this.store.apply({ groups: [{ groupId, state: EMPTY, pending: encodeState(newState) }] });
        const frame: CommitFrame = {
          type: "commit",
          rid: 0,
          groupId,
          commit: encodeMessage({ publicMessage, wireformat: "mls_public_message", version: "mls10" }),
          groupInfo: await this.groupInfoFor(groupId, newState),
          welcome: EMPTY,
          added: [],
          removed: [],
        };
        return { frame, pending: newState };
      });
      if (await this.submitCommit(groupId, prepared.frame, prepared.pending)) return;
    }
    throw new ClientError("SERVER_ERROR", `could not join ${groupId}; try again`);
  }

  /** Creates a group at epoch 0. False if someone else created it first. */
  private async createRoom(groupId: GroupId): Promise<boolean> {
    const state = await this.queue.run(async () => {
      const impl = this.mls();
      const keyPackage = await newKeyPackage(this.identity, impl, false);
      return createGroup(
        new TextEncoder().encode(groupId),
        keyPackage.publicPackage,
        keyPackage.privatePackage,
        [],
        impl,
        this.config,
      );
    });
    const groupInfo = await createGroupInfoWithExternalPubAndRatchetTree(state, [], this.mls());
    try {
      await this.connection().request(
        {
          type: "create_group",
          rid: 0,
          groupId,
          groupInfo: encodeMessage({ groupInfo, wireformat: "mls_group_info", version: "mls10" }),
        },
        "ok",
      );
    } catch (error) {
      if (errorCode(error) === "GROUP_EXISTS") return false;
      throw error;
    }
    await this.queue.run(async () => {
      this.groups.set(groupId, { state, pending: undefined });
      this.store.apply({ groups: [{ groupId, state: encodeState(state), pending: null }] });
      this.emit({ type: "room", room: this.label(groupId), change: "created" });
    });
    return true;
  }

  /** Leaves a room: a self-remove proposal that the remaining members commit. */
  async leave(groupId: GroupId): Promise<void> {
    if (roomKind(groupId) === "direct") {
      throw new ClientError("BAD_ARGUMENT", "private conversations can't be left; just stop writing");
    }
    const message = await this.queue.run(async () => {
      const slot = this.groups.get(groupId);
      if (slot?.state === undefined) throw new ClientError("NOT_IN_ROOM", `you are not in ${groupId}`);
      const proposal = await createProposal(
        slot.state,
        false,
        { proposalType: "remove", remove: { removed: ownLeafIndex(slot.state) } },
        this.mls(),
      );
      proposal.consumed.forEach(zeroOutUint8Array);
      return encodeMessage(proposal.message);
    });
    await this.connection().requestThen(
      { type: "send", rid: 0, groupId, sendId: this.sendIds.next(), message },
      "accepted",
      () =>
        this.queue.run(async () => {
          this.groups.delete(groupId);
          this.store.apply({ groups: [{ groupId, state: null, pending: null }] });
          this.emit({ type: "room", room: groupId, change: "left" });
        }),
    );
  }

  /** Adds a user to a room we are in, with a KeyPackage claimed from the server. */
  async invite(groupId: GroupId, name: UserName): Promise<void> {
    if (roomKind(groupId) === "direct") throw new ClientError("BAD_ARGUMENT", "private conversations have two members");
    await this.addMember(groupId, name);
  }

  private async addMember(groupId: GroupId, name: UserName): Promise<void> {
    const answer = await this.connection().request({ type: "claim_key_package", rid: 0, name }, "key_package");
    const message = decodeMessage(answer.keyPackage);
    if (message?.wireformat !== "mls_key_package") {
      throw new ClientError("SERVER_ERROR", "the server sent a bad KeyPackage");
    }
    const keyPackage = message.keyPackage;
    const key = keyPackage.leafNode.signaturePublicKey;
    const current = (await this.lookupKey(name, true))?.current;
    const valid =
      current !== undefined &&
      sameKey(current, key) &&
      (await this.config.authService.validateCredential(keyPackage.leafNode.credential, key));
    if (!valid) {
      throw new ClientError("UNTRUSTED_KEY", `${name}'s KeyPackage does not carry ${name}'s current key; not added`);
    }
    await this.commitChange(groupId, async (state) => {
      const existing = members(state).find((m) => m.name === name);
      if (existing !== undefined && sameKey(existing.signaturePublicKey, key)) return undefined;
      // A leaf under an older key is the user's lost device (the name was released): replace it.
      const proposals: Proposal[] =
        existing === undefined ? [] : [{ proposalType: "remove", remove: { removed: existing.leafIndex } }];
      proposals.push({ proposalType: "add", add: { keyPackage } });
      return { proposals, added: [name], removed: existing === undefined ? [] : [name] };
    });
  }

  /** After a peer's key changed, re-adds their new device to our private conversation. */
  private async renewDirect(peer: UserName): Promise<void> {
    const groupId = directGroupId(this.name, peer);
    const state = this.groups.get(groupId)?.state;
    if (state === undefined) return;
    try {
      const current = await this.serverKey(peer);
      const leaf = members(state).find((m) => m.name === peer);
      if (current === undefined || (leaf !== undefined && sameKey(leaf.signaturePublicKey, current))) return;
      await this.addMember(groupId, peer);
    } catch (error) {
      this.emit({
        type: "error",
        code: errorCode(error),
        message: `could not renew @${peer}: ${(error as Error).message}`,
      });
    }
  }

  /** Removes a member; their old state can't read anything after this commit. */
  async kick(groupId: GroupId, name: UserName): Promise<void> {
    if (roomKind(groupId) === "direct") throw new ClientError("BAD_ARGUMENT", "private conversations have two members");
    if (name === this.name) throw new ClientError("BAD_ARGUMENT", "use /leave to leave a room");
    const slot = this.groups.get(groupId);
    if (slot?.state === undefined) throw new ClientError("NOT_IN_ROOM", `you are not in ${groupId}`);
    if (!members(slot.state).some((m) => m.name === name)) {
      throw new ClientError("BAD_ARGUMENT", `${name} is not in ${groupId}`);
    }
    await this.commitChange(groupId, async (state) => {
      const member = members(state).find((m) => m.name === name);
      if (member === undefined) return undefined;
      return {
        proposals: [{ proposalType: "remove", remove: { removed: member.leafIndex } }],
        added: [],
        removed: [name],
      };
    });
  }

  // ---------------------------------------------------------------- messages

  /**
   * Sends text to a room we are in. Resolves once the message is safe in the local outbox;
   * it goes out now or after the next reconnect, and shows up as a `message` event once the
   * server has stored it (or as an `error` event if the server refuses it).
   */
  async send(groupId: GroupId, text: string): Promise<void> {
    if (new TextEncoder().encode(text).length > MAX_TEXT_BYTES) {
      throw new ClientError("BAD_ARGUMENT", `messages are limited to ${MAX_TEXT_BYTES} bytes`);
    }
    if (this.groups.get(groupId)?.state === undefined) {
      throw new ClientError("NOT_IN_ROOM", `you are not in ${this.label(groupId)}`);
    }
    this.store.addOutbox({
      room: groupId,
      sendId: this.sendIds.next(),
      id: randomId(),
      sentAt: Date.now(),
      text,
    });
    void this.pumpOutbox();
  }

  /** True once every message handed to `send` has been stored by the server. */
  get outboxEmpty(): boolean {
    return this.store.outboxSize() === 0;
  }

  /** Sends the outbox in order, one message at a time, while connected. */
  private async pumpOutbox(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        const entry = this.store.nextOutbox();
        if (entry === undefined || this.rpc === undefined || !this.rpc.isOpen || !this.loggedIn) return;
        if (this.halted) return; // resumed after the reload (see localWriteFailed)
        try {
          await this.sendOutboxEntry(entry);
          this.outagesTold.delete("server_disk_full");
        } catch (error) {
          if (errorCode(error) === "DISCONNECTED") return; // resent after the reconnect
          if (errorCode(error) === "RATE_LIMITED") {
            await sleep(250 + Math.random() * 750);
            continue;
          }
          // A local write failed (halted, see localWriteFailed): the entry stays, resent after the reload.
          if (this.halted) return;
          if (errorCode(error) === "STORAGE_FULL") {
            // Not stored, and nothing is lost: the entry stays first in the outbox until there is room.
            this.tellOnce("server_disk_full", {
              type: "error",
              code: "STORAGE_FULL",
              message: "the server's disk is full: your messages wait in the outbox and are sent once there is room",
            });
            await sleep(STORAGE_FULL_RETRY_MS * (1 + Math.random()));
            continue;
          }
          this.store.apply({ removeOutbox: entry.localId });
          this.emit({
            type: "error",
            code: errorCode(error),
            message: `not sent to ${this.label(entry.room)}: "${entry.text.slice(0, 40)}": ${(error as Error).message}`,
          });
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private async sendOutboxEntry(entry: OutboxEntry): Promise<void> {
    const groupId = entry.room;
    const message =
      entry.ciphertext ??
      (await this.queue.run(async () => {
        const slot = this.groups.get(groupId);
        if (slot?.state === undefined) throw new ClientError("NOT_IN_ROOM", `you are not in ${this.label(groupId)}`);
        const content = { id: entry.id, sentAt: entry.sentAt, text: entry.text };
        const result = await createApplicationMessage(slot.state, encodeContent(content), this.mls());
        result.consumed.forEach(zeroOutUint8Array);
        slot.state = result.newState;
        const ciphertext = encodeMessage({
          privateMessage: result.privateMessage,
          wireformat: "mls_private_message",
          version: "mls10",
        });
        // The new ratchet state and the ciphertext are saved together: a resend reuses it.
        this.store.apply({
          groups: [slotRecord(groupId, slot.state, slot.pending)],
          outboxCiphertext: { localId: entry.localId, ciphertext },
        });
        return ciphertext;
      }));
    // The confirmation takes its place in the queue the moment the answer arrives, so it
    // lands after every earlier delivery and before every later one: server order.
    await this.connection().requestThen(
      { type: "send", rid: 0, groupId, sendId: entry.sendId, message },
      "accepted",
      (accepted) =>
        this.queue.run(async () => {
          const stored: HistoryEntry = {
            room: groupId,
            id: entry.id,
            from: this.name,
            text: entry.text,
            sentAt: entry.sentAt,
            serverTs: accepted.serverTs,
            seq: accepted.seq,
          };
          this.store.apply({ messages: [stored], cursor: accepted.seq, removeOutbox: entry.localId });
          this.cursor = Math.max(this.cursor, accepted.seq);
          this.scheduleAck(accepted.seq);
          this.emit(this.messageEvent(stored));
        }),
    );
  }

  /** A private message: starts the two-member conversation (works while the peer is offline). */
  async sendPrivate(peer: UserName, text: string): Promise<void> {
    return this.send(await this.openPrivate(peer), text);
  }

  /** The private conversation with `peer`, started now if it does not exist yet. */
  async openPrivate(peer: UserName): Promise<GroupId> {
    if (peer === this.name) throw new ClientError("BAD_ARGUMENT", "you can't message yourself");
    const groupId = directGroupId(this.name, peer);
    if (this.groups.get(groupId)?.state === undefined) await this.startDirect(groupId, peer);
    return groupId;
  }

  private async startDirect(groupId: GroupId, peer: UserName): Promise<void> {
    if ((await this.serverKey(peer)) === undefined)
      throw new ClientError("NO_SUCH_USER", `nobody is registered as ${peer}`);
    if (!(await this.createRoom(groupId))) {
      // The peer started it at the same moment: their Welcome is on its way.
      for (let i = 0; i < 100 && this.groups.get(groupId)?.state === undefined; i++) await sleep(100);
      if (this.groups.get(groupId)?.state === undefined) {
        throw new ClientError("SERVER_ERROR", `the conversation with ${peer} exists but we hold no key for it`);
      }
      return;
    }
    await this.addMember(groupId, peer);
  }

  // ---------------------------------------------------------------- queries

  /** How a group is shown: `#room`, `+room`, or `@peer` for a private conversation. */
  label(groupId: GroupId): string {
    const peer = directPeer(groupId, this.name);
    return peer === undefined ? groupId : `@${peer}`;
  }

  /** Resolves what a user typed (`#room`, `+room`, `@peer`) to a group id. */
  resolveRoom(label: string): GroupId | undefined {
    if (label.startsWith("@")) {
      const peer = label.slice(1) as UserName;
      return peer === this.name ? undefined : directGroupId(this.name, peer);
    }
    return parseGroupId(label);
  }

  joinedRooms(): GroupId[] {
    return [...this.groups.entries()].filter(([, slot]) => slot.state !== undefined).map(([id]) => id);
  }

  who(groupId: GroupId): MemberInfo[] {
    const state = this.groups.get(groupId)?.state;
    if (state === undefined) throw new ClientError("NOT_IN_ROOM", `you are not in ${this.label(groupId)}`);
    return members(state)
      .map((m) => ({
        name: m.name,
        online: this.onlineNames.has(m.name),
        fingerprint: fingerprint(m.signaturePublicKey),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async whoOnline(): Promise<UserName[]> {
    const answer = await this.connection().request({ type: "list_online", rid: 0 }, "online");
    return answer.names as UserName[];
  }

  async rooms(): Promise<{ room: string; members: number; joined: boolean; kind: string }[]> {
    const answer = await this.connection().request({ type: "list_rooms", rid: 0 }, "rooms");
    const joined = new Set(this.joinedRooms());
    return answer.groupIds.map((id, i) => {
      const groupId = id as GroupId;
      const names = answer.memberNames[i] ?? "";
      return {
        room: this.label(groupId),
        members: names === "" ? 0 : names.split(",").length,
        joined: joined.has(groupId),
        kind: roomKind(groupId),
      };
    });
  }

  history(groupId: GroupId, limit: number): MessageEvent[] {
    return this.store.history(groupId, limit).map((entry) => this.messageEvent(entry));
  }

  /** Our own fingerprint, or a peer's (pinned key first, else the server's directory). */
  async fingerprintOf(name?: UserName): Promise<string> {
    if (name === undefined || name === this.name) return this.fingerprint;
    const key = this.store.pinnedKey(name) ?? (await this.serverKey(name));
    if (key === undefined) throw new ClientError("NO_SUCH_USER", `nobody is registered as ${name}`);
    return fingerprint(key);
  }

  private messageEvent(entry: HistoryEntry): MessageEvent {
    return {
      type: "message",
      room: this.label(entry.room),
      from: entry.from,
      text: entry.text,
      id: entry.id,
      sentAt: entry.sentAt,
      serverTs: entry.serverTs,
      seq: entry.seq,
    };
  }
}
