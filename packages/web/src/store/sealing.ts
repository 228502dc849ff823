import { ClientError } from "@secure-chat/client";

/**
 * Encryption at rest for the browser store, with WebCrypto only: PBKDF2-SHA-256 turns the
 * passphrase into an AES-256-GCM key that is non-extractable (no script, ours included, can read
 * its bytes) and lives only in memory. Each sealed value's associated data names where it lives
 * (its object store and key), so a value opens only in the record it was sealed for.
 *
 * PBKDF2, not scrypt as the Node store uses: WebCrypto has no memory-hard KDF, and a pure-JS
 * scrypt at a useful cost would block the page for seconds.
 */
export interface Sealer {
  seal(plaintext: Uint8Array, where: string): Promise<Uint8Array>;
  /** Rejects with STATE_CORRUPT, naming `where`, when the value does not authenticate. */
  open(sealed: Uint8Array, where: string): Promise<Uint8Array>;
}

/** OWASP's 2023 figure for PBKDF2-HMAC-SHA-256; about 0.3 s in Chromium on this machine. */
export const DEFAULT_PBKDF2_ITERATIONS = 600_000;
const NONCE_BYTES = 12;
const utf8 = new TextEncoder();

export function newSalt(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(16));
}

/** The sealing key for `passphrase`: never extractable, never stored. */
export async function passphraseKey(passphrase: string, salt: Uint8Array, iterations: number): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey("raw", utf8.encode(passphrase.normalize("NFKC")), "PBKDF2", false, [
    "deriveKey",
  ]);
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as BufferSource, iterations },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

export function aesGcmSealer(key: CryptoKey): Sealer {
  return {
    async seal(plaintext, where) {
      const iv = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
      const body = await crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: utf8.encode(where) },
        key,
        plaintext as BufferSource,
      );
      const sealed = new Uint8Array(NONCE_BYTES + body.byteLength);
      sealed.set(iv);
      sealed.set(new Uint8Array(body), NONCE_BYTES);
      return sealed;
    },
    async open(sealed, where) {
      try {
        const plain = await crypto.subtle.decrypt(
          { name: "AES-GCM", iv: sealed.subarray(0, NONCE_BYTES) as BufferSource, additionalData: utf8.encode(where) },
          key,
          sealed.subarray(NONCE_BYTES) as BufferSource,
        );
        return new Uint8Array(plain);
      } catch {
        throw new ClientError("STATE_CORRUPT", `the saved ${where} does not open with this key`);
      }
    },
  };
}
