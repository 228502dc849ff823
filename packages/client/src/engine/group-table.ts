import type { ClientState } from "ts-mls";
import type { GroupId } from "@secure-chat/protocol";
import { ClientError } from "../errors.js";
import type { StoreBatch, StoredGroupState } from "../store/store.js";
import { Leavers } from "./membership.js";
import { decodeState, encodeState, members, ownLeafIndex, type Member } from "./mls/groups.js";
import type { ClientConfig } from "ts-mls";

/** A group we are in (state) and our own commit awaiting the server's verdict (pending). */
export interface GroupSlot {
  state: ClientState | undefined;
  pending: ClientState | undefined;
  /**
   * Secrets the pending commit consumed. They are still part of `state`, which we need if
   * the commit loses, so they are zeroed only once the commit is accepted.
   */
  pendingConsumed?: Uint8Array[];
}

export type GroupRecord = NonNullable<StoreBatch["groups"]>[number];

const EMPTY = new Uint8Array(0);

/** A slot as the store keeps it: no row once neither state nor pending is left. */
export function groupRecord(groupId: GroupId, slot: GroupSlot): GroupRecord {
  if (slot.state === undefined && slot.pending === undefined) return { groupId, state: null, pending: null };
  return {
    groupId,
    state: slot.state === undefined ? EMPTY : encodeState(slot.state),
    pending: slot.pending === undefined ? null : encodeState(slot.pending),
  };
}

/** The groups we are in (or joining), and who asked to leave each: the engine's memory. */
export class GroupTable {
  private readonly slots = new Map<GroupId, GroupSlot>();
  readonly leavers = new Leavers();

  /** Replaces every group with what the store holds (at start, and after a failed write). */
  load(records: StoredGroupState[], config: ClientConfig): void {
    this.slots.clear();
    for (const record of records) {
      this.slots.set(record.groupId, {
        state: record.state.length > 0 ? decodeState(record.state, config) : undefined,
        pending: record.pending === undefined ? undefined : decodeState(record.pending, config),
      });
    }
  }

  slot(groupId: GroupId): GroupSlot | undefined {
    return this.slots.get(groupId);
  }

  set(groupId: GroupId, slot: GroupSlot): void {
    this.slots.set(groupId, slot);
  }

  forget(groupId: GroupId): void {
    this.slots.delete(groupId);
    this.leavers.forget(groupId);
  }

  joined(): GroupId[] {
    return [...this.slots.entries()].filter(([, slot]) => slot.state !== undefined).map(([id]) => id);
  }

  withPending(): [GroupId, GroupSlot][] {
    return [...this.slots.entries()].filter(([, slot]) => slot.pending !== undefined);
  }

  /** The current state of a group we are in; NOT_IN_ROOM if we are not. */
  current(groupId: GroupId): ClientState {
    const state = this.slots.get(groupId)?.state;
    if (state === undefined) throw new ClientError("NOT_IN_ROOM", `you are not in ${groupId}`);
    return state;
  }

  members(groupId: GroupId): Member[] {
    return members(this.current(groupId));
  }

  /** Our rank among members by leaf index: spreads out who commits a leave first. */
  rank(groupId: GroupId): number {
    const state = this.slots.get(groupId)?.state;
    return state === undefined ? 0 : ownLeafIndex(state);
  }

  /** The live slots, read-only (the secret-zeroing test inspects states through it). */
  get groups(): ReadonlyMap<GroupId, Readonly<GroupSlot>> {
    return this.slots;
  }
}
