import { ProtocolError, deliveryKinds, encodeFrame, type UserName } from "@secure-chat/protocol";
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
 * in memory and a slow reader is paced rather than cut off.
 */
export async function startDelivery(ctx: ServerContext, connection: Connection, name: UserName): Promise<void> {
  let unsubscribe = ctx.bus.subscribe(name, connection.holdDeliveries());
  connection.onClose.push(() => unsubscribe());
  let cursor = await ctx.cursors.cursor(name);
  for (;;) {
    const page = await ctx.storage.fetchSince(name, cursor, CATCH_UP_PAGE);
    const last = page.at(-1);
    if (last === undefined) break;
    // The page may hold rows whose disk sync is still running: none goes out before it is done
    // (a row lost in a power cut would leave this client holding a seq the server reuses).
    const durable = await new Promise<boolean>((resolve) => ctx.durable.after(resolve));
    if (!durable) {
      connection.fail(0, "INTERNAL", NOT_CONFIRMED);
      connection.close(1011, "INTERNAL");
      return;
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
    for (const delivery of page) {
      const frame = encodeDelivery(delivery);
      chunk.push(frame);
      chunkBytes += frame.length;
      if (chunkBytes >= ctx.config.maxSendBufferBytes / 4) await writeChunk();
    }
    if (chunk.length > 0) await writeChunk();
    cursor = last.seq;
    if (page.length < CATCH_UP_PAGE || connection.name === undefined) break;
  }
  connection.send({ type: "synced", cursor });
  // From the hold to the socket in one synchronous step: no live frame can fall in between.
  unsubscribe();
  if (connection.state.phase === "closed") return; // its cleanup has run: nothing to subscribe
  unsubscribe = ctx.bus.subscribe(name, connection.releaseDeliveries());
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
