import { ProtocolError, deliveryKinds, encodeFrame, type UserName } from "@secure-chat/protocol";
import type { DeliveryTarget } from "../bus/bus.js";
import { deliverySeq } from "../bus/delivery-seq.js";
import type { Connection } from "../connection.js";
import type { ServerContext } from "../context.js";
import type { StoredDelivery } from "../storage/storage.js";
import { NOT_CONFIRMED } from "./durability-gate.js";

const CATCH_UP_PAGE = 500;

/** Encodes a delivery once; the same bytes go to every recipient. */
export function encodeDelivery(delivery: StoredDelivery): Uint8Array {
  return encodeFrame({
    type: "deliver",
    seq: delivery.seq,
    serverTs: delivery.serverTs,
    groupId: delivery.groupId,
    sender: delivery.sender,
    kind: deliveryKinds[delivery.kind],
    payload: delivery.payload,
  });
}

/** Sends a delivery to a group's members (see Bus.publishToGroup for `except`). */
export function fanOut(
  ctx: ServerContext,
  members: ReadonlySet<UserName>,
  delivery: StoredDelivery,
  except?: UserName,
): void {
  ctx.bus.publishToGroup(members, encodeDelivery(delivery), except);
}

/** Sends a delivery to one user (a Welcome). */
export function deliverTo(ctx: ServerContext, name: UserName, delivery: StoredDelivery): void {
  ctx.bus.publish([name], encodeDelivery(delivery));
}

/**
 * Sends everything after the user's cursor, then `synced`, then live deliveries. Live frames
 * are subscribed to first and held back during the catch-up, so none can slip through the gap
 * (a frame both fetched and held is sent twice; clients skip seqs they have). Each catch-up
 * page waits until the socket has written the previous one, so a large backlog never piles up
 * in memory and a slow reader is paced rather than cut off. When several nodes publish (see
 * Bus.crossNode) live deliveries go through an OrderedDelivery instead.
 */
export async function startDelivery(ctx: ServerContext, connection: Connection, name: UserName): Promise<void> {
  let unsubscribe = ctx.bus.subscribe(name, connection.holdDeliveries());
  connection.onClose.push(() => unsubscribe());
  let cursor = await ctx.cursors.cursor(name);
  for (;;) {
    const page = await sendPage(ctx, connection, name, cursor);
    if (page === "failed") return;
    cursor = page.last;
    if (!page.full || connection.name === undefined) break;
  }
  connection.send({ type: "synced", cursor });
  // From the hold to the socket in one synchronous step: no live frame can fall in between.
  unsubscribe();
  if (connection.state.phase === "closed") return; // its cleanup has run: nothing to subscribe
  if (ctx.bus.crossNode) {
    const ordered = new OrderedDelivery(ctx, connection, name, cursor);
    connection.releaseDeliveries(); // the held frames are fetched anew, in order
    unsubscribe = ctx.bus.subscribe(name, ordered);
    ctx.orderedDeliveries.set(connection, ordered);
    connection.onClose.push(() => ctx.orderedDeliveries.delete(connection));
    ordered.fetch();
    return;
  }
  unsubscribe = ctx.bus.subscribe(name, connection.releaseDeliveries());
}

/** What OrderedDelivery asks of a page: where to stop, and what to send right after a row. */
interface PageHooks {
  /** True to stop before this row (it is sent by a later page). */
  holdBefore(delivery: StoredDelivery): boolean;
  /** An answer to send right after this row, if one waits for it. */
  answerAfter(delivery: StoredDelivery): (() => void) | undefined;
}

/**
 * Sends the user's next page of deliveries after `cursor`, in chunks that each wait for the
 * socket; "failed" when the disk did not confirm them (the connection is closed).
 */
