import type { ClientState, KeyPackage, Proposal } from "ts-mls";
import { accountOf, type UserName } from "@secure-chat/protocol";
import { sameKey } from "../identity.js";
import { epochSeconds, members, ownLeafExpiresIn } from "./mls/groups.js";

/** A change to commit (the server reads who it adds and removes from the commit itself). */
export interface CommitPlan {
  proposals: Proposal[];
}

/** A plan is made from the state it will be committed on (again after a lost race). */
export type Planner = (state: ClientState) => CommitPlan | undefined;

/** A leaf from a KeyPackage (60-day lifetime) is refreshed by an update commit when it has less left. */
const LEAF_REFRESH_SECONDS = 45n * 24n * 3600n;

export function leafIsAging(state: ClientState, nowMs: number): boolean {
  const left = ownLeafExpiresIn(state, epochSeconds(nowMs));
  return left !== undefined && left <= LEAF_REFRESH_SECONDS;
}

/** An update commit (no proposals: a fresh path, which also heals our keys), while our leaf is aging. */
export function refreshPlan(nowMs: () => number): Planner {
  return (state) => (leafIsAging(state, nowMs()) ? { proposals: [] } : undefined);
}

/**
 * Commits the pending leave proposals, or, if another commit won the epoch and dropped them,
 * removes the leavers by value.
 */
export function leavesPlan(state: ClientState, isLeaving: (name: UserName) => boolean): CommitPlan | undefined {
  if (Object.keys(state.unappliedProposals).length > 0) return { proposals: [] };
  const leavers = members(state).filter((m) => isLeaving(m.name));
  if (leavers.length === 0) return undefined;
  return {
    proposals: leavers.map((m) => ({ proposalType: "remove" as const, remove: { removed: m.leafIndex } })),
  };
}

/** Adds `name` by `keyPackage`, replacing a leaf of theirs under an older key (a lost device). */
export function addPlan(name: UserName, keyPackage: KeyPackage): Planner {
  return (state) => {
    const existing = members(state).find((m) => m.name === name);
    if (existing !== undefined && sameKey(existing.signaturePublicKey, keyPackage.leafNode.signaturePublicKey)) {
      return undefined;
    }
    const proposals: Proposal[] =
      existing === undefined ? [] : [{ proposalType: "remove", remove: { removed: existing.leafIndex } }];
    proposals.push({ proposalType: "add", add: { keyPackage } });
    return { proposals };
  };
}

/** Removes every leaf of `account`: its first device's and its linked devices'. */
export function removeAccountPlan(account: UserName): Planner {
  return (state) => {
    const leaves = members(state).filter((m) => accountOf(m.name) === account);
    if (leaves.length === 0) return undefined;
    return { proposals: leaves.map((m) => ({ proposalType: "remove" as const, remove: { removed: m.leafIndex } })) };
  };
}

/** Removes `name`'s leaf, if it is still there. */
export function removePlan(name: UserName): Planner {
  return (state) => {
    const member = members(state).find((m) => m.name === name);
    if (member === undefined) return undefined;
    return { proposals: [{ proposalType: "remove", remove: { removed: member.leafIndex } }] };
  };
}
