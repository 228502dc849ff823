import { acknowledge } from "../services/delivery.js";
import { onlineNames } from "../services/presence.js";
import type { Handler } from "./handler.js";

export const ack: Handler<"ack"> = {
  requiresAuth: true,
  handle(ctx, _connection, frame, name) {
    ctx.metrics.acks.inc();
    return acknowledge(ctx, name, frame.seq);
  },
};

export const ping: Handler<"ping"> = {
  requiresAuth: true,
  handle(_ctx, connection, frame) {
    connection.send({ type: "pong", rid: frame.rid });
  },
};

export const listOnline: Handler<"list_online"> = {
  requiresAuth: true,
  handle(ctx, connection, frame) {
    connection.send({ type: "online", rid: frame.rid, names: onlineNames(ctx) });
  },
};
