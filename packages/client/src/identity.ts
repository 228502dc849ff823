import { ed25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import type { UserName } from "@secure-chat/protocol";

/** One Ed25519 key per client install: the login key and the MLS credential key. */
export interface Identity {
  name: UserName;
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

export function generateIdentity(name: UserName): Identity {
  const { secretKey, publicKey } = ed25519.keygen();
  return { name, secretKey, publicKey };
}

/** SHA-256 of the public key, first 20 bytes, as 10 groups of 4 hex digits (easy to read aloud). */
export function fingerprint(publicKey: Uint8Array): string {
  const hex = bytesToHex(sha256(publicKey).subarray(0, 20));
  return hex.match(/.{4}/g)?.join(" ") ?? hex;
}

export function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}
