import { decodeFirst, encode, rfc8949EncodeOptions } from "cborg";
import { sha256 } from "@noble/hashes/sha2.js";

/**
 * The IETF MIMI content format (draft-ietf-mimi-content-08, its CDDL `mimiContent`), as a
 * typed value and its deterministic CBOR (RFC 8949 §4.2: shortest forms, map keys sorted
 * bytewise). This file knows the format only; what secure-chat sends in it is content.ts's.
 */

export type MessageIdBytes = Uint8Array;

export interface Expiration {
  relative: boolean;
  time: number;
}

/** Extension fields: integer or text keys, any CBOR value (kept as decoded, so it encodes back alike). */
export type Extensions = Map<number | string, unknown>;

export interface ExternalPart {
  cardinality: "external";
  contentType: string;
  url: string;
  expires: number;
  size: number;
  encAlg: number;
  key: Uint8Array;
  nonce: Uint8Array;
  aad: Uint8Array;
  hashAlg: number;
  contentHash: Uint8Array;
  description: string;
  filename: string;
}

export type PartBody =
  | { cardinality: "null" }
  | { cardinality: "single"; contentType: string; content: Uint8Array }
  | ExternalPart
  | { cardinality: "multi"; partSemantics: number; parts: NestedPart[] };

export type NestedPart = { disposition: number; language: string } & PartBody;

export interface MimiContent {
  salt: Uint8Array;
  replaces: MessageIdBytes | null;
  topicId: Uint8Array;
  expires: Expiration | null;
  inReplyTo: MessageIdBytes | null;
  extensions: Extensions;
  part: NestedPart;
}

/** baseDispos of the draft (9..255 are unknown dispositions, kept as numbers). */
export const Disposition = {
  unspecified: 0,
  render: 1,
  reaction: 2,
  profile: 3,
  inline: 4,
  icon: 5,
  attachment: 6,
  session: 7,
  preview: 8,
} as const;

/** Registered extension keys. */
export const Extension = { senderUri: 1, roomUri: 2 } as const;

const CARDINALITY = { null: 0, single: 1, external: 2, multi: 3 } as const;
/** Nested multipart parts deeper than this are refused (the draft lets a receiver limit depth). */
const MAX_DEPTH = 4;
const SALT_BYTES = 16;
const MESSAGE_ID_BYTES = 32;
/** The first octet of a message id: SHA-256 in IANA's named-information registry. */
const SHA256_ID = 0x01;

const decodeOptions = { strict: true, useMaps: true, rejectDuplicateMapKeys: true, allowUndefined: false };

export class MimiFormatError extends Error {
  override readonly name = "MimiFormatError";
}

function fail(what: string): never {
  throw new MimiFormatError(what);
}

// ------------------------------------------------------------------ encoding

function partArray(part: NestedPart): unknown[] {
  const head = [part.disposition, part.language];
  switch (part.cardinality) {
    case "null":
      return [...head, CARDINALITY.null];
    case "single":
      return [...head, CARDINALITY.single, part.contentType, part.content];
    case "external":
      return [
        ...head,
        CARDINALITY.external,
        part.contentType,
        part.url,
        part.expires,
        part.size,
        part.encAlg,
        part.key,
        part.nonce,
        part.aad,
        part.hashAlg,
        part.contentHash,
        part.description,
        part.filename,
      ];
    case "multi":
      return [...head, CARDINALITY.multi, part.partSemantics, part.parts.map(partArray)];
  }
}

export function encodeMimi(content: MimiContent): Uint8Array {
  const expires = content.expires === null ? null : [content.expires.relative, content.expires.time];
  return encode(
    [
      content.salt,
      content.replaces,
      content.topicId,
      expires,
      content.inReplyTo,
      content.extensions,
      partArray(content.part),
    ],
    rfc8949EncodeOptions,
  );
}

// ------------------------------------------------------------------ decoding

const isBytes = (value: unknown): value is Uint8Array => value instanceof Uint8Array;
const isUint = (value: unknown, max: number): value is number =>
  typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= max;

function bytesField(value: unknown, what: string): Uint8Array {
  return isBytes(value) ? value : fail(`${what} is not a byte string`);
}
function textField(value: unknown, what: string): string {
  return typeof value === "string" ? value : fail(`${what} is not a text string`);
}
function uintField(value: unknown, max: number, what: string): number {
  return isUint(value, max) ? value : fail(`${what} is not an unsigned integer up to ${max}`);
}
function messageIdField(value: unknown, what: string): MessageIdBytes | null {
  if (value === null) return null;
  return isBytes(value) && value.length === MESSAGE_ID_BYTES ? value : fail(`${what} is not a 32-byte message id`);
}

