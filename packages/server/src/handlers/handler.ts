import { ProtocolError, type ClientFrameType, type FrameOf } from "@secure-chat/protocol";
import type { Connection } from "../connection.js";
import type { ServerContext } from "../context.js";
import { NOT_CONFIRMED } from "../services/durability-gate.js";
import { StorageFullError, StorageUnavailableError } from "../storage/storage.js";

/**
 * Handlers of authenticated frames get the caller's name; others don't. One that awaits storage
 * returns its promise: the connection's next frames wait for it (see dispatch).
 */
export type Handler<T extends ClientFrameType> =
  | { requiresAuth: false; handle(ctx: ServerContext, connection: Connection, frame: FrameOf<T>): void | Promise<void> }
  | {
      requiresAuth: true;
      handle(ctx: ServerContext, connection: Connection, frame: FrameOf<T>, name: ClientName): void | Promise<void>;
    };

export type ClientName = NonNullable<Connection["name"]>;
export type HandlerTable = { [T in ClientFrameType]: Handler<T> };

/**
 * Runs `announce` (answers, fan-out) once the handler's writes are on disk, after everything
 * written before them; if the disk fails, the client gets INTERNAL instead.
 */
export function whenDurable(ctx: ServerContext, connection: Connection, rid: number, announce: () => void): void {
  ctx.durable.after((durable) => {
    if (durable) announce();
    else connection.fail(rid, "INTERNAL", NOT_CONFIRMED);
  });
}

/**
 * Answers a request whose handling threw (not a ProtocolError): STORAGE_FULL when the disk is
 * full and STORAGE_UNAVAILABLE when the database is unreachable, so the client can wait and try
 * again, and INTERNAL otherwise. Nothing of it was stored (each write is one transaction), but
 * for a commit whose answer was lost with the connection: a retry of it is a duplicate or stale.
 */
export function refuseFailed(
  ctx: ServerContext,
  connection: Connection,
  frame: { type: string; rid: number },
  error: unknown,
): void {
  const rid = frame.rid;
  if (error instanceof StorageFullError) {
    ctx.log.warn("storage_full", { frame: frame.type, action: "free disk space; nothing is lost" });
    connection.fail(rid, "STORAGE_FULL", "the server's disk is full: this was not stored; try again later");
    return;
  }
  if (error instanceof StorageUnavailableError) {
    ctx.log.warn("storage_unavailable", {
      frame: frame.type,
      error: String(error.cause),
      action: "retried by the client",
    });
    connection.fail(rid, "STORAGE_UNAVAILABLE", "the server cannot reach its database just now; try again shortly");
    return;
  }
  ctx.log.error("handler_failed", { frame: frame.type, error: String(error) });
  connection.fail(rid, "INTERNAL", "the server could not process this request; nothing was stored");
}

/** Answers a request that failed: its ProtocolError as is, anything else as refuseFailed does. */
export function answerFailure(
  ctx: ServerContext,
  connection: Connection,
  frame: { type: string; rid: number },
  error: unknown,
): void {
  if (error instanceof ProtocolError) connection.fail(frame.rid, error.code, error.message);
  else refuseFailed(ctx, connection, frame, error);
}
