import type { ClientFrame, ClientFrameType, FrameOf } from "@secure-chat/protocol";
import type { Connection } from "../connection.js";
import type { ServerContext } from "../context.js";

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

/** What a client is told when the disk did not confirm what the server stored (see DurabilityGate). */
export const NOT_CONFIRMED =
  "the server's disk did not confirm what it stored; nothing more is acknowledged until the server is restarted";

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
