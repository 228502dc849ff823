import { createHash } from "node:crypto";
import {
  decodeMlsMessage,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  type CiphersuiteImpl,
  type CiphersuiteName,
  type Credential,
  type GroupInfo,
  type KeyPackage,
  type LeafNode,
  type ProposalOrRef,
  type PublicMessage,
  type RatchetTree,
} from "ts-mls";
import { verifyFramedContentSignature } from "ts-mls/framedContent.js";
import { ratchetTreeFromExtension, verifyGroupInfoSignature } from "ts-mls/groupInfo.js";
import { makeKeyPackageRef } from "ts-mls/keyPackage.js";
import { createConfirmedHash, createInterimHash } from "ts-mls/transcriptHash.js";
import { validateRatchetTree } from "ts-mls/clientState.js";
import { ProtocolError, cipherSuites, type CipherSuiteKey, type GroupId, type UserName } from "@secure-chat/protocol";

/**
 * The server as RFC 9750's Delivery Service that checks handshake messages (as Wire's backend
 * does): a commit is a PublicMessage, verified against the group's public state (the GroupInfo
 * of the epoch it commits to) before it may move the group on. What it checks:
 * - the commit is signed by its sender's leaf in that tree (or, for a join by external commit,
 *   by the new leaf it brings), and that leaf is the logged-in user under the directory's key;
 * - the next GroupInfo is signed by the same leaf, carries the commit's confirmation tag and the
 *   confirmed transcript hash that follows from this commit, and a tree any joiner would accept
 *   (so a member who could not process a commit can always rejoin from it);
 * - every leaf that leaves or enters that tree is removed or added by the commit itself;
 * - a Welcome is for exactly the KeyPackages the commit adds.
 * Membership then follows the trees, never a list the committer supplies. What no server can
 * check (path secrets encrypted to other members, the confirmation tag's key) is the clients'
 * to detect; they recover by rejoining (SECURITY.md).
 */
export interface CheckedCommit {
  epoch: number;
  external: boolean;
  /** Names with a leaf in the next tree that were added by this commit (they get the Welcome). */
  added: UserName[];
  /** Names with a leaf before and none after. */
  removed: UserName[];
}

export interface CommitToCheck {
  groupId: GroupId;
  sender: UserName;
  /** The sender's key in the server's directory. */
  senderKey: Uint8Array;
  commit: Uint8Array;
  nextGroupInfo: Uint8Array;
  welcome: Uint8Array;
  /**
   * The stored GroupInfo of the group's current epoch; undefined only for an invite-only room or
   * private conversation created before the server kept one for every group (see legacyCommit).
   */
  current: Uint8Array | undefined;
  /** The group's members as the server has them. */
  members: ReadonlySet<UserName>;
  /** Whether `key` is, or was, `name`'s key in the directory (a member's old leaf may outlive its key). */
  knownKey(name: UserName, key: Uint8Array): boolean;
}

const suites = new Map<CipherSuiteKey, Promise<CiphersuiteImpl>>();

/** Hash algorithm of each suite, for Node's own (synchronous) digest. */
const suiteHashes: Record<CipherSuiteKey, string> = { x25519: "sha256", xwing: "sha512" };

/**
 * The suite's implementation, hashing with Node's synchronous `createHash`: the tree hash of a
 * 1,000-member group is 2,000 digests, and each of WebCrypto's (the library's) is a thread-pool
 * round trip.
 */
