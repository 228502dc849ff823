import {
  ProtocolError,
  SEND_ID_BYTES,
  accountOf,
  directPeer,
  encodeFrame,
  parseGroupId,
  roomKind,
  type FrameOf,
  type GroupId,
  type UserName,
} from "@secure-chat/protocol";
import { groupMembers, setGroupMembers, type ServerContext } from "../context.js";
import { checkCommit, checkNewGroup, type CheckedCommit } from "../mls/commit-check.js";
import type { Connection } from "../connection.js";
import { inspectGroupMessage } from "../mls/inspect.js";
import { answerInOrder, deliverTo, expectOwnWrite, fanOut } from "../services/delivery.js";
import { announcePresence, isOnline } from "../services/presence.js";
import type { StoredGroup } from "../storage/storage.js";
import { NOT_CONFIRMED } from "../services/durability-gate.js";
import { answerFailure, refuseFailed, whenDurable, type Handler } from "./handler.js";

function requireGroupId(value: string): GroupId {
  const groupId = parseGroupId(value);
  if (groupId === undefined) throw new ProtocolError("BAD_ARGUMENT", `${value} is not a valid room or conversation id`);
  return groupId;
}

async function requireGroup(ctx: ServerContext, groupId: GroupId): Promise<StoredGroup> {
  const group = await ctx.storage.group(groupId);
  if (group === undefined) throw new ProtocolError("NO_SUCH_GROUP", `${groupId} does not exist`);
  return group;
}

/**
 * MLS checks (of commits and new groups) of one user run at once. A commit's check costs a
 * signature per leaf (about 0.4 s of CPU for a 1,000-member group here), so a user must not queue
 * them without bound; an honest client has one commit in flight per group.
 */
export const MAX_MLS_CHECKS_PER_USER = 4;

/**
 * Runs `check` (asynchronous, as ts-mls's verification is), then `accept` with its result, which
 * stores it; a refusal is answered. At most MAX_MLS_CHECKS_PER_USER of one
 * user's checks run at once, beyond that RATE_LIMITED.
 */
function afterMlsCheck<T>(
  ctx: ServerContext,
  connection: Connection,
  frame: { type: string; rid: number },
  name: UserName,
  check: () => Promise<T>,
  accept: (checked: T) => Promise<void>,
): void {
  const checking = ctx.mlsChecks.get(name) ?? 0;
  if (checking >= MAX_MLS_CHECKS_PER_USER) {
    throw new ProtocolError("RATE_LIMITED", "too many of your MLS messages are being checked; wait for their answers");
  }
  ctx.mlsChecks.set(name, checking + 1);
  void check()
    .then(accept)
    .catch((error: unknown) => answerFailure(ctx, connection, frame, error))
    .finally(() => {
      const left = (ctx.mlsChecks.get(name) ?? 1) - 1;
      if (left === 0) ctx.mlsChecks.delete(name);
      else ctx.mlsChecks.set(name, left);
    });
}

/** Rooms per `rooms` answer: one user creating thousands must not make every listing huge. */
export const ROOMS_PER_PAGE = 100;

/** Members one commit may add (the client adds one at a time): each gets a delivery of the Welcome. */
export const MAX_ADDED_PER_COMMIT = 50;

export const createGroup: Handler<"create_group"> = {
  requiresAuth: true,
  async handle(ctx, connection, frame, name) {
    const groupId = requireGroupId(frame.groupId);
    const kind = roomKind(groupId);
    if (kind === "direct" && directPeer(groupId, accountOf(name)) === undefined) {
      throw new ProtocolError("NOT_MEMBER", "you can only start your own private conversations");
    }
    if ((await ctx.storage.group(groupId)) !== undefined)
      throw new ProtocolError("GROUP_EXISTS", `${groupId} already exists`);
    const creatorKey = await ctx.storage.userKey(name);
    if (creatorKey === undefined) throw new ProtocolError("NOT_AUTHENTICATED", `${name} is no longer registered`);
    const { groupInfo } = frame;
    const input = { groupId, creator: name, creatorKey, groupInfo, knownKey: knownKeyOf(ctx) };
    afterMlsCheck(
      ctx,
      connection,
      frame,
      name,
      () => checkNewGroup(input, ctx.config.cipherSuite),
      () => storeNewGroup(ctx, connection, frame, name, groupId, groupInfo),
    );
  },
};

