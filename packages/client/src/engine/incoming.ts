import { emptyPskIndex, joinGroup, processMessage, zeroOutUint8Array, type ClientState } from "ts-mls";
import { accountOf, type DeliveryKind, type GroupId, type UserName } from "@secure-chat/protocol";
import { decodeContent } from "../content.js";
import { ClientError, errorMessage } from "../errors.js";
import type { ChatEvent } from "../events.js";
import { sameKey } from "../identity.js";
import type { HistoryEntry, StoreBatch, StoredKeyPackage } from "../store/store.js";
import type { EngineOptions } from "./group-engine.js";
import { groupRecord, type GroupSlot, type GroupTable } from "./group-table.js";
import { memberChanges } from "./membership.js";
import {
  contentTypeOf,
  decodeMessage,
  handshakeSender,
  messageEpoch,
  senderName,
  leafName,
  members,
  ownLeafIndex,
  ownLeafNode,
  welcomeSignerIndex,
  type GroupMessage,
  type Member,
} from "./mls/groups.js";
import { requireLifetimes, roomPolicy } from "./policy.js";

/** One entry of our delivery stream, as the server framed it. `sender` is only the server's label. */
export interface Delivery {
  groupId: GroupId;
  kind: DeliveryKind;
  payload: Uint8Array;
  seq: number;
  serverTs: number;
  sender: string;
}

/**
 * Work a delivery asks for that needs the network (done outside the engine). `rejoin`: our copy
 * of the group could not follow it (a commit or Welcome we could not process); `by` is who sent it.
 */
export type FollowUp =
  | { kind: "complete_leaves"; groupId: GroupId }
  | { kind: "refill_key_packages" }
  | { kind: "rejoin"; groupId: GroupId; by: UserName; commit?: Uint8Array };

/** What processing a delivery did: one atomic write, then events and follow-ups, in that order. */
export interface Received {
  changes: StoreBatch;
  events: ChatEvent[];
  followUps: FollowUp[];
}

/** The saved state the engine reads while processing (it never writes: it returns changes). */
export interface EngineReads {
  keyPackages(): Promise<StoredKeyPackage[]>;
  hasMessage(groupId: GroupId, id: string): Promise<boolean>;
}

/** Incoming deliveries: Welcomes, commits (ours settle here), messages and proposals. */
export class IncomingProcessor {
  constructor(
    private readonly table: GroupTable,
    private readonly options: EngineOptions,
  ) {}

  /**
   * Processes one delivery. A delivery that can't be processed becomes an error event, never a
   * throw, so one bad frame can't stop the stream. Only a delivery that changed something moves
   * the cursor (`changes.cursor`): the server's seq is unauthenticated, and one forged frame
   * with a huge seq, ignored or refused, must not make every later delivery look old.
   */
  async receive(delivery: Delivery, reads: EngineReads): Promise<Received> {
    const received: Received = { changes: {}, events: [], followUps: [] };
    try {
      if (delivery.kind === "welcome") await this.onWelcome(delivery, reads, received);
      else if (delivery.kind === "commit") await this.onCommit(delivery, received);
      else await this.onGroupMessage(delivery, reads, received);
      if (Object.keys(received.changes).length > 0) received.changes.cursor = delivery.seq;
    } catch (error) {
      received.changes = {};
      received.followUps = [];
      received.events.push({
        type: "error",
        code: "DECRYPT_FAILED",
        message: `could not process ${delivery.kind} #${delivery.seq} in ${delivery.groupId} from ${delivery.sender}: ${errorMessage(error)}`,
      });
      // A Welcome we can't use leaves us outside a group the server may count us in: a member
      // may rejoin it by external commit (the server refuses anyone else).
      if (delivery.kind === "welcome" && this.table.slot(delivery.groupId) === undefined) {
        received.followUps.push({ kind: "rejoin", groupId: delivery.groupId, by: delivery.sender as UserName });
      }
    }
    return received;
  }

