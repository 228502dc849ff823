/**
 * Stable error codes. Clients and scripts match on `code`; the message is for humans.
 * `close` is the WebSocket close status used when the error also ends the connection.
 */
export const errorCodes = {
  BAD_FRAME: { close: 1007 },
  UNKNOWN_FRAME: { close: 1003 },
  UNSUPPORTED_VERSION: { close: 1002 },
  FRAME_TOO_LARGE: { close: 1009 },
  NOT_AUTHENTICATED: { close: 1008 },
  UNEXPECTED_FRAME: { close: 1008 },
  AUTH_FAILED: { close: 1008 },
  LOGIN_TIMEOUT: { close: 1008 },
  NAME_TAKEN: { close: 1008 },
  /** A new name displays like a registered one (same nameSkeleton): choose another. */
  NAME_CONFUSABLE: { close: 1008 },
  /** This device was revoked by another device of its account: it can no longer log in. */
  DEVICE_REVOKED: { close: 1008 },
  /** A device certificate or revocation that does not verify, or is not the sender's to give. */
  BAD_CERTIFICATE: { close: undefined },
  /** A device link ended before approval: not approved in time, or the approving device went away. */
  LINK_ENDED: { close: 1008 },
  BAD_NAME: { close: undefined },
  BAD_ARGUMENT: { close: undefined },
  NO_KEY_PACKAGE: { close: undefined },
  NO_SUCH_USER: { close: undefined },
  NO_SUCH_GROUP: { close: undefined },
  GROUP_EXISTS: { close: undefined },
  NOT_MEMBER: { close: undefined },
  INVITE_ONLY: { close: undefined },
  /** The server's operator reserved this room name for someone else. */
  ROOM_RESERVED: { close: undefined },
  /** A new room's name displays like an existing room's (same roomSkeleton): choose another. */
  ROOM_CONFUSABLE: { close: undefined },
  STALE_EPOCH: { close: undefined },
  BAD_MLS: { close: undefined },
  RATE_LIMITED: { close: undefined },
  /** The user's daily allowance (stored bytes, new groups) is used up; nothing of the request was stored. */
  QUOTA_EXCEEDED: { close: undefined },
  /** The server's disk is full: nothing of the request was stored; try again later. */
  STORAGE_FULL: { close: undefined },
  /** The server cannot reach its database just now: try again shortly (a send carries its sendId, so a retry is stored once). */
  STORAGE_UNAVAILABLE: { close: undefined },
  /** A file larger than the server takes (`--max-blob-bytes`); nothing of it was kept. */
  BLOB_TOO_LARGE: { close: undefined },
  /** No finished file of that id in that group (never uploaded, or deleted). */
  NO_SUCH_BLOB: { close: undefined },
  TOO_MANY_CONNECTIONS: { close: 1008 },
  INTERNAL: { close: undefined },
} as const satisfies Record<string, { close: number | undefined }>;

export type ErrorCode = keyof typeof errorCodes;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(errorCodes, value);
}

/** An error that crossed (or will cross) the wire: a stable code and a human sentence. */
export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ProtocolError";
  }
}
