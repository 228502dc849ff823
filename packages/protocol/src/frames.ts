/**
 * Every frame of the secure-chat wire protocol, both directions, as one schema table.
 * Types and the codec are both derived from this table, so they cannot drift apart.
 *
 * Wire layout: [PROTOCOL_VERSION u8][frame id u8][fields in declaration order].
 * MLS messages travel as raw `bytes` fields; the server treats them as opaque (except
 * for reading group id and epoch).
 */
/** 2: commits are PublicMessages the server checks, and carry no membership lists of their own. */
export const PROTOCOL_VERSION = 2;

/** Field kinds understood by the codec, and the TypeScript type each decodes to. */
export interface FieldTypes {
  u8: number;
  u32: number;
  u53: number;
  bool: boolean;
  bytes: Uint8Array;
  str: string;
  strs: string[];
  bytesList: Uint8Array[];
}
export type FieldKind = keyof FieldTypes;

/** Kinds of entries in a member's delivery stream. */
export const deliveryKinds = { message: 0, commit: 1, welcome: 2 } as const;
export type DeliveryKind = keyof typeof deliveryKinds;

const deliveryKindByNumber = new Map<number, DeliveryKind>(
  Object.entries(deliveryKinds).map(([name, id]) => [id, name as DeliveryKind]),
);
/** The delivery kind a stored or framed number stands for; undefined for a number no kind has. */
export function deliveryKindOf(kind: number): DeliveryKind | undefined {
  return deliveryKindByNumber.get(kind);
}

/**
 * Clients acknowledge what they have processed at most this often, and the server writes
 * cursors at the same pace (CursorBatcher), so sooner acks would change nothing on disk while
 * every ack is a frame to read (10,000 a second into a 1,000-member room at 100 ms). A reconnect
 * may get up to a second more of messages again, which the client skips by seq.
 */
export const ACK_INTERVAL_MS = 1_000;

