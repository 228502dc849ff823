import type { ClientState, IncomingMessageCallback, Proposal } from "ts-mls";
import { roomKind, type GroupId, type UserName } from "@secure-chat/protocol";
import { credentialName } from "./mls/config.js";
import { members } from "./mls/groups.js";

/**
 * The join/kick policy, the same in every client, enforced on every incoming proposal and
 * commit:
 * - a proposal on its own is accepted only as a member's own leave (a Remove of its own leaf):
 *   anything else would let one member get another removed by whoever commits next;
 * - joins by external commit only in open rooms;
 * - in a private conversation a leaf is removed only to be replaced by the same name's new
 *   device (every Remove comes with an Add of that name).
 */
export function roomPolicy(groupId: GroupId, state: ClientState): IncomingMessageCallback {
  return (incoming) => {
    if (incoming.kind === "proposal") {
      return isSelfRemove(incoming.proposal.proposal, incoming.proposal.senderLeafIndex) ? "accept" : "reject";
    }
    const proposals = incoming.proposals.map((p) => p.proposal);
    const kind = roomKind(groupId);
    if (kind !== "open" && proposals.some((p) => p.proposalType === "external_init")) return "reject";
    if (kind === "direct" && !removalsReplaced(state, proposals)) return "reject";
    return "accept";
  };
}

export function isSelfRemove(proposal: Proposal, senderLeafIndex: number | undefined): boolean {
  return proposal.proposalType === "remove" && proposal.remove.removed === senderLeafIndex;
}

function removalsReplaced(state: ClientState, proposals: Proposal[]): boolean {
  const byLeaf = new Map(members(state).map((m) => [m.leafIndex, m.name]));
  const added = new Set<UserName | undefined>(
    proposals.flatMap((p) =>
      p.proposalType === "add" ? [credentialName(p.add.keyPackage.leafNode.credential) as UserName | undefined] : [],
    ),
  );
  return proposals.every((p) => {
    if (p.proposalType !== "remove") return true;
    const name = byLeaf.get(p.remove.removed);
    return name !== undefined && added.has(name);
  });
}
