import { accountOf, directPeer, parseGroupId, type FrameOf, type GroupId, type UserName } from "@secure-chat/protocol";
import { encodeContent, idBytes, type EphemeralBody } from "../content/content.js";
import type { GroupEngine } from "../engine/group-engine.js";
import type { ChatEvent } from "../events.js";
import type { TimerHandle, Timers } from "../link/timers.js";
import type { RpcConnection } from "../link/rpc.js";
import type { SerialQueue } from "../serial-queue.js";
import type { ClientStore } from "../store/store.js";

/** At most one typing notice per room this often. */
export const TYPING_INTERVAL_MS = 3_000;

/** How long "bob is typing…" stays after bob's last notice, in every interface: two intervals. */
export const TYPING_SHOWN_MS = 2 * TYPING_INTERVAL_MS;

/**
 * At most one read receipt per room this often, naming the newest message shown: a busy room
 * costs each member one small frame per interval, not one per message.
 */
export const ROOM_SEEN_INTERVAL_MS = 5_000;

/** Which notices this user sends, and so sees: with one off, neither way. */
export interface NoticeSettings {
  typing: boolean;
  receipts: boolean;
}

export interface EphemeralNoticesOptions {
  self: UserName;
  engine: GroupEngine;
  store: ClientStore;
  queue: SerialQueue;
  settings: NoticeSettings;
  now(): number;
  timers: Timers;
  isLive(): boolean;
  connection(): RpcConnection;
  emit(event: ChatEvent): void;
}

/**
 * Typing notices and read receipts: MLS application messages like any other (padded, in MIMI
 * content), sent as `send_ephemeral` frames that the server passes to the members online and
 * never stores. They are best effort: one that can't go, or can't be read (another epoch, an
 * old generation), is dropped without a word. A private conversation's receipt goes at once
 * and shows as "seen"; a room's goes at most every ROOM_SEEN_INTERVAL_MS and is only counted on
 * request (`receiptsOf`). What others told us is kept in memory only: a receipt reaches the
 * members online when it is sent, and is forgotten when this client stops.
 */
export class EphemeralNotices {
  private readonly lastTyping = new Map<GroupId, number>();
  private readonly lastSeen = new Map<GroupId, string>();
  /** Rooms: when the last receipt went, and the newer id held back until the interval is over. */
  private readonly roomSeenAt = new Map<GroupId, number>();
  private readonly roomSeenHeld = new Map<GroupId, string>();
  /** The timer that sends a room's held receipt, cancelled on close. */
  private readonly roomSeenTimers = new Map<GroupId, TimerHandle>();
  /** For each group, the newest message id each other account said it was shown. */
  private readonly receipts = new Map<GroupId, Map<UserName, string>>();

  constructor(private readonly options: EphemeralNoticesOptions) {}

  /** Tells `groupId` we are typing, at most once every TYPING_INTERVAL_MS. */
  async typing(groupId: GroupId): Promise<void> {
    if (!this.options.settings.typing || !this.options.isLive()) return;
    const now = this.options.now();
    const last = this.lastTyping.get(groupId);
    if (last !== undefined && now - last < TYPING_INTERVAL_MS) return;
    this.lastTyping.set(groupId, now);
    await this.send(groupId, { kind: "typing" });
  }

  /**
   * Tells `groupId` that we have shown its messages up to `id`: a private conversation at once,
   * a room at most every ROOM_SEEN_INTERVAL_MS (a newer id in between goes when it is over).
   */
  async seen(groupId: GroupId, id: string): Promise<void> {
    const { settings, self } = this.options;
    if (!settings.receipts || !this.options.isLive()) return;
    if (this.lastSeen.get(groupId) === id || idBytes(id) === undefined) return;
    if (directPeer(groupId, self) !== undefined) {
      this.lastSeen.set(groupId, id);
      await this.send(groupId, { kind: "seen", target: id });
      return;
    }
    const wait = (this.roomSeenAt.get(groupId) ?? -Infinity) + ROOM_SEEN_INTERVAL_MS - this.options.now();
    if (wait > 0) {
      if (!this.roomSeenTimers.has(groupId)) {
        this.roomSeenTimers.set(
          groupId,
          this.options.timers.setTimeout(() => void this.sendHeld(groupId), wait),
        );
      }
      this.roomSeenHeld.set(groupId, id);
      return;
    }
    this.lastSeen.set(groupId, id);
    this.roomSeenAt.set(groupId, this.options.now());
    await this.send(groupId, { kind: "seen", target: id });
  }

  private async sendHeld(groupId: GroupId): Promise<void> {
    const id = this.roomSeenHeld.get(groupId);
    this.roomSeenHeld.delete(groupId);
    this.roomSeenTimers.delete(groupId);
    if (id !== undefined) await this.seen(groupId, id).catch(() => undefined);
  }

  /** Drops the held receipts and their timers: nothing goes, and no timer keeps the process alive. */
  close(): void {
    for (const timer of this.roomSeenTimers.values()) this.options.timers.clearTimeout(timer);
    this.roomSeenTimers.clear();
    this.roomSeenHeld.clear();
  }

  /** Who said they were shown what in `groupId`: each other account's newest message id. */
  receiptsOf(groupId: GroupId): ReadonlyMap<UserName, string> {
    return this.receipts.get(groupId) ?? new Map();
  }

  private async send(groupId: GroupId, body: EphemeralBody): Promise<void> {
    const { engine, store, queue, self } = this.options;
    const { plaintext } = encodeContent(self, groupId, this.options.now(), body);
    const message = await queue.run(async () => {
      const { ciphertext, changes } = await engine.encrypt(groupId, plaintext);
      // Saved before it goes: a generation's key is never used twice, not even after a crash.
      await store.apply(changes);
      return ciphertext;
    });
    await this.options.connection().request({ type: "send_ephemeral", rid: 0, groupId, message }, "ok");
  }

  /** A pushed `ephemeral` frame: read in the serial queue (it uses the group's state), shown if wanted. */
  receive(frame: FrameOf<"ephemeral">): void {
    const groupId = parseGroupId(frame.groupId);
    if (groupId === undefined) return;
    void this.options.queue.run(async () => {
      const opened = await this.options.engine.openEphemeral(groupId, frame.message);
      if (opened === undefined) return;
      const { from, content } = opened;
      const { settings, self, emit } = this.options;
      if (content.body.kind === "typing" && settings.typing) emit({ type: "typing", groupId, from });
      if (content.body.kind !== "seen" || !settings.receipts || accountOf(from) === self) return;
      const receipts = this.receipts.get(groupId) ?? new Map<UserName, string>();
      receipts.set(accountOf(from), content.body.target);
      this.receipts.set(groupId, receipts);
      if (directPeer(groupId, self) === accountOf(from)) {
        emit({ type: "seen", groupId, from: accountOf(from), id: content.body.target });
      }
    });
  }
}
