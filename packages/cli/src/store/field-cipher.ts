import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from "node:crypto";
import { ClientError } from "@secure-chat/client";

/**
 * Encryption at rest for the Node store: AES-256-GCM per field, with the key derived from the
 * user's passphrase by scrypt (N=2^17, r=8, p=1: ~128 MiB and ~0.4 s, once per start).
 * Each field is bound to where it lives (`table.column`) so ciphertexts can't be swapped.
 */
export interface FieldCipher {
  seal(plaintext: Uint8Array, where: string): Uint8Array;
  /** Throws BAD_PASSPHRASE / STATE_CORRUPT when the field does not authenticate. */
  open(sealed: Uint8Array, where: string): Uint8Array;
}

export const KDF_PARAMS = { N: 2 ** 17, r: 8, p: 1, maxmem: 512 * 1024 * 1024 } as const;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export function deriveKey(passphrase: string, salt: Uint8Array): Uint8Array {
  return new Uint8Array(scryptSync(passphrase.normalize("NFKC"), salt, 32, KDF_PARAMS));
}

export function newSalt(): Uint8Array {
  return new Uint8Array(randomBytes(16));
}

export function aesGcmFieldCipher(key: Uint8Array): FieldCipher {
  return {
    seal(plaintext, where) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, nonce);
      cipher.setAAD(Buffer.from(where));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return new Uint8Array(Buffer.concat([nonce, body, cipher.getAuthTag()]));
    },
    open(sealed, where) {
      if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new ClientError("STATE_CORRUPT", `${where} is truncated`);
      const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, NONCE_BYTES));
      decipher.setAAD(Buffer.from(where));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      try {
        return new Uint8Array(
          Buffer.concat([decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)), decipher.final()]),
        );
      } catch {
        throw new ClientError("STATE_CORRUPT", `${where} does not authenticate: the file was damaged or altered`);
      }
    },
  };
}