async function storeNewGroup(
  ctx: ServerContext,
  connection: Connection,
  frame: FrameOf<"create_group">,
  name: UserName,
  groupId: GroupId,
  groupInfo: Uint8Array,
): Promise<void> {
  const kind = roomKind(groupId);
  ctx.quotas.chargeGroup(name, ctx.now());
  ctx.quotas.chargeBytes(name, groupInfo.length, ctx.now());
  const result = await ctx.storage.createGroup(groupId, kind, name, groupInfo);
  switch (result.kind) {
    case "created":
      break;
    case "exists":
      throw new ProtocolError("GROUP_EXISTS", `${groupId} already exists`);
    case "reserved":
      throw new ProtocolError("ROOM_RESERVED", `${groupId} is reserved by this server's operator for someone else`);
    case "confusable":
      throw new ProtocolError(
        "ROOM_CONFUSABLE",
        `${groupId} looks like ${result.lookalike}, which is in use or reserved; choose a name that does not`,
      );
  }
  ctx.members.set(groupId, new Set([name]));
  whenDurable(ctx, connection, frame.rid, () => connection.send({ type: "ok", rid: frame.rid }));
}

/**
 * Open rooms' GroupInfos are for anyone to join from; the others' only for their members, who
 * rejoin from it when they could not process a commit.
 */
export const getGroupInfo: Handler<"get_group_info"> = {
  requiresAuth: true,
  async handle(ctx, connection, frame, name) {
    const group = await requireGroup(ctx, requireGroupId(frame.groupId));
    const mayRead = group.kind === "open" || (await groupMembers(ctx, group.groupId)).has(name);
    if (!mayRead || group.groupInfo === undefined) {
      throw new ProtocolError("INVITE_ONLY", `${group.groupId} is joined by invitation only`);
    }
    const { groupId, groupInfo } = group;
    // It may belong to a commit whose disk sync is still running: joining it must not outlive a power cut.
    whenDurable(ctx, connection, frame.rid, () =>
      connection.send({ type: "group_info", rid: frame.rid, groupId, groupInfo }),
    );
  },
};

export const commit: Handler<"commit"> = {
  requiresAuth: true,
  async handle(ctx, connection, frame, name) {
    const groupId = requireGroupId(frame.groupId);
    const group = await requireGroup(ctx, groupId);
    const senderKey = await ctx.storage.userKey(name);
    if (senderKey === undefined) throw new ProtocolError("NOT_AUTHENTICATED", `${name} is no longer registered`);
    const members = await groupMembers(ctx, groupId);
    const input = {
      groupId,
      sender: name,
      senderKey,
      commit: frame.commit,
      nextGroupInfo: frame.groupInfo,
      welcome: frame.welcome,
      current: group.groupInfo,
      members,
      knownKey: knownKeyOf(ctx),
    };
    // The connection's next frames need not wait for the check. The commit is stored after it,
    // by a write whose epoch check decides between rival commits; one at a time, between batches
    // of sends (see SendBatcher.exclusive), so each reads the members the last one left and every
    // send goes to the members as of its seq.
    afterMlsCheck(
      ctx,
      connection,
      frame,
      name,
      () => checkCommit(input, ctx.config.cipherSuite),
      (checked) => {
        const failed = expectOwnWrite(ctx, connection);
        return ctx.sends
          .exclusive(() => acceptChecked(ctx, connection, frame, name, group, checked))
          .catch((error: unknown) => {
            failed();
            throw error;
          });
      },
    );
  },
};

/** Whether `key` is, or was, `name`'s key in the directory. */
function knownKeyOf(ctx: ServerContext): (name: UserName, key: Uint8Array) => Promise<boolean> {
  return async (name, key) => {
    const same = (other: Uint8Array) => Buffer.from(other).equals(key);
    const current = await ctx.storage.userKey(name);
    return (current !== undefined && same(current)) || (await ctx.storage.retiredKeys(name)).some(same);
  };
}

