import { encodeFrame, type GroupId, type UserName } from "@secure-chat/protocol";
import type { Connection } from "../connection.js";
import { groupMembers, type ServerContext } from "../context.js";

/** Online users who share at least one of `groups` with `name` (not `name` itself). */
async function onlineRoommates(ctx: ServerContext, name: UserName, groups: Iterable<GroupId>): Promise<UserName[]> {
  const out = new Set<UserName>();
  for (const groupId of groups) {
    for (const member of await groupMembers(ctx, groupId)) {
      if (member !== name && isOnline(ctx, member)) out.add(member);
    }
  }
  return [...out];
}

/**
 * Tells the users who share a room with `name` (in `groups`, by default all of its groups) that
 * it came online or went offline. Scoped to roommates so n logins cost O(n x roommates), not
 * O(n^2) frames; `/who *` still lists everyone. A user's announcements go out in the order
 * made: an "online" that waits for storage must not overtake the "offline" after it.
 */
export function announcePresence(
  ctx: ServerContext,
  name: UserName,
  online: boolean,
  groups?: Iterable<GroupId>,
): void {
  ctx.presenceOrder
    .run(name, async () => {
      const recipients = await onlineRoommates(ctx, name, groups ?? (await ctx.storage.groupsOf(name)));
      if (recipients.length > 0) ctx.bus.publish(recipients, encodeFrame({ type: "presence", name, online }));
    })
    .catch((error: unknown) =>
      ctx.log.warn("presence_failed", { name, error: String(error), action: "not announced" }),
    );
}

/**
 * Marks the user online for the life of this connection; tells roommates on its first/last
 * one anywhere (a user online on another node too changes nothing for them).
 */
export function trackPresence(ctx: ServerContext, connection: Connection, name: UserName): void {
  const count = ctx.online.get(name) ?? 0;
  ctx.online.set(name, count + 1);
  if (count === 0) {
    ctx.bus.shareOnline(name, true);
    if (!ctx.bus.onlineElsewhere(name)) announcePresence(ctx, name, true);
  }
  connection.onClose.push(() => {
    const remaining = (ctx.online.get(name) ?? 1) - 1;
    if (remaining > 0) {
      ctx.online.set(name, remaining);
      return;
    }
    ctx.online.delete(name);
    ctx.bus.shareOnline(name, false);
    if (!ctx.bus.onlineElsewhere(name)) announcePresence(ctx, name, false);
  });
}

/** Whether `name` is online on this node or another. */
export function isOnline(ctx: ServerContext, name: UserName): boolean {
  return ctx.online.has(name) || ctx.bus.onlineElsewhere(name);
}

/** Everyone online, on this node and the others. */
export function onlineNames(ctx: ServerContext): UserName[] {
  return [...new Set([...ctx.online.keys(), ...ctx.bus.namesOnlineElsewhere()])].sort();
}