  private async onWelcome(delivery: Delivery, reads: EngineReads, out: Received): Promise<void> {
    const { groupId } = delivery;
    if (this.table.slot(groupId)?.state !== undefined) return;
    const message = decodeMessage(delivery.payload);
    if (message?.wireformat !== "mls_welcome") throw new ClientError("BAD_ARGUMENT", "not a Welcome");
    const welcome = message.welcome;
    const keyPackage = (await reads.keyPackages()).find((kp) =>
      welcome.secrets.some((secret) => sameKey(secret.newMember, kp.ref)),
    );
    if (keyPackage === undefined) {
      throw new ClientError("BAD_ARGUMENT", "the Welcome is for a KeyPackage we no longer hold");
    }
    const publicMessage = decodeMessage(keyPackage.publicPackage);
    if (publicMessage?.wireformat !== "mls_key_package") {
      throw new ClientError("STATE_CORRUPT", "stored KeyPackage unreadable");
    }
    const { impl, identity, config } = this.options;
    // Read before joining, which may spend the key; named below from the tree joined.
    const signer = await welcomeSignerIndex(welcome, publicMessage.keyPackage, keyPackage.initPrivateKey, impl);
    const state = await joinGroup(
      welcome,
      publicMessage.keyPackage,
      {
        initPrivateKey: keyPackage.initPrivateKey,
        hpkePrivateKey: keyPackage.hpkePrivateKey,
        signaturePrivateKey: identity.secretKey,
      },
      emptyPskIndex,
      impl,
      undefined,
      undefined,
      config,
    );
    if (new TextDecoder().decode(state.groupContext.groupId) !== groupId) {
      throw new ClientError("BAD_ARGUMENT", "the Welcome is for another group than announced");
    }
    requireLifetimes(state.ratchetTree, config.lifetimeConfig.maximumTotalLifetime, this.options.now(), groupId);
    const slot: GroupSlot = { state, pending: undefined };
    this.table.set(groupId, slot);
    out.changes.groups = [groupRecord(groupId, slot)];
    out.changes.removeKeyPackage = keyPackage.ref;
    // Who signed the GroupInfo joinGroup verified; the server's label only as a last resort.
    const by = accountOf(
      (signer === undefined ? undefined : leafName(state.ratchetTree, signer)) ?? (delivery.sender as UserName),
    );
    out.events.push({ type: "room", groupId, change: "joined", by });
    if (!keyPackage.lastResort) out.followUps.push({ kind: "refill_key_packages" });
  }

  private async onCommit(delivery: Delivery, out: Received): Promise<void> {
    const { groupId } = delivery;
    const slot = this.table.slot(groupId);
    if (slot === undefined) return;
    const message = decodeMessage(delivery.payload);
    // The kind is only the server's label: what MLS says this is decides (a message taken for a
    // commit would have its keys spent, a commit taken for a proposal would be applied unseen).
    if (
      (message?.wireformat !== "mls_public_message" && message?.wireformat !== "mls_private_message") ||
      contentTypeOf(message) !== "commit"
    ) {
      throw new ClientError("BAD_ARGUMENT", "not an MLS commit");
    }
    const before = slot.state === undefined ? [] : members(slot.state);
    if (await this.isOurPendingCommit(slot, message)) {
      this.settleAccepted(groupId, slot, before, out);
      return;
    }
    if (slot.state === undefined) return; // someone else's commit raced our external join
    // Read from the tree before the commit; processing it then checks the author's signature.
    const sender = await handshakeSender(slot.state, message, this.options.impl).catch(() => undefined);
    const leaf = senderName(slot.state, sender) ?? (delivery.sender as UserName);
    const joiner = sender?.kind === "joiner" ? leaf : undefined;
    const author = accountOf(leaf);
    let newState: ClientState;
    try {
      const result = await this.process(groupId, slot.state, message, joiner);
      if (result.kind !== "newState") throw new ClientError("BAD_MLS", "it is not a commit");
      if (result.actionTaken === "reject") throw new ClientError("BAD_MLS", "it breaks this room's rules");
      newState = result.newState;
    } catch (error) {
      if (messageEpoch(message) < slot.state.groupContext.epoch) throw error; // an old commit, already followed
      // The server accepted it, so the group has moved on without us: rejoin rather than be stuck.
      out.events.push({
        type: "error",
        code: "BAD_MLS",
        message: `${author}'s commit to ${groupId} can't be processed (${errorMessage(error)}); rejoining ${groupId}`,
      });
      out.followUps.push({ kind: "rejoin", groupId, by: author, commit: delivery.payload });
      return;
    }
    slot.pending = undefined; // if we had a commit in flight for this epoch, it lost
    slot.pendingConsumed = undefined;
    if (newState.groupActiveState.kind === "removedFromGroup") {
      this.table.forget(groupId);
      out.changes.groups = [{ groupId, state: null, pending: null }];
      out.events.push({ type: "room", groupId, change: "removed", by: author });
      return;
    }
    slot.state = newState;
    out.changes.groups = [groupRecord(groupId, slot)];
    out.events.push(...memberChanges(groupId, before, slot.state, this.options.self, author, this.table.leavers));
    if (this.table.leavers.any(groupId)) out.followUps.push({ kind: "complete_leaves", groupId });
  }

  /**
   * Whether a commit is the one we have pending, by what MLS authenticates (our own leaf, or for
   * a join the new leaf we made), not by the server's sender label: another device of the same
   * name is another leaf.
   */
  private async isOurPendingCommit(slot: GroupSlot, message: GroupMessage): Promise<boolean> {
    if (slot.pending === undefined) return false;
    // A join (also a rejoin, while the old state is still held) is ours by the new leaf it brings.
    const sender = await handshakeSender(slot.state ?? slot.pending, message, this.options.impl).catch(() => undefined);
    if (sender?.kind === "joiner") {
      const ours = ownLeafNode(slot.pending);
      return ours !== undefined && sameKey(sender.leafNode.hpkePublicKey, ours.hpkePublicKey);
    }
    return sender?.kind === "member" && slot.state !== undefined && sender.leafIndex === ownLeafIndex(slot.state);
  }

