import {
  createApplicationMessage,
  createCommit,
  createGroup,
  createProposal,
  joinGroupExternal,
  zeroOutUint8Array,
  type CiphersuiteImpl,
  type ClientConfig,
  type ClientState,
} from "ts-mls";
import { ratchetTreeFromExtension } from "ts-mls/groupInfo.js";
import { createConfirmedHash, createInterimHash } from "ts-mls/transcriptHash.js";
import { type FrameOf, type GroupId, type UserName } from "@secure-chat/protocol";
import { padContent } from "../content/content.js";
import { ClientError } from "../errors.js";
import { sameKey, type Identity } from "../identity.js";
import type { StoreBatch, StoredGroupState } from "../store/store.js";
import { leafIsAging, leavesPlan, type Planner } from "./commit-plans.js";
import { requireLifetimes } from "./policy.js";
import { GroupTable, groupRecord, type GroupRecord, type GroupSlot } from "./group-table.js";
import { IncomingProcessor, type Delivery, type EngineReads, type Received } from "./incoming.js";
import { credentialName } from "./mls/config.js";
import { externalJoinSuite, groupInfoWithExternalPub } from "./mls/external-pub.js";
import { decodeMessage, encodeMessage, newKeyPackage, ownLeafIndex } from "./mls/groups.js";

const EMPTY = new Uint8Array(0);

export type CommitFrame = FrameOf<"commit">;

/** A commit ready to send; `changes` (the pending state) must be saved before it leaves. */
export interface PreparedCommit {
  frame: CommitFrame;
  pending: ClientState;
  changes: StoreBatch;
}

export interface EngineOptions {
  self: UserName;
  identity: Identity;
  impl: CiphersuiteImpl;
  config: ClientConfig;
  /** Milliseconds since the epoch (injected so tests can move time). */
  now: () => number;
}

/**
 * MLS for every group we are in, with no I/O: deliveries in, store changes and events out;
 * commits prepared here, sent by the caller, and settled when they come back (accepted) or
 * are lost. Callers run every method that changes a group inside one serial queue.
 */
export class GroupEngine {
  readonly table = new GroupTable();
  private readonly incoming: IncomingProcessor;

  constructor(private readonly options: EngineOptions) {
    this.incoming = new IncomingProcessor(this.table, options);
  }

  load(records: StoredGroupState[]): void {
    this.table.load(records, this.options.config);
  }

  /** Processes one delivery (see IncomingProcessor.receive). */
  receive(delivery: Delivery, reads: EngineReads): Promise<Received> {
    return this.incoming.receive(delivery, reads);
  }

  /** See IncomingProcessor.openEphemeral. */
  openEphemeral(groupId: GroupId, payload: Uint8Array): ReturnType<IncomingProcessor["openEphemeral"]> {
    return this.incoming.openEphemeral(groupId, payload);
  }

  // ------------------------------------------------------------------ our commits

  /**
   * Prepares a commit of `plan(state)` (plus every pending leave) and holds it as pending.
   * "busy" while another commit of ours waits for its verdict; "nothing" when the plan is empty.
   */
  async prepareCommit(groupId: GroupId, plan: Planner): Promise<PreparedCommit | "busy" | "nothing"> {
    const slot = this.table.slot(groupId);
    if (slot?.state === undefined) throw new ClientError("NOT_IN_ROOM", `you are not in ${groupId}`);
    if (slot.pending !== undefined) return "busy";
    const change = plan(slot.state);
    if (change === undefined) return "nothing";
    // A PublicMessage, so the server can check it before the group moves on (SECURITY.md).
    const result = await createCommit(
      { state: slot.state, cipherSuite: this.options.impl },
      { extraProposals: change.proposals, ratchetTreeExtension: true, wireAsPublicMessage: true },
    );
    slot.pending = result.newState;
    slot.pendingConsumed = result.consumed;
    const frame: CommitFrame = {
      type: "commit",
      rid: 0,
      groupId,
      commit: encodeMessage(result.commit),
      groupInfo: await this.groupInfoFor(result.newState),
      welcome:
        result.welcome === undefined
          ? EMPTY
          : encodeMessage({ welcome: result.welcome, wireformat: "mls_welcome", version: "mls10" }),
    };
    return { frame, pending: result.newState, changes: { groups: [groupRecord(groupId, slot)] } };
  }

