/** Branded identifiers and their validation. Validation lives here so client and server agree. */

export type UserName = string & { readonly __brand: "UserName" };
/** A group id as carried in MLS and on the wire: `#open`, `+invite-only`, or `@a@b` for a private chat. */
export type GroupId = string & { readonly __brand: "GroupId" };

export const roomKinds = ["open", "invite", "direct"] as const;
export type RoomKind = (typeof roomKinds)[number];

const namePattern = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const roomPattern = /^[#+][a-z0-9][a-z0-9_-]{0,47}$/;

export function parseUserName(value: string): UserName | undefined {
  return namePattern.test(value) ? (value as UserName) : undefined;
}

/**
 * Devices. An account's first device logs in under the bare name (`alice`) and its key is the
 * account key peers pin; every further device is its own principal `alice.N` (N from 2 to
 * MAX_DEVICE_NUMBER): its own login key, KeyPackages, cursor and MLS leaf, whose credential
 * carries that name. Such a name is never registered by logging in: the server knows it only
 * from a device certificate the account key signed (see devices.ts).
 */
export const MAX_DEVICE_NUMBER = 99;
const memberPattern = /^([a-z0-9][a-z0-9_-]{0,31})(?:\.([2-9]|[1-9][0-9]))?$/;

/** An account name or one of its devices' names (`alice`, `alice.2`): what logs in and what MLS credentials carry. */
export function parseMemberName(value: string): UserName | undefined {
  return memberPattern.test(value) ? (value as UserName) : undefined;
}

/** The account a member name belongs to (`alice.2` -> `alice`; `alice` -> `alice`). */
export function accountOf(name: UserName): UserName {
  const dot = name.indexOf(".");
  return (dot === -1 ? name : name.slice(0, dot)) as UserName;
}

/** 1 for the account's first device (the bare name), else the N of `name.N`. */
export function deviceNumberOf(name: UserName): number {
  const dot = name.indexOf(".");
  return dot === -1 ? 1 : Number(name.slice(dot + 1));
}

/** The member name of `account`'s device `number` (1 is the bare account name). */
export function deviceName(account: UserName, number: number): UserName {
  return (number === 1 ? account : `${account}.${number}`) as UserName;
}

/**
 * Look-alike classes of the name alphabet, each character to its class's prototype. Case,
 * zero-width, bidi and non-ASCII characters can't occur in a UserName (namePattern), so these are
 * all the confusables left. A letter that looks like a pair is spelled as that pair, as UTS #39's
 * confusables do (`m` -> `rn`): every character then maps on its own, so a look-alike built of
 * pairs lines up however the pairs fall (`vvv`, `wv` and `vw` all become `vvv`).
 */
const lookAlikes: ReadonlyMap<string, string> = new Map([
  ["0", "o"],
  ["1", "l"],
  ["i", "l"],
  ["m", "rn"],
  ["w", "vv"],
  ["d", "cl"],
  ["_", "-"],
]);

/**
 * The skeleton of a name (the idea of UTS #39's, restricted to the name alphabet): names that
 * display alike (`bob` and `b0b`, `wim` and `vvirn`, `a_b` and `a-b`) share one, so the server
 * refuses a new name whose skeleton another name already has. Not itself a valid name (`m`
 * doubles its length); only ever compared.
 */
export function nameSkeleton(name: UserName): string {
  return skeletonOf(name);
}

/**
 * The skeleton of a `#` or `+` room's name, its kind left out: `#team`, `+team` and `+tearn`
 * share one, so nobody can open a look-alike beside a team's room. Undefined for a private
 * conversation, whose id is its two participants' names.
 */
export function roomSkeleton(groupId: GroupId): string | undefined {
  return roomKind(groupId) === "direct" ? undefined : skeletonOf(groupId.slice(1));
}

/** Room names after their kind have the name alphabet. */
function skeletonOf(text: string): string {
  let skeleton = "";
  for (const char of text) skeleton += lookAlikes.get(char) ?? char;
  return skeleton;
}

/** `#name` rooms are open (joinable by anyone), `+name` rooms are invite-only. */
export function parseRoomName(value: string): GroupId | undefined {
  return roomPattern.test(value) ? (value as GroupId) : undefined;
}

/** The private conversation of two users has one group id, whoever starts it. */
export function directGroupId(a: UserName, b: UserName): GroupId {
  const [first, second] = a < b ? [a, b] : [b, a];
  return `@${first}@${second}` as GroupId;
}

export function parseGroupId(value: string): GroupId | undefined {
  if (parseRoomName(value) !== undefined) return value as GroupId;
  const parts = value.split("@");
  if (parts.length !== 3 || parts[0] !== "") return undefined;
  const [, a, b] = parts;
  if (a === undefined || b === undefined) return undefined;
  const first = parseUserName(a);
  const second = parseUserName(b);
  if (first === undefined || second === undefined || first >= second) return undefined;
  return value as GroupId;
}

export function roomKind(groupId: GroupId): RoomKind {
  if (groupId.startsWith("#")) return "open";
  if (groupId.startsWith("+")) return "invite";
  return "direct";
}

/** For a private conversation, the other participant. */
export function directPeer(groupId: GroupId, self: UserName): UserName | undefined {
  if (roomKind(groupId) !== "direct") return undefined;
  const [, a, b] = groupId.split("@") as [string, UserName, UserName];
  if (a === self) return b;
  if (b === self) return a;
  return undefined;
}

/** How a group is shown to `self`: `#room`, `+room`, or `@peer` for a private conversation. */
export function roomLabel(groupId: GroupId, self: UserName): string {
  const peer = directPeer(groupId, self);
  return peer === undefined ? groupId : `@${peer}`;
}

/** The group a label typed by `self` names (`#room`, `+room`, `@peer`); undefined if none. */
export function groupOfLabel(label: string, self: UserName): GroupId | undefined {
  if (!label.startsWith("@")) return parseGroupId(label);
  const peer = parseUserName(label.slice(1));
  return peer === undefined || peer === self ? undefined : directGroupId(self, peer);
}