async function acceptChecked(
  ctx: ServerContext,
  connection: Connection,
  frame: FrameOf<"commit">,
  name: UserName,
  group: StoredGroup,
  checked: CheckedCommit,
): Promise<void> {
  const { groupId } = group;
  const members = await groupMembers(ctx, groupId);
  const isMember = members.has(name);
  // Joins by external commit are for open rooms; elsewhere only a member rejoins (a resync
  // after a commit it could not process, or its new device), never a newcomer.
  if (checked.external && group.kind !== "open" && !isMember) {
    throw new ProtocolError("INVITE_ONLY", `${groupId} is joined by invitation only`);
  }
  if (!checked.external && !isMember) throw new ProtocolError("NOT_MEMBER", `you are not in ${groupId}`);
  const { added } = checked;
  if (added.length > MAX_ADDED_PER_COMMIT) {
    throw new ProtocolError("BAD_ARGUMENT", `a commit adds at most ${MAX_ADDED_PER_COMMIT} members`);
  }
  for (const addedName of added) {
    if ((await ctx.storage.userKey(addedName)) === undefined)
      throw new ProtocolError("NO_SUCH_USER", `nobody is registered as ${addedName}`);
    // The two participants' devices, any of them: yours and your peer's.
    const participant = accountOf(addedName);
    if (
      group.kind === "direct" &&
      participant !== accountOf(name) &&
      directPeer(groupId, accountOf(name)) !== participant
    ) {
      throw new ProtocolError(
        "BAD_ARGUMENT",
        "a private conversation has exactly its two participants (and their devices)",
      );
    }
  }
  if (checked.removed.includes(name)) {
    throw new ProtocolError("BAD_ARGUMENT", "leave with a remove proposal, not your own commit");
  }
  // A stale leaf of a released name is removed from the MLS group; the server already ended it.
  const removed = checked.removed.filter((removedName) => members.has(removedName));
  // Stored: the commit, its GroupInfo, and the Welcome (once, whoever it adds).
  const stored = frame.commit.length + frame.groupInfo.length + (added.length > 0 ? frame.welcome.length : 0);
  ctx.quotas.chargeBytes(name, stored, ctx.now());
  const recipients = new Set(members);
  const senderJoins = checked.external && !isMember;
  const result = await ctx.storage.acceptCommit({
    groupId,
    epoch: checked.epoch,
    sender: name,
    senderJoins,
    commit: frame.commit,
    groupInfo: frame.groupInfo,
    welcome: added.length > 0 ? frame.welcome : undefined,
    added,
    removed,
    serverTs: ctx.now(),
  });
  if (result.kind === "no_group") throw new ProtocolError("NO_SUCH_GROUP", `${groupId} does not exist`);
  if (result.kind === "stale") {
    throw new ProtocolError(
      "STALE_EPOCH",
      `${groupId} has moved on to epoch ${result.currentEpoch}; process the newer commit and retry`,
    );
  }
  recipients.add(name);
  const newMembers = new Set(members);
  for (const removedName of removed) newMembers.delete(removedName);
  newMembers.add(name);
  for (const addedName of added) newMembers.add(addedName);
  setGroupMembers(ctx, groupId, newMembers);
  const newcomers = senderJoins ? [name, ...added] : added.filter((addedName) => !members.has(addedName));
  whenDurable(ctx, connection, frame.rid, () => {
    fanOut(ctx, recipients, result.commit);
    for (const welcome of result.welcomes) deliverTo(ctx, welcome.recipient, welcome.delivery);
    // Newcomers who are online: their new roommates learn it (and they learn their roommates').
    for (const newcomer of newcomers) {
      if (!isOnline(ctx, newcomer)) continue;
      announcePresence(ctx, newcomer, true, [groupId]);
      for (const member of newMembers) {
        if (member !== newcomer && isOnline(ctx, member)) {
          ctx.bus.publish([newcomer], encodeFrame({ type: "presence", name: member, online: true }));
        }
      }
    }
    const { seq, serverTs } = result.commit;
    answerInOrder(ctx, connection, seq, () => connection.send({ type: "accepted", rid: frame.rid, seq, serverTs }));
  });
}

export const send: Handler<"send"> = {
  requiresAuth: true,
  handle(ctx, connection, frame, name) {
    const groupId = requireGroupId(frame.groupId);
    // The member cache answers for known groups at once; only an unknown one costs queries.
    const members = ctx.members.get(groupId);
    if (members !== undefined) {
      storeSend(ctx, connection, frame, name, groupId, members);
      return;
    }
    return requireGroup(ctx, groupId)
      .then(() => groupMembers(ctx, groupId))
      .then((read) => storeSend(ctx, connection, frame, name, groupId, read));
  },
};

