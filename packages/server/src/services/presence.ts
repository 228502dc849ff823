import { encodeFrame, type UserName } from "@secure-chat/protocol";
import type { Connection } from "../connection.js";
import type { ServerContext } from "../context.js";

function broadcast(ctx: ServerContext, name: UserName, online: boolean): void {
  ctx.bus.publish([...ctx.online.keys()], encodeFrame({ type: "presence", name, online }));
}

/** Marks the user online for the life of this connection; tells everyone on first/last one. */
export function trackPresence(ctx: ServerContext, connection: Connection, name: UserName): void {
  const count = ctx.online.get(name) ?? 0;
  ctx.online.set(name, count + 1);
  if (count === 0) broadcast(ctx, name, true);
  connection.onClose.push(() => {
    const remaining = (ctx.online.get(name) ?? 1) - 1;
    if (remaining > 0) {
      ctx.online.set(name, remaining);
      return;
    }
    ctx.online.delete(name);
    broadcast(ctx, name, false);
  });
}

export function onlineNames(ctx: ServerContext): UserName[] {
  return [...ctx.online.keys()].sort();
}