  /**
   * Prepares a join by external commit from the GroupInfo the server gave us: of an open room,
   * or a rejoin of any group we are in whose commits we can no longer follow. Its external_pub
   * may be in RFC 9420's form or in ts-mls 1.6.4's (stored before we wrote the RFC's).
   */
  async prepareExternalJoin(groupId: GroupId, groupInfoBytes: Uint8Array): Promise<PreparedCommit> {
    const message = decodeMessage(groupInfoBytes);
    if (message?.wireformat !== "mls_group_info") {
      throw new ClientError("SERVER_ERROR", "the server sent a bad GroupInfo");
    }
    // Joined from another group's GroupInfo, we would hold that group's keys under this one's name.
    if (new TextDecoder().decode(message.groupInfo.groupContext.groupId) !== groupId) {
      throw new ClientError("BAD_MLS", `the server's GroupInfo for ${groupId} is of another group`);
    }
    const { impl, identity, config, self } = this.options;
    const keyPackage = await newKeyPackage(identity, impl, false, this.options.now());
    // A leaf under our name is our own lost device's: the join replaces it (resync). ts-mls finds
    // that leaf with our keyPackageEqualityConfig, which compares names as this does, so it always
    // finds one (ts-mls 1.6.4 loops forever on a resync that finds none).
    const tree = ratchetTreeFromExtension(message.groupInfo) ?? [];
    requireLifetimes(tree, config.lifetimeConfig.maximumTotalLifetime, this.options.now(), groupId);
    const resync = tree.some((node) => node?.nodeType === "leaf" && credentialName(node.leaf.credential) === self);
    // Our KeyPackage's init key is an HPKE public key of the suite: it gives the length of one.
    const keyLength = keyPackage.publicPackage.initKey.length;
    const { publicMessage, newState } = await joinGroupExternal(
      message.groupInfo,
      keyPackage.publicPackage,
      keyPackage.privatePackage,
      resync,
      externalJoinSuite(message.groupInfo, keyLength, impl),
      undefined,
      config,
    );
    // A rejoin keeps the state it can't go on from until the server accepts the new one.
    const slot: GroupSlot = { state: this.table.slot(groupId)?.state, pending: newState };
    this.table.set(groupId, slot);
    const frame: CommitFrame = {
      type: "commit",
      rid: 0,
      groupId,
      commit: encodeMessage({ publicMessage, wireformat: "mls_public_message", version: "mls10" }),
      groupInfo: await this.groupInfoFor(newState),
      welcome: EMPTY,
    };
    return { frame, pending: newState, changes: { groups: [groupRecord(groupId, slot)] } };
  }

  /**
   * Whether the group has moved on past what we hold, by the server's GroupInfo: a rejoin is
   * only worth a commit then (a message claiming a later epoch is no proof that there is one).
   * Given the commit we could not process: only if the GroupInfo's transcript follows from that
   * very commit (or the group is further on), so a damaged copy of a good commit, which the real
   * one may still follow, costs no rejoin (and no messages of the epoch it opens).
   */
  async isBehind(groupId: GroupId, groupInfoBytes: Uint8Array, commit?: Uint8Array): Promise<boolean> {
    const state = this.table.slot(groupId)?.state;
    const message = decodeMessage(groupInfoBytes);
    if (message?.wireformat !== "mls_group_info") return true; // refused with a reason by the join
    // Holding nothing (a Welcome we could not use): only a group whose tree has our leaf, so
    // that a forged Welcome can't make us join an open room nobody added us to.
    if (state === undefined) return this.hasOwnLeaf(ratchetTreeFromExtension(message.groupInfo) ?? []);
    const next = message.groupInfo.groupContext;
    if (next.epoch <= state.groupContext.epoch) return false;
    if (commit === undefined || next.epoch > state.groupContext.epoch + 1n) return true;
    const committed = decodeMessage(commit);
    if (committed?.wireformat !== "mls_public_message" || committed.publicMessage.auth.contentType !== "commit") {
      return false;
    }
    const { content, auth } = committed.publicMessage;
    if (content.contentType !== "commit") return false;
    const { hash } = this.options.impl;
    const interim = await createInterimHash(state.groupContext.confirmedTranscriptHash, state.confirmationTag, hash);
    const confirmed = await createConfirmedHash(
      interim,
      { wireformat: "mls_public_message", content, signature: auth.signature },
      hash,
    );
    return sameKey(confirmed, next.confirmedTranscriptHash);
  }

  private hasOwnLeaf(tree: ClientState["ratchetTree"]): boolean {
    const { self, identity } = this.options;
    return tree.some(
      (node) =>
        node?.nodeType === "leaf" &&
        credentialName(node.leaf.credential) === self &&
        sameKey(node.leaf.signaturePublicKey, identity.publicKey),
    );
  }

