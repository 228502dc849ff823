import type { GroupId, UserName } from "@secure-chat/protocol";
import type { MessageBody, MessageContent } from "../content/content.js";
import type { ChatEvent, MessageEvent, ReactionCount } from "../events.js";
import type { HistoryEntry, StoreBatch } from "../store/store.js";

/** Where a message was placed by the server. */
export interface Placement {
  serverTs: number;
  seq: number;
}

/** Reads the history of a room (the store, in the serial queue: nothing else writes meanwhile). */
export type MessageLookup = (groupId: GroupId, id: string) => Promise<HistoryEntry | undefined>;

/** What one message does to the history, and what the user is told. */
export interface MessageEffect {
  changes: Pick<StoreBatch, "messages" | "revisions">;
  events: ChatEvent[];
}

const NOTHING: MessageEffect = { changes: {}, events: [] };

/**
 * What a message `from` (the MLS-authenticated sender) did in `groupId`: the same function for
 * a delivery and for our own message once the server took it, so every member ends with the
 * same history. Edits and deletes count only from the sender of the message they change; a
 * reaction, edit or delete naming a message this client does not have is dropped (ids are
 * hashes, so it can't land on another).
 */
export async function messageEffect(
  lookup: MessageLookup,
  groupId: GroupId,
  from: UserName,
  content: MessageContent,
  at: Placement,
): Promise<MessageEffect> {
  const body = content.body;
  switch (body.kind) {
    case "text":
    case "file": {
      if ((await lookup(groupId, content.id)) !== undefined) return NOTHING; // a replay or duplicate
      const entry: HistoryEntry = {
        room: groupId,
        id: content.id,
        from,
        text: body.kind === "text" ? body.text : "",
        sentAt: content.sentAt ?? at.serverTs,
        serverTs: at.serverTs,
        seq: at.seq,
        ...(body.kind === "text" && body.replyTo !== undefined ? { replyTo: body.replyTo } : {}),
        ...(body.kind === "file" ? { file: body.file } : {}),
      };
      return { changes: { messages: [entry] }, events: [messageEvent(entry)] };
    }
    case "unsupported":
      return { changes: {}, events: [{ type: "unsupported", groupId, id: content.id, from, what: body.what }] };
    case "typing":
    case "seen":
      return NOTHING; // only ever ephemeral: one the server stored means nothing

    case "reaction":
    case "unreaction":
    case "edit":
    case "delete": {
      const target = await lookup(groupId, body.target);
      if (target === undefined || target.deleted === true) return NOTHING;
      return changeOf(target, from, content.id, body);
    }
  }
}

function changeOf(
  target: HistoryEntry,
  from: UserName,
  id: string,
  body: Extract<MessageBody, { kind: "reaction" | "unreaction" | "edit" | "delete" }>,
): MessageEffect {
  const groupId = target.room;
  const revised = (entry: HistoryEntry, event: ChatEvent): MessageEffect => ({
    changes: { revisions: [entry] },
    events: [event],
  });
  const reactions = target.reactions ?? [];
  switch (body.kind) {
    case "reaction": {
      if (reactions.some((r) => r.id === id || (r.from === from && r.emoji === body.emoji))) return NOTHING;
      return revised(
        { ...target, reactions: [...reactions, { from, emoji: body.emoji, id }] },
        { type: "reaction", groupId, id: target.id, from, emoji: body.emoji, removed: false },
      );
    }
    case "unreaction": {
      // Only the reaction's own sender takes it back.
      const taken = reactions.find((r) => r.id === body.reaction && r.from === from);
      if (taken === undefined) return NOTHING;
      return revised(
        { ...target, reactions: reactions.filter((r) => r !== taken) },
        { type: "reaction", groupId, id: target.id, from, emoji: taken.emoji, removed: true },
      );
    }
    case "edit":
    case "delete": {
      if (target.from !== from) {
        return {
          changes: {},
          events: [
            {
              type: "error",
              code: "NOT_YOUR_MESSAGE",
              message: `${from} tried to ${body.kind} ${target.from}'s message ${shortId(target.id)} in ${groupId}; ignored`,
            },
          ],
        };
      }
      if (body.kind === "edit") {
        return revised(
          { ...target, text: body.text, edited: true },
          { type: "edit", groupId, id: target.id, from, text: body.text },
        );
      }
      const tombstone: HistoryEntry = { ...target, text: "", deleted: true };
      delete tombstone.reactions;
      delete tombstone.file;
      delete tombstone.edited;
      return revised(tombstone, { type: "delete", groupId, id: target.id, from });
    }
  }
}

/** Reactions grouped by emoji, in the order each emoji first came. */
function reactionCounts(entry: HistoryEntry): ReactionCount[] {
  const counts = new Map<string, UserName[]>();
  for (const reaction of entry.reactions ?? []) {
    counts.set(reaction.emoji, [...(counts.get(reaction.emoji) ?? []), reaction.from]);
  }
  return [...counts].map(([emoji, from]) => ({ emoji, from }));
}

/**
 * A message's reaction counts after a `reaction` event: `from` added to (or, `removed`, taken
 * from) `emoji`'s, an emoji nobody is left on dropped. What every interface shows from events.
 */
export function reactionCountsWith(
  counts: readonly ReactionCount[],
  emoji: string,
  from: UserName,
  removed: boolean,
): ReactionCount[] {
  const next = counts.map((c) =>
    c.emoji !== emoji ? c : { emoji, from: [...c.from.filter((name) => name !== from), ...(removed ? [] : [from])] },
  );
  if (!removed && !next.some((c) => c.emoji === emoji)) next.push({ emoji, from: [from] });
  return next.filter((c) => c.from.length > 0);
}

export function messageEvent(entry: HistoryEntry): MessageEvent {
  const reactions = reactionCounts(entry);
  return {
    type: "message",
    groupId: entry.room,
    from: entry.from,
    text: entry.text,
    id: entry.id,
    sentAt: entry.sentAt,
    serverTs: entry.serverTs,
    seq: entry.seq,
    ...(entry.replyTo === undefined ? {} : { replyTo: entry.replyTo }),
    ...(entry.edited === true ? { edited: true as const } : {}),
    ...(entry.deleted === true ? { deleted: true as const } : {}),
    ...(reactions.length === 0 ? {} : { reactions }),
    ...(entry.file === undefined || entry.deleted === true
      ? {}
      : { file: { name: entry.file.name, size: entry.file.size, type: entry.file.contentType } }),
  };
}

/**
 * The short form of a message id people read and type: 6 hex digits of the hash (a MIMI id's
 * first byte names the hash function, the same for all). Version 1 ids: their first 6.
 */
export function shortId(id: string): string {
  return (id.length === 64 ? id.slice(2) : id).slice(0, 6);
}

/** Whether `typed` (a short id, any longer prefix, or the whole id) names message `id`. */
export function idMatches(id: string, typed: string): boolean {
  const typedLower = typed.toLowerCase();
  return id === typedLower || (id.length === 64 ? id.slice(2) : id).startsWith(typedLower);
}