  /** Our own commit, accepted by the server: the pending state becomes current. */
  private settleAccepted(groupId: GroupId, slot: GroupSlot, before: Member[], out: Received): void {
    const joined = slot.state === undefined;
    slot.state = slot.pending;
    slot.pending = undefined;
    slot.pendingConsumed?.forEach(zeroOutUint8Array);
    slot.pendingConsumed = undefined;
    out.changes.groups = [groupRecord(groupId, slot)];
    if (joined) out.events.push({ type: "room", groupId, change: "joined" });
    else if (slot.state !== undefined) {
      const self = this.options.self;
      out.events.push(...memberChanges(groupId, before, slot.state, self, accountOf(self), this.table.leavers));
    }
  }

  private async onGroupMessage(delivery: Delivery, reads: EngineReads, out: Received): Promise<void> {
    const { groupId } = delivery;
    const slot = this.table.slot(groupId);
    if (slot?.state === undefined) return;
    const message = decodeMessage(delivery.payload);
    if (
      (message?.wireformat !== "mls_private_message" && message?.wireformat !== "mls_public_message") ||
      contentTypeOf(message) === "commit"
    ) {
      throw new ClientError("BAD_ARGUMENT", "not an MLS message or proposal");
    }
    // The sender is who MLS says signed it; the server's label is only a hint.
    const sender = await handshakeSender(slot.state, message, this.options.impl);
    if (sender?.kind !== "member") throw new ClientError("BAD_ARGUMENT", "the message names no member as its sender");
    if (sender.leafIndex === ownLeafIndex(slot.state)) return; // our own, recorded when it was accepted
    const fromLeaf = leafName(slot.state.ratchetTree, sender.leafIndex);
    if (fromLeaf === undefined) throw new ClientError("BAD_ARGUMENT", "the message names no member as its sender");
    // Shown as its account's: what another device of ours sends is ours.
    const from = accountOf(fromLeaf);
    let result: Awaited<ReturnType<IncomingProcessor["process"]>>;
    try {
      result = await this.process(groupId, slot.state, message);
    } catch (error) {
      const epoch = slot.state.groupContext.epoch;
      if (messageEpoch(message) <= epoch) throw error;
      // From an epoch we never reached: commits we missed (kept shorter than we were away).
      out.events.push({
        type: "error",
        code: "DECRYPT_FAILED",
        message: `${from}'s message in ${groupId} is from epoch ${messageEpoch(message)}, after ours (${epoch}); rejoining ${groupId}`,
      });
      out.followUps.push({ kind: "rejoin", groupId, by: from });
      return;
    }
    slot.state = result.newState;
    out.changes.groups = [groupRecord(groupId, slot)];
    if (result.kind === "newState") {
      if (result.actionTaken === "reject") {
        out.events.push({
          type: "error",
          code: "BAD_MLS",
          message: `${from} proposed a change to ${groupId} that only a commit may make (or that removes someone else); refused`,
        });
        return;
      }
      // A member leaving (the policy lets nothing else through): any member commits it.
      this.table.leavers.add(groupId, fromLeaf);
      out.followUps.push({ kind: "complete_leaves", groupId });
      return;
    }
    const content = decodeContent(result.message);
    if (content === undefined) throw new ClientError("BAD_ARGUMENT", "unreadable message content");
    if (await reads.hasMessage(groupId, content.id)) return; // a replay or duplicate
    const entry: HistoryEntry = {
      room: groupId,
      id: content.id,
      from,
      text: content.text,
      sentAt: content.sentAt,
      serverTs: delivery.serverTs,
      seq: delivery.seq,
    };
    out.changes.messages = [entry];
    out.events.push(messageEvent(entry));
  }

  /** Processes a group message under the room's policy; the secrets it used are zeroed. */
  private async process(
    groupId: GroupId,
    state: ClientState,
    message: GroupMessage,
    joiner?: UserName,
  ): Promise<Awaited<ReturnType<typeof processMessage>>> {
    const policy = roomPolicy(groupId, state, this.options.now(), joiner);
    const result = await processMessage(message, state, emptyPskIndex, policy, this.options.impl);
    result.consumed.forEach(zeroOutUint8Array);
    return result;
  }
}

export function messageEvent(entry: HistoryEntry): ChatEvent & { type: "message" } {
  return {
    type: "message",
    groupId: entry.room,
    from: entry.from,
    text: entry.text,
    id: entry.id,
    sentAt: entry.sentAt,
    serverTs: entry.serverTs,
    seq: entry.seq,
  };
}
