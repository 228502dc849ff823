import {
  decodeGroupState,
  decodeMlsMessage,
  defaultCapabilities,
  encodeGroupState,
  encodeMlsMessage,
  generateKeyPackageWithKey,
  type CiphersuiteImpl,
  type ClientConfig,
  type ClientState,
  type ContentTypeName,
  type KeyPackage,
  type LeafNode,
  type MLSMessage,
  type PrivateKeyPackage,
  type PrivateMessage,
  type Welcome,
  emptyPskIndex,
  zeroOutUint8Array,
} from "ts-mls";
import { makeKeyPackageRef } from "ts-mls/keyPackage.js";
import { decryptSenderData } from "ts-mls/privateMessage.js";
import { accumulatePskSecret } from "ts-mls/pskIndex.js";
import { decryptGroupInfo, decryptGroupSecrets } from "ts-mls/welcome.js";
import type { UserName } from "@secure-chat/protocol";
import { ClientError } from "../../errors.js";
import type { Identity } from "../../identity.js";
import type { StoredKeyPackage } from "../../store/store.js";
import { credentialName } from "./config.js";

/** Group states are stored without their config, which is code, not data. */
export function encodeState(state: ClientState): Uint8Array {
  return encodeGroupState(state);
}

export function decodeState(bytes: Uint8Array, config: ClientConfig): ClientState {
  const decoded = decodeGroupState(bytes, 0);
  if (decoded === undefined) throw new ClientError("STATE_CORRUPT", "a stored group state cannot be read");
  return { ...decoded[0], clientConfig: config };
}

export function decodeMessage(bytes: Uint8Array): MLSMessage | undefined {
  try {
    const decoded = decodeMlsMessage(bytes, 0);
    return decoded !== undefined && decoded[1] === bytes.length ? decoded[0] : undefined;
  } catch {
    return undefined;
  }
}

export function encodeMessage(message: MLSMessage): Uint8Array {
  return encodeMlsMessage(message);
}

export interface Member {
  name: UserName;
  leafIndex: number;
  signaturePublicKey: Uint8Array;
}

/** The group's members as the ratchet tree has them: the cryptographic truth. */
export function members(state: ClientState): Member[] {
  const out: Member[] = [];
  state.ratchetTree.forEach((node, index) => {
    if (node?.nodeType !== "leaf") return;
    const name = credentialName(node.leaf.credential);
    if (name === undefined) return;
    out.push({ name: name as UserName, leafIndex: index / 2, signaturePublicKey: node.leaf.signaturePublicKey });
  });
  return out;
}

export function ownLeafIndex(state: ClientState): number {
  return state.privatePath.leafIndex;
}

/** Milliseconds since the epoch (the injected clock) as the whole seconds MLS lifetimes use. */
export function epochSeconds(ms: number): bigint {
  return BigInt(Math.floor(ms / 1000));
}

/** KeyPackages live at most 60 days; receivers check lifetimes. */
function lifetime(nowMs: number): { notBefore: bigint; notAfter: bigint } {
  const now = epochSeconds(nowMs);
  return { notBefore: now - 3600n, notAfter: now + 60n * 24n * 3600n };
}

export interface FreshKeyPackage {
  publicPackage: KeyPackage;
  privatePackage: PrivateKeyPackage;
  stored: StoredKeyPackage;
}

export async function newKeyPackage(
  identity: Identity,
  impl: CiphersuiteImpl,
  lastResort: boolean,
  nowMs: number,
): Promise<FreshKeyPackage> {
  const { publicPackage, privatePackage } = await generateKeyPackageWithKey(
    { credentialType: "basic", identity: new TextEncoder().encode(identity.name) },
    defaultCapabilities(),
    lifetime(nowMs),
    [],
    { signKey: identity.secretKey, publicKey: identity.publicKey },
    impl,
  );
  const ref = await makeKeyPackageRef(publicPackage, impl.hash);
  return {
    publicPackage,
    privatePackage,
    stored: {
      ref,
      publicPackage: encodeMlsMessage({ keyPackage: publicPackage, wireformat: "mls_key_package", version: "mls10" }),
      initPrivateKey: privatePackage.initPrivateKey,
      hpkePrivateKey: privatePackage.hpkePrivateKey,
      lastResort,
    },
  };
}

/**
 * Seconds until our own leaf's KeyPackage lifetime runs out, or undefined once a commit of
 * ours has replaced that leaf (commit leaves carry no lifetime). Receivers check lifetimes,
 * so a leaf left to expire would make the room unjoinable.
 */
export function ownLeafExpiresIn(state: ClientState, nowSeconds: bigint): bigint | undefined {
  const node = state.ratchetTree[state.privatePath.leafIndex * 2];
  if (node?.nodeType !== "leaf" || node.leaf.leafNodeSource !== "key_package") return undefined;
  return node.leaf.lifetime.notAfter - nowSeconds;
}

