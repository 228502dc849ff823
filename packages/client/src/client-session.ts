import { signLogin, type UserName } from "@secure-chat/protocol";
import { buildSuiteParts, type SharedParts, type SuiteParts } from "./client-parts.js";
import { HISTORY_PER_ROOM } from "./devices/history-transfer.js";
import { DeviceApprover } from "./devices/linking.js";
import { ClientKeyDirectory } from "./directory/key-directory.js";
import type { FollowUp } from "./engine/incoming.js";
import { directoryAuthService } from "./engine/mls/auth-service.js";
import { clientConfig } from "./engine/mls/config.js";
import { loadCipherSuite } from "./engine/mls/suite.js";
import { ClientError, errorCode, errorMessage, type ClientErrorCode } from "./errors.js";
import type { ChatEvent, LinkState } from "./events.js";
import { fingerprint, type Identity } from "./identity.js";
import { Link, type LinkOptions, type LinkSession } from "./link/link.js";
import { serverError, type PushFrame, type RpcConnection } from "./link/rpc.js";
import type { Timers } from "./link/timers.js";
import type { Outages } from "./outages.js";
import type { SerialQueue } from "./serial-queue.js";
import type { ClientStore } from "./store/store.js";
import type { NoticeSettings } from "./sync/ephemeral-notices.js";

export interface ClientSessionOptions {
  identity: Identity;
  /** The store behind the write guard. */
  store: ClientStore;
  queue: SerialQueue;
  timers: Timers;
  outages: Outages;
  link: Omit<LinkOptions, "timers">;
  /** Accept a peer's changed key without the user's `/trust` (see ClientKeyDirectory). */
  trustNewKeys: boolean;
  notices: NoticeSettings;
  now(): number;
  emit(event: ChatEvent): void;
}

/** How long after a failed local write the state is reloaded and what was missed fetched again (x1-2). */
const LOCAL_RETRY_MS = 2_000;

/**
 * One identity's life on the server: what happens on each connection (login, catch-up, the
 * work once live), where pushed frames go, and what a delivery asks to be done next.
 */
export class ClientSession implements LinkSession {
  readonly link: Link;
  readonly directory: ClientKeyDirectory;
  /** Our side of linking a new device of this account (the first device's). */
  readonly approver: DeviceApprover;
  /** Who is online, from the login's list and presence pushes since. */
  readonly online = new Set<UserName>();
  /** Built at the first login, once the server has named the cipher suite. */
  parts: SuiteParts | undefined;
  private readonly shared: SharedParts;
  private keyPackagesOnServer = 0;
  private closing = false;

  constructor(private readonly options: ClientSessionOptions) {
    const { identity, store, queue, timers, outages, now, emit } = options;
    this.link = new Link({ ...options.link, timers }, this);
    this.directory = new ClientKeyDirectory(
      identity,
      store,
      () => this.link.connection(),
      (name, pinned, presented) => {
        emit({ type: "key_changed", name, pinned: fingerprint(pinned), presented: fingerprint(presented) });
        // Moving our private conversation to the new key waits for the user's /trust.
        if (options.trustNewKeys) void queue.idle().then(() => this.parts?.rooms.renewDirect(name));
      },
      options.trustNewKeys,
      (device, reason) => emit({ type: "device_refused", device, reason }),
    );
    this.approver = new DeviceApprover({
      identity,
      directory: this.directory,
      connection: () => this.link.connection(),
      now,
      timers,
      added: (device) => void this.parts?.rooms.addOwnDevice(device),
      history: async () => {
        const rooms = this.parts?.engine.table.joined() ?? [];
        return Promise.all(rooms.map(async (room) => ({ room, entries: await store.history(room, HISTORY_PER_ROOM) })));
      },
    });
    this.shared = {
      self: identity.name,
      identity,
      config: clientConfig(directoryAuthService(this.directory)),
      store,
      queue,
      timers,
      outages,
      link: this.link,
      directory: this.directory,
      notices: options.notices,
      now,
      emit,
      followUp: (work) => this.followUp(work),
    };
  }

