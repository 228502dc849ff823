import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import type { GroupId, UserName } from "@secure-chat/protocol";
import {
  decodeMimi,
  Disposition,
  encodeMimi,
  Extension,
  mimiMessageId,
  type MimiContent,
  type NestedPart,
} from "./mimi.js";

/**
 * The plaintext inside each MLS application message, in the IETF MIMI content format
 * (mimi.ts): every kind of message (text, reply, reaction, edit, delete) is one, so the server
 * sees only ciphertexts of padded sizes. A message's id is not chosen by its sender: it is the
 * MIMI message id, a hash of the content, the MLS-authenticated sender and the room, so nobody
 * can make a message that another one's edit, reaction or reply would land on.
 *
 * Version 1 plaintexts (JSON `{v: 1, id, sentAt, text}`, before MIMI) are still read, as text.
 */

/** What one message is, once decrypted and read. Ids are lower-case hex. */
export type MessageBody =
  | { kind: "text"; text: string; replyTo?: string }
  | { kind: "reaction"; target: string; emoji: string }
  /** Takes back our reaction `reaction` to `target` (MIMI: replaces it with an empty reaction). */
  | { kind: "unreaction"; target: string; reaction: string }
  /** New text for `target`; `replyTo` is kept when the edited message was a reply. */
  | { kind: "edit"; target: string; text: string; replyTo?: string }
  | { kind: "delete"; target: string }
  /** A file: its ciphertext is blob `file.blobId` on the server; the key is here, inside MLS. */
  | { kind: "file"; file: FileRef }
  /** Ephemeral (never stored by the server): the sender is typing in the room. */
  | { kind: "typing" }
  /** Ephemeral: the sender's client has shown everything up to message `target`. */
  | { kind: "seen"; target: string }
  /** A kind this version cannot show (a newer client's, or another MIMI client's): `what` says which. */
  | { kind: "unsupported"; what: string };

/**
 * What a MIMI external part of ours says of a file (hex for bytes): AES-256-GCM under a fresh
 * `key` and `nonce`, and the SHA-256 of the ciphertext the server holds.
 */
export interface FileRef {
  blobId: string;
  name: string;
  size: number;
  contentType: string;
  key: string;
  nonce: string;
  sha256: string;
}

/** The kinds a client sends. */
export type OutgoingBody = Exclude<MessageBody, { kind: "unsupported" }>;
/** Sent as ephemeral frames, which the server passes on to those online and never stores. */
export type EphemeralBody = Extract<MessageBody, { kind: "typing" | "seen" }>;
/** Sent as messages, which the server stores for every member. */
export type StoredBody = Exclude<OutgoingBody, EphemeralBody>;

export interface MessageContent {
  id: string;
  /** The sender's clock (ms), inside the ciphertext; undefined when the sender gave none. */
  sentAt: number | undefined;
  body: MessageBody;
}

export const MAX_TEXT_BYTES = 16 * 1024;
/** An emoji (with its modifiers and joiners) fits easily; anything longer is not a reaction. */
export const MAX_REACTION_BYTES = 64;
const BUCKETS = [64, 128, 256, 512, 1024, 2048, 4096];
const LARGE_BUCKET = 4096;
const TEXT_TYPE = "text/plain;charset=utf-8";
/**
 * MIMI defines no typing notices, and its receipts (draft-mahy-mimi-message-status) are not
 * settled: ours are empty parts of our own media types, under the session disposition.
 */
const TYPING_TYPE = "application/vnd.secure-chat.typing";
const SEEN_TYPE = "application/vnd.secure-chat.seen";
/** A private extension (text keys are free for anyone's use): the sender's clock in ms. */
const SENT_AT = "sentAt";
/** Where our files are: a blob of the server the room is on. */
const BLOB_URL = "secure-chat:blob/";
/** IANA AEAD AEAD_AES_256_GCM, and Named Information sha-256. */
const AES_256_GCM = 2;
const SHA_256 = 1;
const EMPTY = new Uint8Array(0);
const LEGACY_ID = /^[0-9a-f]{1,32}$/;
const MIMI_ID = /^[0-9a-f]{64}$/;

/**
 * The URIs the message id is computed over. MIMI leaves their form to the provider; ours are
 * implied by the MLS sender and the group, and not sent (the draft makes both extensions optional).
 */
export const senderUri = (name: UserName): string => `mimi://secure-chat/u/${name}`;
export const roomUri = (room: GroupId): string => `mimi://secure-chat/r/${encodeURIComponent(room)}`;

function paddedLength(length: number): number {
  for (const bucket of BUCKETS) if (length <= bucket) return bucket;
  return Math.ceil(length / LARGE_BUCKET) * LARGE_BUCKET;
}