/**
 * The member who sent a PrivateMessage, by the MLS sender data (not by what the server
 * claims). Reading the sender data consumes no message key; `processMessage` then checks the
 * signature against this same leaf.
 */
export async function privateMessageSender(
  state: ClientState,
  message: PrivateMessage,
  impl: CiphersuiteImpl,
): Promise<{ leafIndex: number; name: UserName | undefined } | undefined> {
  const past = message.epoch < state.groupContext.epoch ? state.historicalReceiverData.get(message.epoch) : undefined;
  const senderDataSecret = past?.senderDataSecret ?? state.keySchedule.senderDataSecret;
  const tree = past?.ratchetTree ?? state.ratchetTree;
  const senderData = await decryptSenderData(message, senderDataSecret, impl);
  if (senderData === undefined) return undefined;
  return { leafIndex: senderData.leafIndex, name: leafName(tree, senderData.leafIndex) };
}

/**
 * Who sent a handshake message (see handshakeSender), by name: a member by its leaf in the tree
 * before the message, or a joiner by the new leaf it brings. Not what the server claims.
 */
export function senderName(state: ClientState, sender: HandshakeSender | undefined): UserName | undefined {
  if (sender?.kind === "member") return leafName(state.ratchetTree, sender.leafIndex);
  return sender === undefined ? undefined : (credentialName(sender.leafNode.credential) as UserName | undefined);
}

/** The epoch a group message was sent in, from its header. */
export function messageEpoch(message: GroupMessage): bigint {
  return message.wireformat === "mls_private_message"
    ? message.privateMessage.epoch
    : message.publicMessage.content.epoch;
}

/** A message sent in a group: a PrivateMessage or a PublicMessage. */
export type GroupMessage = Extract<MLSMessage, { wireformat: "mls_private_message" | "mls_public_message" }>;

export type HandshakeSender = { kind: "member"; leafIndex: number } | { kind: "joiner"; leafNode: LeafNode };

/**
 * What a group message carries (application data, a proposal or a commit), from its header. It is
 * authenticated: a PrivateMessage's content type is part of the AAD, a PublicMessage's is signed.
 */
export function contentTypeOf(message: GroupMessage): ContentTypeName {
  return message.wireformat === "mls_private_message"
    ? message.privateMessage.contentType
    : message.publicMessage.content.contentType;
}

/**
 * Who sent a handshake message, as MLS will authenticate it: a member's leaf index, or the new
 * leaf a joiner brings in an external commit. Reading it consumes no key.
 */
export async function handshakeSender(
  state: ClientState,
  message: GroupMessage,
  impl: CiphersuiteImpl,
): Promise<HandshakeSender | undefined> {
  if (message.wireformat === "mls_private_message") {
    const sender = await privateMessageSender(state, message.privateMessage, impl);
    return sender === undefined ? undefined : { kind: "member", leafIndex: sender.leafIndex };
  }
  const content = message.publicMessage.content;
  if (content.sender.senderType === "member") return { kind: "member", leafIndex: content.sender.leafIndex };
  if (content.sender.senderType !== "new_member_commit" || content.contentType !== "commit") return undefined;
  const leafNode = content.commit.path?.leafNode;
  return leafNode === undefined ? undefined : { kind: "joiner", leafNode };
}

/** Our own leaf in `state`, as it stands in the tree. */
export function ownLeafNode(state: ClientState): LeafNode | undefined {
  const node = state.ratchetTree[state.privatePath.leafIndex * 2];
  return node?.nodeType === "leaf" ? node.leaf : undefined;
}

/**
 * The leaf index of the member who added us: the signer of the Welcome's GroupInfo. `joinGroup`
 * checks that signature against the signer's leaf; this decrypts the GroupInfo once more (one
 * HPKE decryption per Welcome) to read the index, which `leafName` then names in the tree joined.
 */
export async function welcomeSignerIndex(
  welcome: Welcome,
  keyPackage: KeyPackage,
  initPrivateKey: Uint8Array,
  impl: CiphersuiteImpl,
): Promise<number | undefined> {
  const secrets = await decryptGroupSecrets(
    await impl.hpke.importPrivateKey(initPrivateKey),
    await makeKeyPackageRef(keyPackage, impl.hash),
    welcome,
    impl.hpke,
  );
  if (secrets === undefined) return undefined;
  try {
    const [pskSecret] = await accumulatePskSecret(secrets.psks, emptyPskIndex, impl, new Uint8Array(impl.kdf.size));
    return (await decryptGroupInfo(welcome, secrets.joinerSecret, pskSecret, impl))?.signer;
  } finally {
    zeroOutUint8Array(secrets.joinerSecret);
    if (secrets.pathSecret !== undefined) zeroOutUint8Array(secrets.pathSecret);
  }
}

/** The name in the credential of a member's leaf. */
export function leafName(tree: ClientState["ratchetTree"], leafIndex: number): UserName | undefined {
  const node = tree[leafIndex * 2];
  if (node?.nodeType !== "leaf") return undefined;
  return credentialName(node.leaf.credential) as UserName | undefined;
}
