import type { ClientFrame, ClientFrameType, FrameOf } from "@secure-chat/protocol";
import type { Connection } from "../connection.js";
import type { ServerContext } from "../context.js";
import { NOT_CONFIRMED } from "../services/durability-gate.js";

/** Handlers of authenticated frames get the caller's name; others don't. */
export type Handler<T extends ClientFrameType> =
  | { requiresAuth: false; handle(ctx: ServerContext, connection: Connection, frame: FrameOf<T>): void }
  | {
      requiresAuth: true;
      handle(ctx: ServerContext, connection: Connection, frame: FrameOf<T>, name: ClientName): void;
    };

export type ClientName = NonNullable<Connection["name"]>;
export type HandlerTable = { [T in ClientFrameType]: Handler<T> };
export type AnyClientFrame = ClientFrame;

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
