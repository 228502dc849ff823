import { ACK_INTERVAL_MS, deliveryKindOf, parseGroupId, type FrameOf } from "@secure-chat/protocol";
import type { GroupEngine } from "../engine/group-engine.js";
import type { FollowUp } from "../engine/incoming.js";
import type { ChatEvent } from "../events.js";
import type { TimerHandle, Timers } from "../link/timers.js";
import type { Outages } from "../outages.js";
import type { SerialQueue } from "../serial-queue.js";
import type { ClientStore, StoreBatch } from "../store/store.js";

export interface DeliveryStreamOptions {
  engine: GroupEngine;
  store: ClientStore;
  queue: SerialQueue;
  timers: Timers;
  outages: Outages;
  emit(event: ChatEvent): void;
  followUp(work: FollowUp): void;
  /** Tells the server how far we have processed (best effort: lost acks mean resends, skipped by seq). */
  postAck(seq: number): void;
}

/**
 * Our delivery stream: each delivery runs through the engine in server order, inside the
 * serial queue; its changes and the new cursor are saved in one write before anything is
 * shown; the cursor is acknowledged at most once per ACK_INTERVAL_MS.
 *
 * After a failed local write memory is ahead of the store (an MLS state advanced and its
 * secrets were zeroed, but not saved): the stream is halted, processes nothing more, and is
 * reloaded from the store at the next login, which fetches again what was missed.
 */
export class DeliveryStream {
  private cursor = 0;
  private ackSeq = 0;
  private ackTimer: TimerHandle | undefined;
  private whenSynced: (() => void) | undefined;
  halted = false;

  constructor(private readonly options: DeliveryStreamOptions) {}

  /** The groups and cursor as last saved (at start, and after a failed write). */
  async reload(): Promise<void> {
    const { engine, store } = this.options;
    engine.load(await store.groups());
    this.cursor = await store.cursor();
    this.halted = false;
  }

  /** Resolves once the server's `synced` marker has been processed, after every delivery before it. */
  expectSynced(): Promise<void> {
    return new Promise((resolve) => (this.whenSynced = resolve));
  }

  deliver(frame: FrameOf<"deliver">): void {
    void this.options.queue.run(() => this.process(frame));
  }

  synced(): void {
    void this.options.queue.run(async () => this.whenSynced?.());
  }

  private async process(frame: FrameOf<"deliver">): Promise<void> {
    if (this.halted || frame.seq <= this.cursor) return;
    const { engine, store } = this.options;
    const groupId = parseGroupId(frame.groupId);
    const kind = deliveryKindOf(frame.kind);
    const received =
      groupId === undefined || kind === undefined
        ? { changes: {}, events: [], followUps: [] }
        : await engine.receive(
            { groupId, kind, payload: frame.payload, seq: frame.seq, serverTs: frame.serverTs, sender: frame.sender },
            { keyPackages: () => store.keyPackages(), message: (group, id) => store.message(group, id) },
          );
    // Nothing changed (ignored, or refused): nothing to save, and the cursor stays (see receive).
    const { cursor } = received.changes;
    if (cursor !== undefined) {
      if (!(await this.save(received.changes))) return;
      this.options.outages.over("local_write_failed");
      this.advance(cursor);
    }
    for (const event of received.events) this.options.emit(event);
    for (const work of received.followUps) this.options.followUp(work);
  }

  /** Saves one batch; false if the write failed (then the stream is halted by the write guard). */
  async save(batch: StoreBatch): Promise<boolean> {
    try {
      await this.options.store.apply(batch);
      return true;
    } catch {
      return false;
    }
  }

  /** Our cursor moved to `seq`, a delivery's, saved with what it changed. */
  private advance(seq: number): void {
    this.cursor = Math.max(this.cursor, seq);
    this.ackSeq = Math.max(this.ackSeq, seq);
    if (this.ackTimer !== undefined) return;
    this.ackTimer = this.options.timers.setTimeout(() => this.flushAck(), ACK_INTERVAL_MS);
  }

  flushAck(): void {
    this.options.timers.clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    if (this.ackSeq > 0) this.options.postAck(this.ackSeq);
  }
}
