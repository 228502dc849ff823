import { deliveryKindOf, type GroupId, type UserName } from "@secure-chat/protocol";
import type { StoredDelivery } from "./storage.js";

/** A delivery as the SQL adapters read it back (both name its columns alike). */
export interface MessageRow {
  seq: number;
  group_id: string;
  sender: string;
  kind: number;
  server_ts: number;
  payload: Buffer;
}

export function toDelivery(row: MessageRow): StoredDelivery {
  return {
    seq: row.seq,
    serverTs: row.server_ts,
    groupId: row.group_id as GroupId,
    sender: row.sender as UserName,
    kind: deliveryKindOf(row.kind) ?? "message",
    payload: new Uint8Array(row.payload.buffer, row.payload.byteOffset, row.payload.byteLength),
  };
}
