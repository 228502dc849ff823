import { deliveryKinds, encodeFrame, type UserName } from "@secure-chat/protocol";
import type { Connection } from "../connection.js";
import type { ServerContext } from "../context.js";
import type { StoredDelivery } from "../storage/storage.js";

const CATCH_UP_PAGE = 1_000;

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

export function fanOut(ctx: ServerContext, recipients: Iterable<UserName>, delivery: StoredDelivery): void {
  ctx.bus.publish([...recipients], encodeDelivery(delivery));
}

/**
 * Sends everything after the user's cursor, then subscribes to live deliveries. Storage
 * calls are synchronous, so no delivery can slip between the catch-up and the subscription.
 */
export function startDelivery(ctx: ServerContext, connection: Connection, name: UserName): void {
  let cursor = ctx.storage.cursor(name);
  for (;;) {
    const page = ctx.storage.fetchSince(name, cursor, CATCH_UP_PAGE);
    for (const delivery of page) connection.sendEncoded(encodeDelivery(delivery));
    const last = page.at(-1);
    if (last !== undefined) cursor = last.seq;
    if (page.length < CATCH_UP_PAGE) break;
  }
  connection.send({ type: "synced", cursor });
  const unsubscribe = ctx.bus.subscribe(name, (frame) => connection.sendEncoded(frame));
  connection.onClose.push(unsubscribe);
}

/** Clients acknowledge in batches (the highest seq they have durably processed). */
export function acknowledge(ctx: ServerContext, name: UserName, seq: number): void {
  ctx.storage.setCursor(name, seq);
}
