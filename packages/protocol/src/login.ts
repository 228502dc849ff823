import { ed25519 } from "@noble/curves/ed25519.js";

/**
 * What a client signs to log in: a domain-separation label, the server's fresh nonce
 * (bound to this connection) and the name. The nonce is never reused, so a recorded
 * signature is useless on any other connection.
 */
const LOGIN_LABEL = new TextEncoder().encode("secure-chat login v1\0");

export function loginTranscript(nonce: Uint8Array, name: string): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const out = new Uint8Array(LOGIN_LABEL.length + 4 + nonce.length + nameBytes.length);
  out.set(LOGIN_LABEL, 0);
  new DataView(out.buffer).setUint32(LOGIN_LABEL.length, nonce.length);
  out.set(nonce, LOGIN_LABEL.length + 4);
  out.set(nameBytes, LOGIN_LABEL.length + 4 + nonce.length);
  return out;
}

export function signLogin(secretKey: Uint8Array, nonce: Uint8Array, name: string): Uint8Array {
  return ed25519.sign(loginTranscript(nonce, name), secretKey);
}

export const ED25519_PUBLIC_KEY_BYTES = 32;
