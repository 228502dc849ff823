import { x25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes } from "@noble/hashes/utils.js";
import { ByteReader, ByteWriter, DecodeFailure, MAX_DEVICE_LABEL_LENGTH } from "@secure-chat/protocol";
import { ClientError } from "../errors.js";
import { sameKey } from "../identity.js";

/**
 * What the two devices of a link say to each other through the server's relay (which reads none
 * of it), and the short authentication string (SAS) both screens show.
 *
 *   approver -> new:  commit   SHA-256(its X25519 key, the account key)
 *   new -> approver:  offer    the new device's Ed25519 key, an X25519 key, its label
 *   approver -> new:  reveal   its X25519 key and the account key (checked against the commitment)
 *   both:             SAS      6 digits from SHA-256 of the transcript and the X25519 shared secret
 *   approver -> new:  certificate, once the person saw the same SAS on both screens and approved
 *   approver -> new:  history, the recent messages sealed to the offer's X25519 key (HPKE)
 *
 * The commitment makes the approver choose its key before it sees the new device's, and the new
 * device sends its key before it sees the approver's: a server in the middle gets one guess at a
 * 6-digit match, not a search. The shared X25519 secret goes into the SAS, so equal strings also
 * mean the approver holds the new device's real X25519 key, which the history is sealed to.
 */

const COMMIT_LABEL = new TextEncoder().encode("secure-chat link commit v1\0");
const SAS_LABEL = new TextEncoder().encode("secure-chat link sas v1\0");

export type LinkPayload =
  | { kind: "commit"; commitment: Uint8Array }
  | { kind: "offer"; deviceKey: Uint8Array; exchangeKey: Uint8Array; label: string }
  | { kind: "reveal"; exchangeKey: Uint8Array; accountKey: Uint8Array }
  | { kind: "certificate"; certificate: Uint8Array }
  /** The recent history, sealed to the offer's exchange key (history-transfer.ts); empty rooms when declined. */
  | { kind: "history"; enc: Uint8Array; ciphertext: Uint8Array };

const kinds = ["commit", "offer", "reveal", "certificate", "history"] as const;

export function encodeLinkPayload(payload: LinkPayload): Uint8Array {
  const w = new ByteWriter();
  w.u8(kinds.indexOf(payload.kind));
  switch (payload.kind) {
    case "commit":
      w.bytes(payload.commitment);
      break;
    case "offer":
      w.bytes(payload.deviceKey);
      w.bytes(payload.exchangeKey);
      w.str(payload.label);
      break;
    case "reveal":
      w.bytes(payload.exchangeKey);
      w.bytes(payload.accountKey);
      break;
    case "certificate":
      w.bytes(payload.certificate);
      break;
    case "history":
      w.bytes(payload.enc);
      w.bytes(payload.ciphertext);
      break;
  }
  return w.finish();
}

/** The payload, or BAD_ARGUMENT for bytes that are not one (the server relays anything). */
export function decodeLinkPayload(bytes: Uint8Array): LinkPayload {
  try {
    const r = new ByteReader(bytes);
    const payload = readPayload(r);
    if (!r.done) throw new DecodeFailure("trailing bytes");
    return payload;
  } catch (error) {
    if (!(error instanceof DecodeFailure)) throw error;
    throw new ClientError("BAD_ARGUMENT", "the other device sent something that is not part of linking");
  }
}

function readPayload(r: ByteReader): LinkPayload {
  const kind = kinds[r.u8()];
  if (kind === undefined) throw new DecodeFailure("unknown kind");
  switch (kind) {
    case "commit":
      return { kind, commitment: r.bytes() };
    case "offer": {
      const payload = { kind, deviceKey: r.bytes(), exchangeKey: r.bytes(), label: r.str() };
      if (payload.label.length > MAX_DEVICE_LABEL_LENGTH) throw new DecodeFailure("label too long");
      return payload;
    }
    case "reveal":
      return { kind, exchangeKey: r.bytes(), accountKey: r.bytes() };
    case "certificate":
      return { kind, certificate: r.bytes() };
    case "history":
      return { kind, enc: r.bytes(), ciphertext: r.bytes() };
  }
}

export function commitment(exchangeKey: Uint8Array, accountKey: Uint8Array): Uint8Array {
  return sha256(concatBytes(COMMIT_LABEL, exchangeKey, accountKey));
}

/** Throws BAD_ARGUMENT unless `reveal` opens `committed`. */
export function checkReveal(committed: Uint8Array, reveal: { exchangeKey: Uint8Array; accountKey: Uint8Array }): void {
  if (!sameKey(committed, commitment(reveal.exchangeKey, reveal.accountKey))) {
    throw new ClientError("BAD_ARGUMENT", "the approving device's keys do not match what it committed to; not linked");
  }
}

/** Everything both sides saw, in one order. */
export interface LinkTranscript {
  code: string;
  commitment: Uint8Array;
  offer: { deviceKey: Uint8Array; exchangeKey: Uint8Array; label: string };
  reveal: { exchangeKey: Uint8Array; accountKey: Uint8Array };
}

function transcriptBytes(t: LinkTranscript, shared: Uint8Array): Uint8Array {
  const w = new ByteWriter();
  w.str(t.code);
  w.bytes(t.commitment);
  w.bytes(t.offer.deviceKey);
  w.bytes(t.offer.exchangeKey);
  w.str(t.offer.label);
  w.bytes(t.reveal.exchangeKey);
  w.bytes(t.reveal.accountKey);
  w.bytes(shared);
  return w.finish();
}

/** The X25519 shared secret of our secret key and the other side's public key (ClientError for a bad key). */
export function sharedSecret(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  try {
    return x25519.getSharedSecret(secretKey, publicKey);
  } catch {
    throw new ClientError("BAD_ARGUMENT", "the other device's exchange key is not an X25519 key");
  }
}

/** The 6-digit short authentication string, as `123 456`: the same on both screens only if nobody swapped a key. */
export function shortAuthenticationString(t: LinkTranscript, shared: Uint8Array): string {
  const digest = sha256(concatBytes(SAS_LABEL, transcriptBytes(t, shared)));
  const value = new DataView(digest.buffer, digest.byteOffset, 4).getUint32(0) % 1_000_000;
  const digits = value.toString().padStart(6, "0");
  return `${digits.slice(0, 3)} ${digits.slice(3)}`;
}

export function exchangeKeyPair(): { secretKey: Uint8Array; publicKey: Uint8Array } {
  return x25519.keygen();
}