function suite(key: CipherSuiteKey): Promise<CiphersuiteImpl> {
  let impl = suites.get(key);
  if (impl === undefined) {
    impl = getCiphersuiteImpl(getCiphersuiteFromName(cipherSuites[key] as CiphersuiteName)).then((library) => ({
      ...library,
      hash: {
        digest: (data) => Promise.resolve(new Uint8Array(createHash(suiteHashes[key]).update(data).digest())),
        mac: (macKey, data) => library.hash.mac(macKey, data),
        verifyMac: (macKey, mac, data) => library.hash.verifyMac(macKey, mac, data),
      },
    }));
    suites.set(key, impl);
  }
  return impl;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function refuse(message: string): never {
  throw new ProtocolError("BAD_MLS", message);
}

function decoded(bytes: Uint8Array): ReturnType<typeof decodeMlsMessage> {
  try {
    const result = decodeMlsMessage(bytes, 0);
    return result !== undefined && result[1] === bytes.length ? result : undefined;
  } catch {
    return undefined;
  }
}

/** A GroupInfo message of `groupId` with its ratchet tree, or a refusal naming `what`. */
function readGroupInfo(bytes: Uint8Array, groupId: GroupId, what: string): { info: GroupInfo; tree: RatchetTree } {
  const message = decoded(bytes)?.[0];
  if (message?.wireformat !== "mls_group_info") refuse(`${what} is not an MLS GroupInfo`);
  const info = message.groupInfo;
  if (textOf(info.groupContext.groupId) !== groupId) refuse(`${what} is for another group than ${groupId}`);
  let tree: RatchetTree | undefined;
  try {
    tree = ratchetTreeFromExtension(info);
  } catch {
    tree = undefined;
  }
  if (tree === undefined) refuse(`${what} carries no readable ratchet tree`);
  return { info, tree };
}

function textOf(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

interface Leaf {
  index: number;
  name: UserName | undefined;
  node: LeafNode;
}

function leaves(tree: RatchetTree): Leaf[] {
  return tree.flatMap((node, index) => {
    if (node?.nodeType !== "leaf") return [];
    const credential = node.leaf.credential;
    const name = credential.credentialType === "basic" ? (textOf(credential.identity) as UserName) : undefined;
    return [{ index: index / 2, name, node: node.leaf }];
  });
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(b);
const sameLeafKey = (a: LeafNode, b: LeafNode): boolean => sameBytes(a.signaturePublicKey, b.signaturePublicKey);

/** A leaf for `name` under `key`: the only leaf a logged-in user may sign as. */
function requireOwnLeaf(leaf: LeafNode | undefined, name: UserName, key: Uint8Array, what: string): LeafNode {
  if (leaf === undefined) refuse(`${what} names no leaf`);
  const credential = leaf.credential;
  if (credential.credentialType !== "basic" || textOf(credential.identity) !== name) {
    refuse(`${what} is signed by another member's leaf, not yours`);
  }
  if (!sameBytes(leaf.signaturePublicKey, key)) refuse(`${what} is signed by a key that is not your registered key`);
  return leaf;
}

/** Checks a commit against the group's current public state; refusals are BAD_MLS ProtocolErrors. */
export async function checkCommit(input: CommitToCheck, suiteKey: CipherSuiteKey): Promise<CheckedCommit> {
  const { groupId, sender, senderKey } = input;
  const impl = await suite(suiteKey);
  const message = decoded(input.commit)?.[0];
  if (message?.wireformat !== "mls_public_message") {
    refuse("a commit must be an MLS PublicMessage, so the server can check it before the group moves on");
  }
  const publicMessage: PublicMessage = message.publicMessage;
  const content = publicMessage.content;
  if (content.contentType !== "commit") refuse("not an MLS commit");
  if (textOf(content.groupId) !== groupId) refuse(`the commit is for another group than ${groupId}`);
  if (input.current === undefined) return legacyCommit(input, publicMessage, impl);
  const current = readGroupInfo(input.current, groupId, "the stored GroupInfo");
  const context = current.info.groupContext;
  if (content.epoch !== context.epoch) {
    throw new ProtocolError(
      "STALE_EPOCH",
      `${groupId} is at epoch ${context.epoch}, not ${content.epoch}; process the newer commit and retry`,
    );
  }
  const before = leaves(current.tree);
  const external = content.sender.senderType === "new_member_commit";
  let senderLeaf: LeafNode;
  if (content.sender.senderType === "member") {
    const leafIndex = content.sender.leafIndex;
    senderLeaf = requireOwnLeaf(before.find((leaf) => leaf.index === leafIndex)?.node, sender, senderKey, "the commit");
  } else if (external) {
    senderLeaf = requireOwnLeaf(content.commit.path?.leafNode, sender, senderKey, "the external commit");
  } else {
    refuse("a commit must come from a member or a joiner");
  }
  const { auth } = publicMessage;
  if (auth.contentType !== "commit") refuse("the commit carries no confirmation tag");
  const signed = await verifyFramedContentSignature(
    senderLeaf.signaturePublicKey,
    "mls_public_message",
    content,
    auth,
    context,
    impl.signature,
  );
  if (!signed) refuse("the commit's signature does not verify against its sender's leaf");

  const next = await readNextGroupInfo(input, context.epoch + 1n, senderLeaf.signaturePublicKey, impl);
  const nextContext = next.info.groupContext;
  if (nextContext.cipherSuite !== context.cipherSuite) refuse("the next GroupInfo changes the cipher suite");
  const after = leaves(next.tree);
  if (!sameBytes(next.info.confirmationTag, auth.confirmationTag)) {
    refuse("the next GroupInfo carries another confirmation tag than the commit");
  }
  const interim = await createInterimHash(context.confirmedTranscriptHash, current.info.confirmationTag, impl.hash);
  const confirmed = await createConfirmedHash(
    interim,
    { wireformat: "mls_public_message", content, signature: auth.signature },
    impl.hash,
  );
  if (!sameBytes(confirmed, nextContext.confirmedTranscriptHash)) {
    refuse("the next GroupInfo does not follow from this commit (transcript hash)");
  }
  return {
    epoch: Number(context.epoch),
    external,
    ...(await membershipChange(input, content.commit, before, after, senderLeaf, impl)),
  };
}

/** The GroupInfo for `epoch` that the committer uploads, signed under `signerKey`. */
function readNextGroupInfo(
  input: CommitToCheck,
  epoch: bigint,
  signerKey: Uint8Array,
  impl: CiphersuiteImpl,
): Promise<{ info: GroupInfo; tree: RatchetTree }> {
  return readSignedGroupInfo({ ...input, bytes: input.nextGroupInfo, epoch, signerKey }, "the next GroupInfo", impl);
}

/** A GroupInfo a user uploads: of `groupId` at `epoch`, signed by their leaf (`sender` under `signerKey`). */
interface GroupInfoToCheck {
  bytes: Uint8Array;
  groupId: GroupId;
  epoch: bigint;
  sender: UserName;
  signerKey: Uint8Array;
  knownKey(name: UserName, key: Uint8Array): boolean;
}

/**
 * A GroupInfo that joiners will trust: for the group and epoch, signed under `signerKey` by the
 * sender's leaf in the tree it carries, and that tree valid as a joiner checks it.
 */
async function readSignedGroupInfo(
  input: GroupInfoToCheck,
  what: string,
  impl: CiphersuiteImpl,
): Promise<{ info: GroupInfo; tree: RatchetTree }> {
  const next = readGroupInfo(input.bytes, input.groupId, what);
  if (next.info.groupContext.epoch !== input.epoch) refuse(`${what} is not for epoch ${input.epoch}`);
  const signer = leaves(next.tree).find((leaf) => leaf.index === next.info.signer);
  if (
    signer === undefined ||
    !sameBytes(signer.node.signaturePublicKey, input.signerKey) ||
    signer.name !== input.sender
  ) {
    refuse(`${what} is not signed by your leaf in its tree`);
  }
  if (!(await verifyGroupInfoSignature(next.info, input.signerKey, impl.signature))) {
    refuse(`${what}'s signature does not verify`);
  }
  // What a member rejoins from must be joinable: the tree a joiner validates (leaf signatures,
  // parent hashes, tree hash, unique keys), with credentials the directory knows.
  const authService = {
    validateCredential: (credential: Credential, key: Uint8Array) => {
      const name = credential.credentialType === "basic" ? textOf(credential.identity) : undefined;
      return Promise.resolve(name !== undefined && input.knownKey(name as UserName, key));
    },
  };
  // Lifetimes are the clients' to judge: a leaf that aged in the group must not freeze it here.
  const lifetimes = { maximumTotalLifetime: 2n ** 62n, validateLifetimeOnReceive: false };
  const invalid = await validateRatchetTree(
    next.tree,
    next.info.groupContext,
    lifetimes,
    authService,
    next.info.groupContext.treeHash,
    impl,
  );
  if (invalid !== undefined) refuse(`${what}'s tree is not valid: ${invalid.message}`);
  return next;
}

/** A new group's GroupInfo at epoch 0, as create_group uploads it. */
export interface NewGroupToCheck {
  groupId: GroupId;
  creator: UserName;
  /** The creator's key in the server's directory. */
  creatorKey: Uint8Array;
  groupInfo: Uint8Array;
  knownKey(name: UserName, key: Uint8Array): boolean;
}

/**
 * The first GroupInfo of a group is checked as every later one is, and its tree must hold the
 * creator alone: the server's membership starts as just the creator, and a joiner must not find
 * anyone else in it. Refusals are BAD_MLS ProtocolErrors.
 */
export async function checkNewGroup(input: NewGroupToCheck, suiteKey: CipherSuiteKey): Promise<void> {
  const impl = await suite(suiteKey);
  const { groupId, creator, creatorKey, groupInfo, knownKey } = input;
  const first = await readSignedGroupInfo(
    { bytes: groupInfo, groupId, epoch: 0n, sender: creator, signerKey: creatorKey, knownKey },
    "the new group's GroupInfo",
    impl,
  );
  if (leaves(first.tree).length !== 1) refuse("a new group's tree must hold its creator alone");
}

/**
 * A room created before the server kept every group's GroupInfo has no tree to check its next
 * commit against. That one commit is checked as far as the server can: its next GroupInfo must
 * be the sender's, and membership follows that GroupInfo's tree. From then on the room has one.
 */
async function legacyCommit(
  input: CommitToCheck,
  message: PublicMessage,
  impl: CiphersuiteImpl,
): Promise<CheckedCommit> {
  const { content } = message;
  const external = content.sender.senderType === "new_member_commit";
  const pathLeaf = content.contentType === "commit" ? content.commit.path?.leafNode : undefined;
  if (external) requireOwnLeaf(pathLeaf, input.sender, input.senderKey, "the external commit");
  const next = await readNextGroupInfo(input, content.epoch + 1n, input.senderKey, impl);
  const names = new Set(leaves(next.tree).flatMap((leaf) => (leaf.name === undefined ? [] : [leaf.name])));
  return {
    epoch: Number(content.epoch),
    external,
    added: [...names].filter((name) => !input.members.has(name) && name !== input.sender),
    removed: [...input.members].filter((name) => !names.has(name)),
  };
}

/**
 * Who the commit adds and removes, from the two trees, checked against the commit's own
 * proposals: a leaf may leave only by a Remove (or a proposal by reference: members' own
 * leaves, which every client checks) and enter only by an Add or as the committer's new leaf.
 */
async function membershipChange(
  input: CommitToCheck,
  commit: { proposals: ProposalOrRef[] },
  before: Leaf[],
  after: Leaf[],
  senderLeaf: LeafNode,
  impl: CiphersuiteImpl,
): Promise<{ added: UserName[]; removed: UserName[] }> {
  const byValue = commit.proposals.flatMap((p) => (p.proposalOrRefType === "proposal" ? [p.proposal] : []));
  const byReference = commit.proposals.length - byValue.length;
  const removedLeaves = new Set(byValue.flatMap((p) => (p.proposalType === "remove" ? [p.remove.removed] : [])));
  const adds = byValue.flatMap((p) => (p.proposalType === "add" ? [p.add.keyPackage] : []));
  const gone = before.filter(
    (old) => !after.some((leaf) => leaf.index === old.index && sameLeafKey(leaf.node, old.node)),
  );
  const unexplained = gone.filter((leaf) => !removedLeaves.has(leaf.index) && !sameLeafKey(leaf.node, senderLeaf));
  if (unexplained.length > byReference) {
    refuse(
      `the next GroupInfo drops ${unexplained.map((leaf) => leaf.name ?? "?").join(", ")}, whom the commit does not remove`,
    );
  }
  const arrived = after.filter(
    (leaf) => !before.some((old) => old.index === leaf.index && sameLeafKey(old.node, leaf.node)),
  );
  const addedLeaves = arrived.filter((leaf) => !sameLeafKey(leaf.node, senderLeaf));
  for (const leaf of addedLeaves) {
    if (!adds.some((keyPackage) => sameLeafKey(keyPackage.leafNode, leaf.node))) {
      refuse(`the next GroupInfo adds ${leaf.name ?? "a leaf"}, whom the commit does not add`);
    }
  }
  if (adds.length !== addedLeaves.length) refuse("the next GroupInfo's tree lacks a member the commit adds");
  await requireMatchingWelcome(input.welcome, adds, impl);
  const names = (list: Leaf[]) => [...new Set(list.flatMap((leaf) => (leaf.name === undefined ? [] : [leaf.name])))];
  const stillIn = new Set(names(after));
  return { added: names(addedLeaves), removed: names(gone).filter((name) => !stillIn.has(name)) };
}

/** A commit that adds members brings a Welcome for exactly those KeyPackages, and one that adds none brings none. */
async function requireMatchingWelcome(bytes: Uint8Array, adds: KeyPackage[], impl: CiphersuiteImpl): Promise<void> {
  if (adds.length === 0) {
    if (bytes.length > 0) refuse("a commit that adds no one carries no Welcome");
    return;
  }
  const message = decoded(bytes)?.[0];
  if (message?.wireformat !== "mls_welcome") refuse("adding members needs their MLS Welcome");
  const refs = await Promise.all(adds.map((keyPackage) => makeKeyPackageRef(keyPackage, impl.hash)));
  const secrets = message.welcome.secrets;
  const matches =
    secrets.length === refs.length && refs.every((ref) => secrets.some((secret) => sameBytes(secret.newMember, ref)));
  if (!matches) refuse("the Welcome is not for the members the commit adds");
}
