import { SendIds, type GroupId, type UserName } from "@secure-chat/protocol";
import { decodeContent, encodeContent, MAX_TEXT_BYTES, type StoredBody } from "../content/content.js";
import type { GroupEngine } from "../engine/group-engine.js";
import { messageEffect } from "../engine/message-effects.js";
import { ClientError, errorCode, errorMessage, type ClientErrorCode } from "../errors.js";
import type { ChatEvent } from "../events.js";
import type { RpcConnection } from "../link/rpc.js";
import { sleep, type Timers } from "../link/timers.js";
import type { Outages } from "../outages.js";
import type { SerialQueue } from "../serial-queue.js";
import type { DeliveryStream } from "../sync/delivery-stream.js";
import type { ClientStore, OutboxEntry } from "../store/store.js";

/** What the pump does with an entry the server (or the link) did not take. */
export type OutboxVerdict =
  /** The link is gone: stop; the entry is sent again after the next login. */
  | "wait_for_link"
  /** Too fast: the same entry again after a short pause. */
  | "retry_soon"
  /** The server's disk is full: tell the user once, offer the entry again every few seconds. */
  | "wait_for_room"
  /** The server cannot reach its database: tell the user once, offer the entry again every second or two. */
  | "wait_for_storage"
  /** Our own disk failed: stop; the pump restarts after the reload. */
  | "wait_for_reload"
  /** Refused for good (not a member any more, malformed, …): drop it and tell the user. */
  | "drop";

const verdicts: Partial<Record<ClientErrorCode, OutboxVerdict>> = {
  DISCONNECTED: "wait_for_link",
  TIMEOUT: "wait_for_link",
  RATE_LIMITED: "retry_soon",
  STORAGE_FULL: "wait_for_room",
  STORAGE_UNAVAILABLE: "wait_for_storage",
  RELOADING: "wait_for_reload",
  DISK_FULL: "wait_for_reload",
};

export function outboxVerdict(code: ClientErrorCode): OutboxVerdict {
  return verdicts[code] ?? "drop";
}

/** How long a message waits before it is offered again to a server whose disk is full (x1-2). */
const STORAGE_FULL_RETRY_MS = 2_000;
/** How long a message waits before it is offered again to a server whose database is unreachable (x1-2). */
const STORAGE_UNAVAILABLE_RETRY_MS = 1_000;

export interface OutboxPumpOptions {
  self: UserName;
  store: ClientStore;
  engine: GroupEngine;
  queue: SerialQueue;
  stream: DeliveryStream;
  outages: Outages;
  timers: Timers;
  now(): number;
  /** Whether the link is live (the loop stops when it is not, and is kicked again at the next login). */
  isLive(): boolean;
  /** The live connection, or throws DISCONNECTED. */
  connection(): RpcConnection;
  emit(event: ChatEvent): void;
}

/**
 * The one send loop (like matrix-js-sdk's OutgoingRequestsManager): the outbox in order, one
 * message at a time, while the link is live. A message is encrypted once, and its ciphertext
 * saved with the ratchet state, so a resend after a lost answer is the same message.
 */
export class OutboxPump {
  private pumping = false;
  /** How many entries wait in the saved outbox (counted here so `empty` needs no store read). */
  private waiting = 0;
  /** sendIds of this session (see SendIds: ordered, for the server's index). */
  private readonly sendIds = new SendIds();

  constructor(private readonly options: OutboxPumpOptions) {}

  /** Counts what an earlier session left in the outbox. */
  async load(): Promise<void> {
    this.waiting = await this.options.store.outboxSize();
  }

  /** True once every message handed to `enqueue` has been stored by the server (or dropped). */
  get empty(): boolean {
    return this.waiting === 0;
  }

  /**
   * Saves a message of any kind to the outbox (sent from there, in order, as soon as the link
   * is live); its id, which a reply or reaction to it will name.
   */
  async enqueue(groupId: GroupId, body: StoredBody): Promise<string> {
    const text = body.kind === "text" || body.kind === "edit" ? body.text : "";
    if (new TextEncoder().encode(text).length > MAX_TEXT_BYTES) {
      throw new ClientError("BAD_ARGUMENT", `messages are limited to ${MAX_TEXT_BYTES} bytes`);
    }
    this.options.engine.table.current(groupId); // NOT_IN_ROOM unless we are in it
    const sentAt = this.options.now();
    const { id, plaintext } = encodeContent(this.options.self, groupId, sentAt, body);
    await this.options.store.addOutbox({ room: groupId, sendId: this.sendIds.next(), id, sentAt, content: plaintext });
    this.waiting++;
    this.kick();
    return id;
  }