function storeSend(
  ctx: ServerContext,
  connection: Connection,
  frame: FrameOf<"send">,
  name: UserName,
  groupId: GroupId,
  members: ReadonlySet<UserName>,
): void {
  if (!members.has(name)) throw new ProtocolError("NOT_MEMBER", `you are not in ${groupId}`);
  const inspected = inspectGroupMessage(frame.message);
  if (inspected === undefined || inspected.kind !== "other" || inspected.groupId !== groupId) {
    throw new ProtocolError("BAD_MLS", `not an MLS application message or proposal for ${groupId}`);
  }
  if (frame.sendId.length !== SEND_ID_BYTES) {
    throw new ProtocolError("BAD_ARGUMENT", `sendId must be ${SEND_ID_BYTES} bytes`);
  }
  ctx.quotas.chargeBytes(name, frame.message.length, ctx.now());
  const input = { groupId, sender: name, payload: frame.message, serverTs: ctx.now(), sendId: frame.sendId };
  const failed = expectOwnWrite(ctx, connection);
  ctx.sends.add(input, (outcome) => {
    if (outcome.kind !== "ok") failed();
    if (outcome.kind === "failed") {
      refuseFailed(ctx, connection, frame, outcome.error);
      return;
    }
    if (outcome.kind === "unconfirmed") {
      connection.fail(frame.rid, "INTERNAL", NOT_CONFIRMED);
      return;
    }
    const { delivery } = outcome.result;
    // The sender already has its own message; everyone else gets the same encoded frame, once,
    // if they were members when it was stored (a later commit may have changed that by now).
    if (outcome.result.kind === "stored") fanOut(ctx, outcome.recipients, delivery, name);
    const { seq, serverTs } = delivery;
    answerInOrder(ctx, connection, seq, () => connection.send({ type: "accepted", rid: frame.rid, seq, serverTs }));
  });
}

/**
 * Typing notices and receipts: checked as a send is (a member's application message for this
 * group), then passed to the members online, and forgotten. No storage, no quota, no seq.
 */
export const sendEphemeral: Handler<"send_ephemeral"> = {
  requiresAuth: true,
  handle(ctx, connection, frame, name) {
    const groupId = requireGroupId(frame.groupId);
    const pass = (members: ReadonlySet<UserName>): void => {
      if (!members.has(name)) throw new ProtocolError("NOT_MEMBER", `you are not in ${groupId}`);
      const inspected = inspectGroupMessage(frame.message);
      if (inspected === undefined || inspected.kind !== "other" || inspected.groupId !== groupId) {
        throw new ProtocolError("BAD_MLS", `not an MLS application message for ${groupId}`);
      }
      const encoded = encodeFrame({ type: "ephemeral", groupId, sender: name, message: frame.message });
      ctx.bus.publishToGroup(members, encoded, name);
      connection.send({ type: "ok", rid: frame.rid });
    };
    const members = ctx.members.get(groupId);
    if (members !== undefined) return pass(members);
    return requireGroup(ctx, groupId)
      .then(() => groupMembers(ctx, groupId))
      .then(pass);
  },
};

/** A member's group, with its members (from the cache, else storage); NOT_MEMBER for anyone else. */
async function memberOf(ctx: ServerContext, raw: string, name: UserName): Promise<GroupId> {
  const groupId = requireGroupId(raw);
  let members = ctx.members.get(groupId);
  if (members === undefined) {
    await requireGroup(ctx, groupId);
    members = await groupMembers(ctx, groupId);
  }
  if (!members.has(name)) throw new ProtocolError("NOT_MEMBER", `you are not in ${groupId}`);
  return groupId;
}

/** A chunk of an encrypted file, kept for the group's members (see BlobStore). */
export const putBlob: Handler<"put_blob"> = {
  requiresAuth: true,
  async handle(ctx, connection, frame, name) {
    const groupId = await memberOf(ctx, frame.groupId, name);
    ctx.blobs.append(name, groupId, frame.blobId, frame.offset, frame.data, frame.last, ctx.now());
    connection.send({ type: "ok", rid: frame.rid });
  },
};

export const getBlob: Handler<"get_blob"> = {
  requiresAuth: true,
  async handle(ctx, connection, frame, name) {
    const groupId = await memberOf(ctx, frame.groupId, name);
    // A chunk at most a quarter of a frame, so the answer always fits.
    const length = Math.min(frame.length, Math.floor(ctx.config.maxFrameBytes / 4));
    const { data, size } = ctx.blobs.read(groupId, frame.blobId, frame.offset, length);
    connection.send({ type: "blob", rid: frame.rid, data, size });
  },
};

export const listRooms: Handler<"list_rooms"> = {
  requiresAuth: true,
  async handle(ctx, connection, frame, name) {
    // One more than a page says whether there is a next one.
    const visible = await ctx.storage.listGroups(name, frame.after, ROOMS_PER_PAGE + 1);
    const page = visible.slice(0, ROOMS_PER_PAGE);
    const answer = {
      type: "rooms",
      rid: frame.rid,
      groupIds: page.map((group) => group.groupId),
      memberNames: page.map((group) => group.members.join(",")),
      next: visible.length > ROOMS_PER_PAGE ? (page.at(-1)?.groupId ?? "") : "",
    } as const;
    whenDurable(ctx, connection, frame.rid, () => connection.send(answer));
  },
};
