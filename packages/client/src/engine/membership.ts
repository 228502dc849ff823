import type { ClientState } from "ts-mls";
import { accountOf, type GroupId, type UserName } from "@secure-chat/protocol";
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

/**
 * Who joined and who went between two states of a group, as `member` events for accounts (never
 * ours) and `device` events for a linked device of an account that stays (ours included).
 * `self` is our own leaf's member name.
 */
export function memberChanges(
  groupId: GroupId,
  before: Member[],
  after: ClientState,
  self: UserName,
  by: UserName,
  leavers: Leavers,
): ChatEvent[] {
  const now = members(after);
  const ours = accountOf(self);
  const beforeNames = new Set(before.map((m) => m.name));
  const nowNames = new Set(now.map((m) => m.name));
  const accountsBefore = new Set(before.map((m) => accountOf(m.name)));
  const accountsNow = new Set(now.map((m) => accountOf(m.name)));
  const told = new Set<UserName>();
  const events: ChatEvent[] = [];
  const change = (member: Member, kind: "added" | "removed", stays: boolean, account: UserName) => {
    const fp = fingerprint(member.signaturePublicKey);
    if (stays || account === ours) {
      events.push({ type: "device", groupId, account, device: member.name, change: kind, by, fingerprint: fp });
      return;
    }
    if (told.has(account)) return;
    told.add(account);
    const left = leavers.delete(groupId, member.name) ? "left" : "removed";
    events.push({
      type: "member",
      groupId,
      name: account,
      change: kind === "added" ? "joined" : left,
      by,
      fingerprint: fp,
    });
  };
  for (const member of now) {
    if (beforeNames.has(member.name) || member.name === self) continue;
    const account = accountOf(member.name);
    change(member, "added", accountsBefore.has(account), account);
  }
  for (const member of before) {
    if (nowNames.has(member.name)) continue;
    const account = accountOf(member.name);
    change(member, "removed", accountsNow.has(account), account);
  }
  return events;
}