export const frameSchemas = {
  // ---- client -> server. Every request carries `rid`, echoed by its answer.
  hello: { id: 1, dir: "c2s", fields: { rid: "u32", name: "str", publicKey: "bytes" } },
  login: { id: 2, dir: "c2s", fields: { rid: "u32", signature: "bytes" } },
  upload_key_packages: {
    id: 3,
    dir: "c2s",
    fields: { rid: "u32", keyPackages: "bytesList", lastResort: "bytes" },
  },
  claim_key_package: { id: 4, dir: "c2s", fields: { rid: "u32", name: "str" } },
  lookup_keys: { id: 5, dir: "c2s", fields: { rid: "u32", names: "strs" } },
  create_group: { id: 6, dir: "c2s", fields: { rid: "u32", groupId: "str", groupInfo: "bytes" } },
  get_group_info: { id: 7, dir: "c2s", fields: { rid: "u32", groupId: "str" } },
  commit: {
    id: 8,
    dir: "c2s",
    fields: {
      rid: "u32",
      groupId: "str",
      /** A PublicMessage, which the server checks against the group's public state before it is accepted. */
      commit: "bytes",
      /** The GroupInfo of the epoch the commit leads to, with its ratchet tree (every group has one). */
      groupInfo: "bytes",
      /** Welcome for the members the commit adds; empty when it adds nobody. */
      welcome: "bytes",
    },
  },
  /**
   * `sendId` is unique per message (see SendIds) and reused when the client resends after a lost answer:
   * the server stores each (sender, sendId) once and answers a resend with the first `accepted`.
   */
  send: { id: 9, dir: "c2s", fields: { rid: "u32", groupId: "str", sendId: "bytes", message: "bytes" } },
  ack: { id: 10, dir: "c2s", fields: { seq: "u53" } },
  /** One page of rooms, those whose id sorts after `after` ("" for the first page). */
  list_rooms: { id: 11, dir: "c2s", fields: { rid: "u32", after: "str" } },
  list_online: { id: 12, dir: "c2s", fields: { rid: "u32" } },
  /** Client heartbeat: the server answers `pong`; a client hearing nothing reconnects. */
  ping: { id: 13, dir: "c2s", fields: { rid: "u32" } },
  /** A device certificate (encodeDeviceCertificate) the account key signed: the server lists the device from then on. */
  add_device: { id: 14, dir: "c2s", fields: { rid: "u32", certificate: "bytes" } },
  /** A revocation (encodeDeviceRevocation) signed by the logged-in device: that device can no longer log in. */
  revoke_device: { id: 15, dir: "c2s", fields: { rid: "u32", revocation: "bytes" } },
  /** The linked devices of an account (`name` is the account's name). */
  list_devices: { id: 16, dir: "c2s", fields: { rid: "u32", name: "str" } },
  /**
   * Linking a new device, before it can log in: the new device asks for a rendezvous code
   * (`link_open`, no login), the account's first device joins it (`link_join`, logged in), and the
   * two exchange `link_relay` payloads, which the server passes on as `link_message` without
   * reading them (their keys are checked by a short authentication string both screens show).
   */
  link_open: { id: 17, dir: "c2s", fields: { rid: "u32", account: "str" } },
  link_join: { id: 18, dir: "c2s", fields: { rid: "u32", code: "str" } },
  link_relay: { id: 19, dir: "c2s", fields: { rid: "u32", code: "str", payload: "bytes" } },
  /**
   * An MLS application message for the members online now (typing notices, read receipts):
   * passed on as `ephemeral`, never stored, answered `ok`.
   */
  send_ephemeral: { id: 20, dir: "c2s", fields: { rid: "u32", groupId: "str", message: "bytes" } },
  /**
   * A chunk of an encrypted file for `groupId`'s members: `offset` 0 starts blob `blobId` (32 hex
   * digits the uploader picks), each chunk continues where the last ended, `last` finishes it. `ok`.
   */
  put_blob: {
    id: 21,
    dir: "c2s",
    fields: { rid: "u32", groupId: "str", blobId: "str", offset: "u53", data: "bytes", last: "bool" },
  },
  /** Up to `length` bytes of a finished blob of `groupId` from `offset`: answered `blob`. */
  get_blob: { id: 22, dir: "c2s", fields: { rid: "u32", groupId: "str", blobId: "str", offset: "u53", length: "u32" } },

  // ---- server -> client
  challenge: {
    id: 64,
    dir: "s2c",
    fields: { rid: "u32", nonce: "bytes", cipherSuite: "str", serverTime: "u53" },
  },
  login_ok: { id: 65, dir: "s2c", fields: { rid: "u32", keyPackageCount: "u32" } },
  ok: { id: 66, dir: "s2c", fields: { rid: "u32" } },
  accepted: { id: 67, dir: "s2c", fields: { rid: "u32", seq: "u53", serverTs: "u53" } },
  key_package: { id: 68, dir: "s2c", fields: { rid: "u32", name: "str", keyPackage: "bytes" } },
  /**
   * The directory's answer. `retiredKeys[i]` concatenates the 32-byte keys `names[i]` had
   * before an operator released the name: leaves of the old device may still be in groups.
   */
  keys: {
    id: 69,
    dir: "s2c",
    fields: { rid: "u32", names: "strs", publicKeys: "bytesList", retiredKeys: "bytesList" },
  },
  group_info: { id: 70, dir: "s2c", fields: { rid: "u32", groupId: "str", groupInfo: "bytes" } },
  /** `next`: the `after` of the next page, "" when this is the last. */
  rooms: { id: 71, dir: "s2c", fields: { rid: "u32", groupIds: "strs", memberNames: "strs", next: "str" } },
  online: { id: 72, dir: "s2c", fields: { rid: "u32", names: "strs" } },
  /** `rid` 0 when the error answers no request (e.g. a frame that could not be decoded). */
  error: { id: 73, dir: "s2c", fields: { rid: "u32", code: "str", message: "str" } },
  deliver: {
    id: 74,
    dir: "s2c",
    fields: {
      seq: "u53",
      serverTs: "u53",
      groupId: "str",
      sender: "str",
      kind: "u8",
      payload: "bytes",
    },
  },
  presence: { id: 75, dir: "s2c", fields: { name: "str", online: "bool" } },
  /** Sent once after login, when every stored delivery up to `cursor` has been sent. */
  synced: { id: 76, dir: "s2c", fields: { cursor: "u53" } },
  pong: { id: 77, dir: "s2c", fields: { rid: "u32" } },
  /** `listings`: encodeDeviceListing of each linked device (the first device, the bare name, is not listed). */
  devices: { id: 78, dir: "s2c", fields: { rid: "u32", name: "str", listings: "bytesList" } },
  link_code: { id: 79, dir: "s2c", fields: { rid: "u32", code: "str" } },
  /** A payload the other side of a link sent (see link_open); `code` says which link. */
  link_message: { id: 80, dir: "s2c", fields: { code: "str", payload: "bytes" } },
  /** A `send_ephemeral` of `sender`'s, to the members of `groupId` online when it came. */
  ephemeral: { id: 81, dir: "s2c", fields: { groupId: "str", sender: "str", message: "bytes" } },
  /** Bytes of a blob (fewer than asked at its end), and its whole size. */
  blob: { id: 82, dir: "s2c", fields: { rid: "u32", data: "bytes", size: "u53" } },
} as const satisfies Record<string, { id: number; dir: "c2s" | "s2c"; fields: Record<string, FieldKind> }>;

type Schemas = typeof frameSchemas;
export type FrameType = keyof Schemas;
type FieldsOf<T extends FrameType> = {
  -readonly [K in keyof Schemas[T]["fields"]]: FieldTypes[Schemas[T]["fields"][K] & FieldKind];
};
export type FrameOf<T extends FrameType> = { type: T } & FieldsOf<T>;
export type Frame = { [T in FrameType]: FrameOf<T> }[FrameType];

export type ClientFrameType = { [T in FrameType]: Schemas[T]["dir"] extends "c2s" ? T : never }[FrameType];
export type ServerFrameType = Exclude<FrameType, ClientFrameType>;
export type ClientFrame = Extract<Frame, { type: ClientFrameType }>;
export type ServerFrame = Extract<Frame, { type: ServerFrameType }>;
/** Client requests that are answered (all but `ack`). */
export type ClientRequest = Extract<ClientFrame, { rid: number }>;