  /**
   * Our pending commit lost (another won the epoch) or was refused: back to the current state.
   * Undefined if `pending` is no longer what we hold (already settled).
   */
  lost(groupId: GroupId, pending: ClientState): StoreBatch | undefined {
    const slot = this.table.slot(groupId);
    if (slot === undefined || slot.pending !== pending) return undefined;
    return { groups: [this.dropPending(groupId, slot)] };
  }

  /** After a (re)sync, a commit of ours that never came back was not accepted: drop it. */
  dropUnaccepted(): StoreBatch | undefined {
    const groups = this.table.withPending().map(([groupId, slot]) => this.dropPending(groupId, slot));
    return groups.length === 0 ? undefined : { groups };
  }

  private dropPending(groupId: GroupId, slot: GroupSlot): GroupRecord {
    slot.pending = undefined;
    slot.pendingConsumed = undefined;
    if (slot.state === undefined) this.table.forget(groupId);
    return groupRecord(groupId, slot);
  }

  /**
   * The GroupInfo every committer publishes: the server checks the next commit against it, and
   * it is what others join an open room from, and what members rejoin any group from. Its
   * external_pub is in RFC 9420's form (mls/external-pub.ts).
   */
  private async groupInfoFor(state: ClientState): Promise<Uint8Array> {
    const groupInfo = await groupInfoWithExternalPub(state, this.options.impl);
    return encodeMessage({ groupInfo, wireformat: "mls_group_info", version: "mls10" });
  }

  /** A new group at epoch 0 with us alone, and its GroupInfo for the server; adopted once the server agrees. */
  async newGroup(groupId: GroupId): Promise<{ state: ClientState; groupInfo: Uint8Array }> {
    const { impl, identity, config } = this.options;
    const keyPackage = await newKeyPackage(identity, impl, false, this.options.now());
    const state = await createGroup(
      new TextEncoder().encode(groupId),
      keyPackage.publicPackage,
      keyPackage.privatePackage,
      [],
      impl,
      config,
    );
    return { state, groupInfo: await this.groupInfoFor(state) };
  }

  adoptCreated(groupId: GroupId, state: ClientState): Received {
    const slot: GroupSlot = { state, pending: undefined };
    this.table.set(groupId, slot);
    return {
      changes: { groups: [groupRecord(groupId, slot)] },
      events: [{ type: "room", groupId, change: "created" }],
      followUps: [],
    };
  }

  /** Our own leave: a self-remove proposal that the remaining members commit. */
  async prepareLeave(groupId: GroupId): Promise<Uint8Array> {
    const state = this.table.current(groupId);
    const proposal = await createProposal(
      state,
      false,
      { proposalType: "remove", remove: { removed: ownLeafIndex(state) } },
      this.options.impl,
    );
    proposal.consumed.forEach(zeroOutUint8Array);
    return encodeMessage(proposal.message);
  }

  /** Once the server has our leave proposal: the group is gone for us. */
  left(groupId: GroupId): Received {
    this.table.forget(groupId);
    return {
      changes: { groups: [{ groupId, state: null, pending: null }] },
      events: [{ type: "room", groupId, change: "left" }],
      followUps: [],
    };
  }

  // ------------------------------------------------------------------ messages

  /** Encrypts a plaintext, padded; the new ratchet state must be saved with the ciphertext (a resend reuses it). */
  async encrypt(groupId: GroupId, plaintext: Uint8Array): Promise<{ ciphertext: Uint8Array; changes: StoreBatch }> {
    const slot = this.table.slot(groupId);
    if (slot?.state === undefined) throw new ClientError("NOT_IN_ROOM", `you are not in ${groupId}`);
    const result = await createApplicationMessage(slot.state, padContent(plaintext), this.options.impl);
    result.consumed.forEach(zeroOutUint8Array);
    slot.state = result.newState;
    const ciphertext = encodeMessage({
      privateMessage: result.privateMessage,
      wireformat: "mls_private_message",
      version: "mls10",
    });
    return { ciphertext, changes: { groups: [groupRecord(groupId, slot)] } };
  }

  // ------------------------------------------------------------------ plans

  /** Groups where our leaf still comes from a KeyPackage that is getting old. */
  agingLeaves(): GroupId[] {
    const now = this.options.now();
    return this.table.joined().filter((groupId) => leafIsAging(this.table.current(groupId), now));
  }

  /** Completes the leaves of members who asked to go (see leavesPlan). */
  leavesPlan(groupId: GroupId): Planner {
    return (state) => leavesPlan(state, (name) => this.table.leavers.has(groupId, name));
  }
}
