import type { ClientState, IncomingMessageCallback, LeafNode, Proposal, RatchetTree } from "ts-mls";
import { accountOf, deviceNumberOf, roomKind, type GroupId, type UserName } from "@secure-chat/protocol";
import { ClientError } from "../errors.js";
import { credentialName } from "./mls/config.js";
import { epochSeconds, members } from "./mls/groups.js";

/**
 * The join/kick policy, the same in every client, enforced on every incoming proposal and
 * commit:
 * - a proposal on its own is accepted only as a member's own leave (a Remove of its own leaf):
 *   anything else would let one member get another removed by whoever commits next;
 * - joins by external commit in open rooms; elsewhere only a member's rejoin, which replaces
 *   its own leaf (after a commit it could not process, or from its new device);
 * - in a private conversation a leaf is removed only to be replaced by the same name's new
 *   device (every Remove comes with an Add of that name, or is the rejoiner's own old leaf), or
 *   when the committer removes a linked device of its own account (after revoking it);
 * - a member is added only with a KeyPackage valid now, for no longer than the configured
 *   maximum (ts-mls checks the window but not the span).
 */
export function roomPolicy(
  groupId: GroupId,
  state: ClientState,
  nowMs: number,
  joiner?: UserName,
): IncomingMessageCallback {
  return (incoming) => {
    if (incoming.kind === "proposal") {
      return isSelfRemove(incoming.proposal.proposal, incoming.proposal.senderLeafIndex) ? "accept" : "reject";
    }
    const proposals = incoming.proposals.map((p) => p.proposal);
    const kind = roomKind(groupId);
    const external = proposals.some((p) => p.proposalType === "external_init");
    if (external && kind !== "open" && !isRejoin(state, proposals, joiner)) return "reject";
    if (kind === "direct" && !removalsReplaced(state, proposals, joiner, incoming.senderLeafIndex)) return "reject";
    const maxSeconds = state.clientConfig.lifetimeConfig.maximumTotalLifetime;
    const badAdd = (p: Proposal) =>
      p.proposalType === "add" && lifetimeProblem(p.add.keyPackage.leafNode, maxSeconds, nowMs) !== undefined;
    if (proposals.some(badAdd)) return "reject";
    return "accept";
  };
}

/** Why a leaf that comes from a KeyPackage can't be used at `nowMs`; undefined if it can. */
export function lifetimeProblem(leaf: LeafNode, maxSeconds: bigint, nowMs: number): string | undefined {
  if (leaf.leafNodeSource !== "key_package") return undefined;
  const { notBefore, notAfter } = leaf.lifetime;
  if (notAfter - notBefore > maxSeconds) {
    const days = (notAfter - notBefore) / 86_400n;
    return `its KeyPackage is valid for ${days} days, more than the ${maxSeconds / 86_400n} allowed`;
  }
  const now = epochSeconds(nowMs);
  if (now < notBefore || now > notAfter) return "its KeyPackage is not valid now";
  return undefined;
}

/** Refuses (BAD_MLS) a tree to be joined if a leaf's KeyPackage lifetime is not acceptable. */
export function requireLifetimes(tree: RatchetTree, maxSeconds: bigint, nowMs: number, what: string): void {
  const problems = tree.flatMap((node) => {
    if (node?.nodeType !== "leaf") return [];
    const problem = lifetimeProblem(node.leaf, maxSeconds, nowMs);
    return problem === undefined ? [] : [`${credentialName(node.leaf.credential) ?? "?"}: ${problem}`];
  });
  if (problems.length > 0) throw new ClientError("BAD_MLS", `${what} has ${problems.join("; ")}; not joined`);
}

export function isSelfRemove(proposal: Proposal, senderLeafIndex: number | undefined): boolean {
  return proposal.proposalType === "remove" && proposal.remove.removed === senderLeafIndex;
}

/** An external commit by a member that removes that member's own old leaf (RFC 9420 §12.4.3.2 resync). */
function isRejoin(state: ClientState, proposals: Proposal[], joiner: UserName | undefined): boolean {
  const byLeaf = new Map(members(state).map((m) => [m.leafIndex, m.name]));
  return (
    joiner !== undefined &&
    proposals.some((p) => p.proposalType === "remove" && byLeaf.get(p.remove.removed) === joiner)
  );
}

/**
 * Every removal in a private conversation replaces the same name's leaf, or is the committer
 * removing a linked device of its own account (a revoked one).
 */
function removalsReplaced(
  state: ClientState,
  proposals: Proposal[],
  joiner: UserName | undefined,
  committerLeaf: number | undefined,
): boolean {
  const byLeaf = new Map(members(state).map((m) => [m.leafIndex, m.name]));
  const committer = committerLeaf === undefined ? undefined : byLeaf.get(committerLeaf);
  const ownDevice = (name: UserName) =>
    committer !== undefined &&
    name !== committer &&
    deviceNumberOf(name) > 1 &&
    accountOf(name) === accountOf(committer);
  const added = new Set<UserName | undefined>([
    joiner,
    ...proposals.flatMap((p) =>
      p.proposalType === "add" ? [credentialName(p.add.keyPackage.leafNode.credential) as UserName | undefined] : [],
    ),
  ]);
  return proposals.every((p) => {
    if (p.proposalType !== "remove") return true;
    const name = byLeaf.get(p.remove.removed);
    return name !== undefined && (added.has(name) || ownDevice(name));
  });
}