async function sendPage(
  ctx: ServerContext,
  connection: Connection,
  name: UserName,
  cursor: number,
  hooks?: PageHooks,
): Promise<{ last: number; full: boolean } | "failed"> {
  const page = await ctx.storage.fetchSince(name, cursor, CATCH_UP_PAGE);
  if (page.length === 0) return { last: cursor, full: false };
  // The page may hold rows whose disk sync is still running: none goes out before it is done
  // (a row lost in a power cut would leave this client holding a seq the server reuses).
  const durable = await new Promise<boolean>((resolve) => ctx.durable.after(resolve));
  if (!durable) {
    connection.fail(0, "INTERNAL", NOT_CONFIRMED);
    connection.close(1011, "INTERNAL");
    return "failed";
  }
  // Write in chunks well under the send-buffer cap, each waiting for the previous one to be
  // written out: a reader that keeps up is never mistaken for a slow consumer.
  let chunk: Uint8Array[] = [];
  let chunkBytes = 0;
  const writeChunk = (): Promise<void> =>
    new Promise<void>((written) => {
      chunk.forEach((frame, i) => connection.sendEncoded(frame, i === chunk.length - 1 ? written : undefined));
      chunk = [];
      chunkBytes = 0;
    });
  let last = cursor;
  let held = false;
  for (const delivery of page) {
    if (hooks?.holdBefore(delivery) === true) {
      held = true;
      break;
    }
    const frame = encodeDelivery(delivery);
    chunk.push(frame);
    chunkBytes += frame.length;
    last = delivery.seq;
    const answer = hooks?.answerAfter(delivery);
    if (answer !== undefined || chunkBytes >= ctx.config.maxSendBufferBytes / 4) await writeChunk();
    answer?.();
  }
  if (chunk.length > 0) await writeChunk();
  return { last, full: !held && page.length === CATCH_UP_PAGE };
}

/**
 * A connection's live deliveries when several nodes write. Seqs become visible in storage in
 * the order they are handed out (see PgStorage), but frames published by different nodes
 * reach this one in any order, and the bus may lose some: sent as they come, a lower seq
 * arriving after a higher one would be skipped by the client for good. So a delivery frame
 * from the bus only says "there is something up to seq N"; what goes out is fetched from
 * storage after the last seq sent, in order, once each. Other frames (presence) go straight out.
 * A hint that never came is made up for by `fetch`, which the node calls when storage has seqs
 * the bus did not announce (see watchForMissedHints).
 */
export class OrderedDelivery implements DeliveryTarget {
  private fetching: Promise<void> | undefined;
  /** A fetch was asked for while one ran: run another after it. */
  private again = false;
  /** This connection's own sends and commits being stored, whose answers are not ready yet. */
  private ownInFlight = 0;
  /** Answers to this connection's own writes, by seq, each sent right after its row. */
  private readonly answers = new Map<number, () => void>();
  private readonly hooks: PageHooks = {
    holdBefore: (delivery) => this.holdBefore(delivery),
    answerAfter: (delivery) => this.takeAnswer(delivery.seq),
  };

  constructor(
    private readonly ctx: ServerContext,
    private readonly connection: Connection,
    private readonly name: UserName,
    /** The last seq sent to the connection. */
    private sent: number,
  ) {}

  send(frame: Uint8Array): void {
    const seq = deliverySeq(frame);
    if (seq === undefined) {
      this.connection.sendEncoded(frame);
      return;
    }
    if (seq > this.sent) this.fetch();
  }

  /** One of this connection's own writes is on its way to storage (see holdBefore). */
  expectOwnWrite(): void {
    this.ownInFlight++;
  }

  /** That write failed: it holds nothing back any more. */
  ownWriteFailed(): void {
    this.ownInFlight = Math.max(0, this.ownInFlight - 1);
    this.fetch();
  }

  /**
   * Sends `answer` (to this connection's own write of `seq`) right after the delivery of
   * `seq`: the client shows its own message where the answer lands among the deliveries, so
   * it must land in seq order, as it does on a single node.
   */
  answerAfter(seq: number, answer: () => void): void {
    this.ownInFlight = Math.max(0, this.ownInFlight - 1);
    if (seq <= this.sent) {
      answer();
      return;
    }
    this.answers.set(seq, answer);
    this.fetch();
  }

