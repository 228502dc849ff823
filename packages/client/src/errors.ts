/** Client-side failures with stable codes; server error codes pass through unchanged. */
export const clientErrorCodes = [
  "UNREACHABLE",
  "DISCONNECTED",
  "NAME_TAKEN",
  "AUTH_FAILED",
  "NOT_IN_ROOM",
  "NO_SUCH_ROOM",
  "INVITE_ONLY",
  "KEY_CHANGED",
  "UNTRUSTED_KEY",
  "DECRYPT_FAILED",
  "BAD_ARGUMENT",
  "STATE_CORRUPT",
  "DISK_FULL",
  "RELOADING",
  "SERVER_ERROR",
] as const;
export type ClientErrorCode = (typeof clientErrorCodes)[number] | string;

export class ClientError extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ClientError";
  }
}