  async handshake(rpc: RpcConnection, catchingUp: () => void, lost: Promise<never>): Promise<void> {
    const { identity, queue } = this.options;
    const hello = { type: "hello", rid: 0, name: identity.name, publicKey: identity.publicKey } as const;
    const challenge = await rpc.request(hello, "challenge");
    const parts = await this.partsFor(challenge.cipherSuite);
    if (parts.stream.halted) await queue.run(() => parts.stream.reload());
    const synced = parts.stream.expectSynced();
    const signature = signLogin(identity.secretKey, challenge.nonce, identity.name);
    const ok = await rpc.request({ type: "login", rid: 0, signature }, "login_ok");
    catchingUp();
    await Promise.race([synced, lost]);
    await queue.run(async () => {
      const dropped = parts.engine.dropUnaccepted();
      if (dropped !== undefined) await parts.stream.save(dropped);
    });
    const online = await rpc.request({ type: "list_online", rid: 0 }, "online");
    this.online.clear();
    for (const name of online.names) this.online.add(name as UserName);
    this.keyPackagesOnServer = ok.keyPackageCount;
  }

  private async partsFor(cipherSuite: string): Promise<SuiteParts> {
    if (this.parts === undefined) {
      this.parts = await buildSuiteParts(this.shared, cipherSuite, await loadCipherSuite(cipherSuite));
    } else if (this.parts.cipherSuite !== cipherSuite) {
      throw new ClientError("BAD_ARGUMENT", `the server switched cipher suite to ${cipherSuite}`);
    }
    return this.parts;
  }

  onPush(frame: PushFrame): void {
    const { emit } = this.options;
    switch (frame.type) {
      case "deliver":
        return this.parts?.stream.deliver(frame);
      case "synced":
        return this.parts?.stream.synced();
      case "ephemeral":
        return this.parts?.notices.receive(frame);
      case "presence":
        if (frame.online) this.online.add(frame.name as UserName);
        else this.online.delete(frame.name as UserName);
        return emit({ type: "presence", name: frame.name as UserName, online: frame.online });
      case "error": {
        const { code } = serverError(frame.code, frame.message);
        emit({ type: "error", code, message: frame.message });
        // Another device of ours revoked this one: a reconnect would be refused, so stop here.
        if (code === "DEVICE_REVOKED") this.link.close();
        return;
      }
      case "link_message":
        return this.approver.onMessage(frame.code, frame.payload);
    }
  }

  onState(state: LinkState, reason?: string): void {
    this.options.emit({ type: "connection", state, ...(reason === undefined ? {} : { reason }) });
  }

  onGaveUp(code: ClientErrorCode, message: string): void {
    this.options.emit({ type: "error", code, message });
  }

  /** Each time the link is live: send what waits, top up KeyPackages, refresh aging keys. */
  async onLive(): Promise<void> {
    const parts = this.parts;
    if (parts === undefined || parts.stream.halted) return; // after the reload, the next login does it
    parts.outbox.kick();
    try {
      await parts.stock.topUp(this.keyPackagesOnServer);
    } catch (error) {
      this.options.emit({
        type: "error",
        code: errorCode(error),
        message: `KeyPackage upload failed: ${errorMessage(error)}`,
      });
    }
    void parts.rooms.refreshAgingLeaves();
  }

  private followUp(work: FollowUp): void {
    const parts = this.parts;
    if (parts === undefined) return;
    switch (work.kind) {
      case "complete_leaves":
        return void parts.rooms.completeLeaves(work.groupId);
      case "rejoin":
        return void parts.rooms.rejoin(work.groupId, work.by, work.commit);
      case "refill_key_packages":
        // Offline, rejected or closed meanwhile: the next login tops up again.
        if (!this.closing) parts.stock.topUp().catch(() => undefined);
        return;
    }
  }

  /**
   * After a failed local write (the disk is full) memory is ahead of the store, so the stream
   * stops; after a pause the link is dropped and the next login reloads what was saved and
   * fetches again what was missed (the server keeps it until acknowledged).
   */
  writeFailed(error: unknown): void {
    const stream = this.parts?.stream;
    if (stream === undefined || stream.halted || this.closing) return;
    stream.halted = true;
    this.options.outages.tellOnce("local_write_failed", {
      type: "error",
      code: errorCode(error),
      message: `${errorMessage(error)}: new messages wait on the server and are fetched again once there is room`,
    });
    const pause = LOCAL_RETRY_MS * (1 + this.options.timers.random());
    this.link.halt(pause, "reloading the local state after a failed write");
  }

  /** Sends the last acknowledgement and closes the link for good. */
  close(): void {
    this.parts?.stream.flushAck();
    this.parts?.notices.close();
    this.closing = true;
    this.link.close();
  }
}