/** Zero-pads a plaintext to its size bucket, so ciphertext lengths say little about the kind or text. */
export function padContent(plaintext: Uint8Array): Uint8Array {
  const out = new Uint8Array(paddedLength(plaintext.length));
  out.set(plaintext);
  return out;
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The bytes of a MIMI message id; undefined for an id of a version 1 message (those can't be referred to). */
export function idBytes(id: string): Uint8Array | undefined {
  if (!MIMI_ID.test(id)) return undefined;
  return hexToBytes(id);
}

function requireId(id: string): Uint8Array {
  const bytes = idBytes(id);
  if (bytes === undefined) throw new RangeError(`${id} is not a MIMI message id`);
  return bytes;
}

const textPart = (disposition: number, text: string): NestedPart => ({
  disposition,
  language: "",
  cardinality: "single",
  contentType: TEXT_TYPE,
  content: utf8(text),
});
const nullPart = (disposition: number): NestedPart => ({ disposition, language: "", cardinality: "null" });

function filePart(file: FileRef): NestedPart {
  return {
    disposition: Disposition.attachment,
    language: "",
    cardinality: "external",
    contentType: file.contentType,
    url: `${BLOB_URL}${file.blobId}`,
    expires: 0,
    size: file.size,
    encAlg: AES_256_GCM,
    key: hexToBytes(file.key),
    nonce: hexToBytes(file.nonce),
    aad: EMPTY,
    hashAlg: SHA_256,
    contentHash: hexToBytes(file.sha256),
    description: "",
    filename: file.name,
  };
}

/** A file of ours in an external part; undefined for any other (shown as unsupported). */
function fileOf(part: NestedPart): FileRef | undefined {
  if (part.cardinality !== "external" || part.disposition !== Disposition.attachment) return undefined;
  const blobId = part.url.startsWith(BLOB_URL) ? part.url.slice(BLOB_URL.length) : "";
  const ours =
    /^[0-9a-f]{32}$/.test(blobId) &&
    part.encAlg === AES_256_GCM &&
    part.key.length === 32 &&
    part.nonce.length === 12 &&
    part.aad.length === 0 &&
    part.hashAlg === SHA_256 &&
    part.contentHash.length === 32;
  if (!ours) return undefined;
  return {
    blobId,
    name: part.filename,
    size: part.size,
    contentType: part.contentType,
    key: bytesToHex(part.key),
    nonce: bytesToHex(part.nonce),
    sha256: bytesToHex(part.contentHash),
  };
}

const sessionPart = (contentType: string): NestedPart => ({
  disposition: Disposition.session,
  language: "",
  cardinality: "single",
  contentType,
  content: EMPTY,
});

function mimiFields(body: OutgoingBody): Pick<MimiContent, "replaces" | "inReplyTo" | "part"> {
  const reply = (id: string | undefined): Uint8Array | null => (id === undefined ? null : requireId(id));
  switch (body.kind) {
    case "text":
      return { replaces: null, inReplyTo: reply(body.replyTo), part: textPart(Disposition.render, body.text) };
    case "reaction":
      return { replaces: null, inReplyTo: requireId(body.target), part: textPart(Disposition.reaction, body.emoji) };
    case "unreaction":
      return {
        replaces: requireId(body.reaction),
        inReplyTo: requireId(body.target),
        part: nullPart(Disposition.reaction),
      };
    case "edit":
      return {
        replaces: requireId(body.target),
        inReplyTo: reply(body.replyTo),
        part: textPart(Disposition.render, body.text),
      };
    case "delete":
      return { replaces: requireId(body.target), inReplyTo: null, part: nullPart(Disposition.render) };
    case "file":
      return { replaces: null, inReplyTo: null, part: filePart(body.file) };
    case "typing":
      return { replaces: null, inReplyTo: null, part: sessionPart(TYPING_TYPE) };
    case "seen":
      return { replaces: null, inReplyTo: requireId(body.target), part: sessionPart(SEEN_TYPE) };
  }
}

/**
 * Encodes what `sender` sends to `room` (unpadded; `padContent` pads it for encryption) and
 * its message id. Ids referred to must be MIMI ids (a RangeError otherwise: the caller checks).
 */
export function encodeContent(
  sender: UserName,
  room: GroupId,
  sentAt: number,
  body: OutgoingBody,
): { id: string; plaintext: Uint8Array } {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const plaintext = encodeMimi({
    salt,
    topicId: EMPTY,
    expires: null,
    extensions: new Map([[SENT_AT, sentAt]]),
    ...mimiFields(body),
  });
  return { id: bytesToHex(mimiMessageId(senderUri(sender), roomUri(room), plaintext, salt)), plaintext };
}

/** The text of a text part this version shows (plain text, or Markdown as its source). */
function partText(part: NestedPart): string | undefined {
  if (part.cardinality !== "single") return undefined;
  const type = part.contentType.split(";")[0]?.trim().toLowerCase();
  if (type !== "text/plain" && type !== "text/markdown") return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(part.content);
  } catch {
    return undefined;
  }
}

function describe(part: NestedPart): string {
  switch (part.cardinality) {
    case "null":
      return "an empty part";
    case "single":
      return `a ${part.contentType || "typeless"} part`;
    case "external":
      return part.disposition === Disposition.attachment
        ? `an attachment (${part.contentType || "of no type"})`
        : `a link to outside content (${part.contentType || "of no type"})`;
    case "multi":
      return `a message in ${part.parts.length} parts`;
  }
}

/** What a MIMI content means here; undefined when it is malformed for its kind (not merely unknown). */
function bodyOf(content: MimiContent): MessageBody | undefined {
  const { part, replaces, inReplyTo } = content;
  const target = (id: Uint8Array | null): string | undefined => (id === null ? undefined : bytesToHex(id));
  const text = partText(part);
  const unsupported: MessageBody = { kind: "unsupported", what: describe(part) };
  const file = fileOf(part);
  if (file !== undefined && replaces === null) return { kind: "file", file };
  if (part.disposition === Disposition.session && part.cardinality === "single") {
    if (part.contentType === TYPING_TYPE) return { kind: "typing" };
    if (part.contentType === SEEN_TYPE)
      return inReplyTo === null ? undefined : { kind: "seen", target: bytesToHex(inReplyTo) };
  }
  if (part.disposition === Disposition.reaction) {
    if (inReplyTo === null) return undefined;
    if (replaces !== null) {
      return part.cardinality === "null"
        ? { kind: "unreaction", target: bytesToHex(inReplyTo), reaction: bytesToHex(replaces) }
        : unsupported;
    }
    if (text === undefined) return unsupported;
    if (text === "" || utf8(text).length > MAX_REACTION_BYTES) return undefined;
    return { kind: "reaction", target: bytesToHex(inReplyTo), emoji: text };
  }
  if (part.disposition !== Disposition.render && part.disposition !== Disposition.unspecified) return unsupported;
  if (replaces !== null) {
    if (part.cardinality === "null") return { kind: "delete", target: bytesToHex(replaces) };
    if (text === undefined) return unsupported;
    const replyTo = target(inReplyTo);
    return { kind: "edit", target: bytesToHex(replaces), text, ...(replyTo === undefined ? {} : { replyTo }) };
  }
  if (text === undefined) return unsupported;
  const replyTo = target(inReplyTo);
  return { kind: "text", text, ...(replyTo === undefined ? {} : { replyTo }) };
}

/**
 * Reads a decrypted plaintext that `sender` (the MLS-authenticated member) sent to `room`.
 * Undefined for anything malformed: not MIMI content, padding that is not zeros, a senderUri or
 * roomUri that names someone or somewhere else. A well-formed kind this version does not know
 * is an `unsupported` body, never an error.
 */
export function decodeContent(bytes: Uint8Array, sender: UserName, room: GroupId): MessageContent | undefined {
  if (bytes[0] === 0x7b) return decodeVersion1(bytes); // "{": a version 1 JSON plaintext
  let decoded: ReturnType<typeof decodeMimi>;
  try {
    decoded = decodeMimi(bytes);
  } catch {
    return undefined;
  }
  const { content, length } = decoded;
  if (bytes.subarray(length).some((byte) => byte !== 0)) return undefined;
  const claimedSender = content.extensions.get(Extension.senderUri);
  const claimedRoom = content.extensions.get(Extension.roomUri);
  if (claimedSender !== undefined && claimedSender !== senderUri(sender)) return undefined;
  if (claimedRoom !== undefined && claimedRoom !== roomUri(room)) return undefined;
  const sentAt = content.extensions.get(SENT_AT);
  if (sentAt !== undefined && !(Number.isSafeInteger(sentAt) && (sentAt as number) >= 0)) return undefined;
  const body = bodyOf(content);
  if (body === undefined) return undefined;
  const encoded = bytes.subarray(0, length);
  const id = bytesToHex(mimiMessageId(senderUri(sender), roomUri(room), encoded, content.salt));
  return { id, sentAt: sentAt as number | undefined, body };
}

function decodeVersion1(bytes: Uint8Array): MessageContent | undefined {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  try {
    const value: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, end)));
    if (typeof value !== "object" || value === null) return undefined;
    const { v, id, sentAt, text } = value as Record<string, unknown>;
    if (v !== 1 || typeof id !== "string" || typeof sentAt !== "number" || typeof text !== "string") return undefined;
    // Version 1 ids were random; none can pass for a MIMI id, which only a hash makes.
    if (!LEGACY_ID.test(id)) return undefined;
    return { id, sentAt, body: { kind: "text", text } };
  } catch {
    return undefined;
  }
}