  /** Starts the loop unless it is running; it ends when the outbox is empty or the link is down. */
  kick(): void {
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        const entry = await this.options.store.nextOutbox();
        if (entry === undefined || !this.options.isLive() || this.options.stream.halted) return;
        const verdict = await this.sendOne(entry);
        if (verdict === "wait_for_link" || verdict === "wait_for_reload") return;
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Sends one entry; undefined when the server took it, else what was done about it. */
  private async sendOne(entry: OutboxEntry): Promise<OutboxVerdict | undefined> {
    const { outages, timers } = this.options;
    try {
      await this.send(entry);
      outages.over("server_disk_full");
      outages.over("server_storage_unavailable");
      return undefined;
    } catch (error) {
      // While halted (a local write failed) the entry stays, sent again after the reload.
      const verdict = this.options.stream.halted ? "wait_for_reload" : outboxVerdict(errorCode(error));
      switch (verdict) {
        case "wait_for_link":
        case "wait_for_reload":
          break;
        case "retry_soon":
          await sleep(timers, 250 + timers.random() * 750);
          break;
        case "wait_for_room":
          // Not stored, and nothing is lost: the entry stays first in the outbox until there is room.
          outages.tellOnce("server_disk_full", {
            type: "error",
            code: "STORAGE_FULL",
            message: "the server's disk is full: your messages wait in the outbox and are sent once there is room",
          });
          await sleep(timers, STORAGE_FULL_RETRY_MS * (1 + timers.random()));
          break;
        case "wait_for_storage":
          outages.tellOnce("server_storage_unavailable", {
            type: "error",
            code: "STORAGE_UNAVAILABLE",
            message: "the server cannot reach its database: your messages wait in the outbox and are sent once it can",
          });
          await sleep(timers, STORAGE_UNAVAILABLE_RETRY_MS * (1 + timers.random()));
          break;
        case "drop":
          await this.options.store.apply({ removeOutbox: entry.localId });
          this.waiting--;
          this.options.emit({
            type: "error",
            code: errorCode(error),
            message: `not sent to ${entry.room}: ${this.preview(entry)}: ${errorMessage(error)}`,
          });
          break;
      }
      return verdict;
    }
  }

  private async send(entry: OutboxEntry): Promise<void> {
    const { engine, queue, store, self } = this.options;
    const groupId: GroupId = entry.room;
    const message =
      entry.ciphertext ??
      (await queue.run(async () => {
        const { ciphertext, changes } = await engine.encrypt(groupId, entry.content);
        // The new ratchet state and the ciphertext are saved together: a resend reuses it.
        await store.apply({ ...changes, outboxCiphertext: { localId: entry.localId, ciphertext } });
        return ciphertext;
      }));
    // The confirmation takes its place in the queue the moment the answer arrives, so it
    // lands after every earlier delivery and before every later one: server order.
    await this.options
      .connection()
      .requestThen({ type: "send", rid: 0, groupId, sendId: entry.sendId, message }, "accepted", (accepted) =>
        queue.run(async () => {
          // Our own message does to our history what it does to everyone's (messageEffect).
          const content = decodeContent(entry.content, self, groupId);
          const effect =
            content === undefined
              ? { changes: {}, events: [] }
              : await messageEffect((group, id) => store.message(group, id), groupId, self, content, accepted);
          // The seq orders the history but moves no cursor: it is the server's word, and an answer
          // with seq 2^53-1 would make every later delivery look old, for good.
          await store.apply({ ...effect.changes, removeOutbox: entry.localId });
          this.waiting--;
          for (const event of effect.events) this.options.emit(event);
        }),
      );
  }

  /** A few words on an entry, for the notice that it was not sent. */
  private preview(entry: OutboxEntry): string {
    const body = decodeContent(entry.content, this.options.self, entry.room)?.body;
    switch (body?.kind) {
      case "text":
      case "edit":
        return `"${body.text.slice(0, 40)}"`;
      case "reaction":
        return `your reaction ${body.emoji}`;
      case "unreaction":
        return "taking back your reaction";
      case "delete":
        return "your delete";
      case "file":
        return `the file ${body.file.name}`;
      case "typing":
      case "seen":
      case "unsupported":
      case undefined:
        return "a message";
    }
  }
}
