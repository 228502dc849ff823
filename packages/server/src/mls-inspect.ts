import { decodeMlsMessage } from "ts-mls";

/**
 * The server handles MLS bytes as opaque, except for the few public header fields it needs
 * to order commits: group id, epoch, and whether a commit is an external join.
 */
export type InspectedHandshake =
  | { kind: "commit"; groupId: string; epoch: number; external: boolean }
  | { kind: "other"; groupId: string; epoch: number };

const utf8 = new TextDecoder("utf-8", { fatal: true });

function decode(bytes: Uint8Array): ReturnType<typeof decodeMlsMessage> {
  try {
    return decodeMlsMessage(bytes, 0);
  } catch {
    return undefined;
  }
}

function groupIdText(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Reads a PublicMessage or PrivateMessage header; `undefined` for anything else. */
export function inspectGroupMessage(bytes: Uint8Array): InspectedHandshake | undefined {
  const decoded = decode(bytes);
  if (decoded === undefined || decoded[1] !== bytes.length) return undefined;
  const message = decoded[0];
  if (message.wireformat === "mls_public_message") {
    const content = message.publicMessage.content;
    const groupId = groupIdText(content.groupId);
    if (groupId === undefined) return undefined;
    const epoch = Number(content.epoch);
    if (content.contentType === "commit") {
      return { kind: "commit", groupId, epoch, external: content.sender.senderType === "new_member_commit" };
    }
    return { kind: "other", groupId, epoch };
  }
  if (message.wireformat === "mls_private_message") {
    const groupId = groupIdText(message.privateMessage.groupId);
    if (groupId === undefined) return undefined;
    const epoch = Number(message.privateMessage.epoch);
    // A commit sent as PrivateMessage shows its content type in the clear header.
    if (message.privateMessage.contentType === "commit") return { kind: "commit", groupId, epoch, external: false };
    return { kind: "other", groupId, epoch };
  }
  return undefined;
}

/** Reads the group id and epoch of a GroupInfo message. */
export function inspectGroupInfo(bytes: Uint8Array): { groupId: string; epoch: number } | undefined {
  const decoded = decode(bytes);
  if (decoded === undefined || decoded[1] !== bytes.length) return undefined;
  const message = decoded[0];
  if (message.wireformat !== "mls_group_info") return undefined;
  const groupId = groupIdText(message.groupInfo.groupContext.groupId);
  if (groupId === undefined) return undefined;
  return { groupId, epoch: Number(message.groupInfo.groupContext.epoch) };
}

export function isWelcome(bytes: Uint8Array): boolean {
  const decoded = decode(bytes);
  return decoded !== undefined && decoded[1] === bytes.length && decoded[0].wireformat === "mls_welcome";
}

/** The credential identity and signature key inside a KeyPackage message. */
export function inspectKeyPackage(
  bytes: Uint8Array,
): { identity: string; signaturePublicKey: Uint8Array; cipherSuite: string } | undefined {
  const decoded = decode(bytes);
  if (decoded === undefined || decoded[1] !== bytes.length) return undefined;
  const message = decoded[0];
  if (message.wireformat !== "mls_key_package") return undefined;
  const { leafNode, cipherSuite } = message.keyPackage;
  if (leafNode.credential.credentialType !== "basic") return undefined;
  const identity = groupIdText(leafNode.credential.identity);
  if (identity === undefined) return undefined;
  return { identity, signaturePublicKey: leafNode.signaturePublicKey, cipherSuite };
}
