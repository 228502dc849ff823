import type { ClientState } from "ts-mls";
import type { GroupId, UserName } from "@secure-chat/protocol";
import type { ChatEvent } from "../events.js";
import { fingerprint } from "../identity.js";
import { members, type Member } from "./mls/groups.js";

/** Members whose own-leave proposal we have seen, per group: shown as "left", not "removed". */
export class Leavers {
  private readonly byGroup = new Map<GroupId, Set<UserName>>();

  add(groupId: GroupId, name: UserName): void {
    let names = this.byGroup.get(groupId);
    if (names === undefined) this.byGroup.set(groupId, (names = new Set()));
    names.add(name);
  }

  has(groupId: GroupId, name: UserName): boolean {
    return this.byGroup.get(groupId)?.has(name) ?? false;
  }

  any(groupId: GroupId): boolean {
    return (this.byGroup.get(groupId)?.size ?? 0) > 0;
  }

  /** Forgets `name` in `groupId`; true if it was there. */
  delete(groupId: GroupId, name: UserName): boolean {
    const names = this.byGroup.get(groupId);
    const had = names?.delete(name) ?? false;
    if (names?.size === 0) this.byGroup.delete(groupId);
    return had;
  }

  forget(groupId: GroupId): void {
    this.byGroup.delete(groupId);
  }
}

/** Who joined and who went between two states of a group, as `member` events (never about ourselves). */
export function memberChanges(
  groupId: GroupId,
  before: Member[],
  after: ClientState,
  self: UserName,
  by: UserName,
  leavers: Leavers,
): ChatEvent[] {
  const now = members(after);
  const beforeNames = new Set(before.map((m) => m.name));
  const nowNames = new Set(now.map((m) => m.name));
  const events: ChatEvent[] = [];
  for (const member of now) {
    if (beforeNames.has(member.name) || member.name === self) continue;
    events.push({
      type: "member",
      groupId,
      name: member.name,
      change: "joined",
      by,
      fingerprint: fingerprint(member.signaturePublicKey),
    });
  }
  for (const member of before) {
    if (nowNames.has(member.name)) continue;
    events.push({
      type: "member",
      groupId,
      name: member.name,
      change: leavers.delete(groupId, member.name) ? "left" : "removed",
      by,
      fingerprint: fingerprint(member.signaturePublicKey),
    });
  }
  return events;
}
