import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, scryptSync } from "node:crypto";
import { ClientError } from "@secure-chat/client";

/**
 * Encryption at rest for the Node store: AES-256-GCM per field, with keys derived from the
 * user's passphrase by scrypt (N=2^17, r=8, p=1: ~128 MiB and ~0.4 s, once per start), then
 * HKDF-SHA-256 into one key for sealing fields and one for the state MAC (state-digest.ts).
 * Each field's associated data says where it lives: its table, column and the other columns of
 * its row (fields.ts), so a sealed value opens only in the row it was sealed for.
 */
export interface FieldCipher {
  seal(plaintext: Uint8Array, associatedData: Uint8Array): Uint8Array;
  /** Throws STATE_CORRUPT, naming `what`, when the field does not authenticate. */
  open(sealed: Uint8Array, associatedData: Uint8Array, what: string): Uint8Array;
}

export const KDF_PARAMS = { N: 2 ** 17, r: 8, p: 1, maxmem: 512 * 1024 * 1024 } as const;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** The scrypt key. Format 1 files sealed with it directly; format 2 only derives from it. */
export function deriveKey(passphrase: string, salt: Uint8Array): Uint8Array {
  return new Uint8Array(scryptSync(passphrase.normalize("NFKC"), salt, 32, KDF_PARAMS));
}

export interface StoreKeys {
  seal: Uint8Array;
  mac: Uint8Array;
}

/** One key per purpose, so the MAC key is never an AES key and format 2 fields never open as format 1. */
export function storeKeys(master: Uint8Array): StoreKeys {
  const derive = (purpose: string): Uint8Array =>
    new Uint8Array(hkdfSync("sha256", master, new Uint8Array(0), `secure-chat client.db v2 ${purpose}`, 32));
  return { seal: derive("field seal"), mac: derive("state mac") };
}

export function newSalt(): Uint8Array {
  return new Uint8Array(randomBytes(16));
}

/**
 * The nonce and tag of a sealed value, which stand for all of it in the state digest: without
 * the key no other bytes open with them (GCM authenticates the ciphertext under the tag), and
 * nonces are random, so no earlier value of the field has them. Hashing these 28 bytes, not a
 * group state of up to megabytes, keeps the digest off the cost of the message path.
 */
export function sealedId(sealed: Uint8Array): Uint8Array {
  return Buffer.concat([sealed.subarray(0, NONCE_BYTES), sealed.subarray(Math.max(0, sealed.length - TAG_BYTES))]);
}

export function aesGcmFieldCipher(key: Uint8Array): FieldCipher {
  return {
    seal(plaintext, associatedData) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, nonce);
      cipher.setAAD(associatedData);
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return new Uint8Array(Buffer.concat([nonce, body, cipher.getAuthTag()]));
    },
    open(sealed, associatedData, what) {
      if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new ClientError("STATE_CORRUPT", `${what} is truncated`);
      const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, NONCE_BYTES));
      decipher.setAAD(associatedData);
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      try {
        return new Uint8Array(
          Buffer.concat([decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)), decipher.final()]),
        );
      } catch {
        throw new ClientError("STATE_CORRUPT", `${what} does not authenticate: client.db was altered or damaged`);
      }
    },
  };
}