function decodePart(value: unknown, depth: number): NestedPart {
  if (!Array.isArray(value) || value.length < 3) fail("a part is not an array of at least 3 items");
  const [disposition, language, cardinality, ...rest] = value as unknown[];
  const head = { disposition: uintField(disposition, 255, "disposition"), language: textField(language, "language") };
  const exactly = (n: number, what: string): void => {
    if (rest.length !== n) fail(`${what} has ${rest.length} fields, not ${n}`);
  };
  switch (cardinality) {
    case CARDINALITY.null:
      exactly(0, "a null part");
      return { ...head, cardinality: "null" };
    case CARDINALITY.single:
      exactly(2, "a single part");
      return {
        ...head,
        cardinality: "single",
        contentType: textField(rest[0], "contentType"),
        content: bytesField(rest[1], "content"),
      };
    case CARDINALITY.external:
      exactly(12, "an external part");
      return {
        ...head,
        cardinality: "external",
        contentType: textField(rest[0], "contentType"),
        url: textField(rest[1], "url"),
        expires: uintField(rest[2], 0xffff_ffff, "expires"),
        size: uintField(rest[3], Number.MAX_SAFE_INTEGER, "size"),
        encAlg: uintField(rest[4], 0xffff, "encAlg"),
        key: bytesField(rest[5], "key"),
        nonce: bytesField(rest[6], "nonce"),
        aad: bytesField(rest[7], "aad"),
        hashAlg: uintField(rest[8], 0xff, "hashAlg"),
        contentHash: bytesField(rest[9], "contentHash"),
        description: textField(rest[10], "description"),
        filename: textField(rest[11], "filename"),
      };
    case CARDINALITY.multi: {
      exactly(2, "a multipart");
      if (depth >= MAX_DEPTH) fail(`parts nested deeper than ${MAX_DEPTH}`);
      const parts = rest[1];
      if (!Array.isArray(parts) || parts.length < 2) fail("a multipart does not hold at least 2 parts");
      return {
        ...head,
        cardinality: "multi",
        partSemantics: uintField(rest[0], 2, "partSemantics"),
        parts: (parts as unknown[]).map((part) => decodePart(part, depth + 1)),
      };
    }
    default:
      return fail("a part's cardinality is none of null, single, external, multi");
  }
}

function decodeExtensions(value: unknown): Extensions {
  if (!(value instanceof Map)) fail("mimiExtensions is not a map");
  for (const [key, field] of value as Map<unknown, unknown>) {
    const name = typeof key === "string" ? new TextEncoder().encode(key).length : 0;
    if (!(Number.isSafeInteger(key) || (name >= 1 && name <= 255)))
      fail("an extension's name is not an int or 1-255 bytes of text");
    if ((key === Extension.senderUri || key === Extension.roomUri) && typeof field !== "string") {
      fail("senderUri and roomUri are text strings");
    }
  }
  return value as Extensions;
}

/**
 * Reads one MIMI content item from the start of `bytes`; `length` is how many bytes it took
 * (the rest is the sender's padding). Throws MimiFormatError for anything the CDDL does not allow.
 */
export function decodeMimi(bytes: Uint8Array): { content: MimiContent; length: number } {
  let value: unknown;
  let remainder: Uint8Array;
  try {
    [value, remainder] = decodeFirst(bytes, decodeOptions);
  } catch (error) {
    fail(`not well-formed CBOR: ${(error as Error).message}`);
  }
  if (!Array.isArray(value) || value.length !== 7) fail("not a mimiContent array of 7 items");
  const [salt, replaces, topicId, expires, inReplyTo, extensions, part] = value as unknown[];
  const saltBytes = bytesField(salt, "salt");
  if (saltBytes.length !== SALT_BYTES) fail("the salt is not 16 bytes");
  let expiration: Expiration | null = null;
  if (expires !== null) {
    if (!Array.isArray(expires) || expires.length !== 2 || typeof expires[0] !== "boolean") {
      fail("expires is neither null nor [relative, time]");
    }
    expiration = { relative: expires[0] as boolean, time: uintField(expires[1], 0xffff_ffff, "expires time") };
  }
  const content: MimiContent = {
    salt: saltBytes,
    replaces: messageIdField(replaces, "replaces"),
    topicId: bytesField(topicId, "topicId"),
    expires: expiration,
    inReplyTo: messageIdField(inReplyTo, "inReplyTo"),
    extensions: decodeExtensions(extensions),
    part: decodePart(part, 0),
  };
  return { content, length: bytes.length - remainder.length };
}

// ------------------------------------------------------------------ message ids

const u16 = (n: number): Uint8Array => new Uint8Array([n >> 8, n & 0xff]);

/**
 * The message id (draft §2.3): SHA-256 over the sender URI and room URI (each after its
 * 16-bit length), the encoded message and its salt again; 0x01 then the first 31 bytes.
 */
export function mimiMessageId(
  senderUri: string,
  roomUri: string,
  encoded: Uint8Array,
  salt: Uint8Array,
): MessageIdBytes {
  const sender = new TextEncoder().encode(senderUri);
  const room = new TextEncoder().encode(roomUri);
  if (sender.length > 0xffff || room.length > 0xffff) fail("a URI is longer than 65535 bytes");
  const input = new Uint8Array(4 + sender.length + room.length + encoded.length + salt.length);
  let at = 0;
  for (const piece of [u16(sender.length), sender, u16(room.length), room, encoded, salt]) {
    input.set(piece, at);
    at += piece.length;
  }
  const id = new Uint8Array(MESSAGE_ID_BYTES);
  id[0] = SHA256_ID;
  id.set(sha256(input).subarray(0, MESSAGE_ID_BYTES - 1), 1);
  return id;
}