  /** Fetches and sends whatever storage has after the last seq sent (one fetch at a time). */
  fetch(): void {
    if (this.fetching !== undefined) {
      this.again = true;
      return;
    }
    this.fetching = this.drain().finally(() => {
      this.fetching = undefined;
      if (this.again) {
        this.again = false;
        this.fetch();
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.connection.name !== undefined) {
        const page = await sendPage(this.ctx, this.connection, this.name, this.sent, this.hooks);
        if (page === "failed") return;
        this.sent = page.last;
        // Answers whose rows this connection does not receive (none expected, but never lost).
        for (const [seq, answer] of this.answers) {
          if (seq > this.sent) continue;
          this.answers.delete(seq);
          answer();
        }
        if (!page.full) return;
      }
    } catch (error) {
      // Storage unreachable: the next hint, or the node's check for missed ones, tries again.
      this.ctx.log.warn("live_fetch_failed", { name: this.name, error: String(error), action: "retried" });
    }
  }

  /**
   * A row of the user's own, while one of this connection's writes has no answer yet, may be
   * that write: it waits for the answer (sent together). Unless a later write's answer is
   * ready: answers come in seq order, so the row is another device's.
   */
  private holdBefore(delivery: StoredDelivery): boolean {
    if (delivery.sender !== this.name || this.ownInFlight === 0 || this.answers.has(delivery.seq)) return false;
    for (const seq of this.answers.keys()) if (seq > delivery.seq) return false;
    return true;
  }

  private takeAnswer(seq: number): (() => void) | undefined {
    const answer = this.answers.get(seq);
    this.answers.delete(seq);
    return answer;
  }
}

/**
 * Tells the connection's OrderedDelivery (several nodes) that one of its own writes is on its
 * way; answers the function to call if it fails. A no-op on a single node.
 */
export function expectOwnWrite(ctx: ServerContext, connection: Connection): () => void {
  const ordered = ctx.orderedDeliveries.get(connection);
  ordered?.expectOwnWrite();
  return () => ordered?.ownWriteFailed();
}

/**
 * Sends the answer to a connection's own write of `seq`: at once on a single node, after the
 * delivery of `seq` when several nodes write (see OrderedDelivery.answerAfter).
 */
export function answerInOrder(ctx: ServerContext, connection: Connection, seq: number, answer: () => void): void {
  const ordered = ctx.orderedDeliveries.get(connection);
  if (ordered === undefined) answer();
  else ordered.answerAfter(seq, answer);
}

/**
 * When several nodes write, the bus is best effort: every interval, if storage has handed out
 * seqs beyond the highest any node announced on the bus (a frame lost, or published while NATS
 * was away), every live connection here fetches what it may have missed. Nothing waits for a
 * reconnect.
 */
export function watchForMissedHints(ctx: ServerContext, intervalMs: number): { stop(): void } {
  /** The last seq this check made every connection fetch up to. */
  let fetchedUpTo = 0;
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    ctx.storage
      .lastSeq()
      .then((last) => {
        if (last > Math.max(ctx.bus.announcedSeq, fetchedUpTo)) {
          for (const ordered of ctx.orderedDeliveries.values()) ordered.fetch();
        }
        fetchedUpTo = last;
      })
      .catch(() => undefined) // storage unreachable: checked again next interval
      .finally(() => (checking = false));
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/**
 * Clients acknowledge in batches (the highest seq they have durably processed). An ack beyond
 * the last seq handed out was made up (a forged delivery, a hostile relay): taken, it would
 * skip every delivery to come, so it is refused.
 */
export async function acknowledge(ctx: ServerContext, name: UserName, seq: number): Promise<void> {
  if (seq > (await ctx.storage.lastSeq())) {
    throw new ProtocolError("BAD_ARGUMENT", `ack of seq ${seq}, beyond the last one handed out`);
  }
  ctx.cursors.acknowledge(name, seq);
}
