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
