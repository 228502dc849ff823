import { isErrorCode, type ErrorCode } from "@secure-chat/protocol";

/** Failures the client itself detects, with stable codes (the server's codes are ErrorCode). */
export const clientErrorCodes = [
  "UNREACHABLE",
  "DISCONNECTED",
  "TIMEOUT",
  "CERT_CHANGED",
  "NOT_IN_ROOM",
  "NO_SUCH_ROOM",
  "KEY_CHANGED",
  "UNTRUSTED_KEY",
  "DECRYPT_FAILED",
  "STATE_CORRUPT",
  "BAD_PASSPHRASE",
  "DISK_FULL",
  "RELOADING",
  "SERVER_ERROR",
  "NOT_YOUR_MESSAGE",
  "NO_SUCH_MESSAGE",
  "FILE_CORRUPT",
] as const;

/** Every code a ClientError can carry: the client's own, or a server's passed through. */
export type ClientErrorCode = (typeof clientErrorCodes)[number] | ErrorCode;

export function isClientErrorCode(value: string): value is ClientErrorCode {
  return isErrorCode(value) || (clientErrorCodes as readonly string[]).includes(value);
}

export class ClientError extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ClientError";
  }
}

/** The stable code of any failure: a ClientError's own, INTERNAL for anything else (a bug). */
export function errorCode(error: unknown): ClientErrorCode {
  return error instanceof ClientError ? error.code : "INTERNAL";
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
