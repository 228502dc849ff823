import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ed25519 } from "@noble/curves/ed25519.js";
import { loginTranscript, signLogin } from "@secure-chat/protocol";
import { verifyLogin } from "../src/login-verify.js";

describe("login signatures", () => {
  const nonce = new Uint8Array(32).map((_, i) => i);

  it("verifies a signature made with the matching key over the same nonce and name", () => {
    const { secretKey, publicKey } = ed25519.keygen();
    const signature = signLogin(secretKey, nonce, "alice");
    assert.equal(signature.length, 64);
    assert.equal(verifyLogin(publicKey, signature, nonce, "alice"), true);
  });

  it("rejects a signature over another nonce", () => {
    const { secretKey, publicKey } = ed25519.keygen();
    const signature = signLogin(secretKey, nonce, "alice");
    const otherNonce = nonce.slice();
    otherNonce[31] = (otherNonce[31] ?? 0) ^ 1;
    assert.equal(verifyLogin(publicKey, signature, otherNonce, "alice"), false);
    assert.equal(verifyLogin(publicKey, signature, nonce.subarray(0, 31), "alice"), false);
    assert.equal(verifyLogin(publicKey, signature, new Uint8Array(0), "alice"), false);
  });

  it("rejects a signature for another name", () => {
    const { secretKey, publicKey } = ed25519.keygen();
    const signature = signLogin(secretKey, nonce, "alice");
    for (const name of ["bob", "alic", "alice2", "Alice", ""]) {
      assert.equal(verifyLogin(publicKey, signature, nonce, name), false, name);
    }
  });

  it("rejects a signature checked against another key", () => {
    const alice = ed25519.keygen();
    const mallory = ed25519.keygen();
    const signature = signLogin(mallory.secretKey, nonce, "alice");
    assert.equal(verifyLogin(alice.publicKey, signature, nonce, "alice"), false);
  });

  it("binds the nonce/name boundary: shifting bytes between them does not verify", () => {
    const { secretKey, publicKey } = ed25519.keygen();
    const signature = signLogin(secretKey, utf8("ab"), "c");
    assert.equal(verifyLogin(publicKey, signature, utf8("a"), "bc"), false);
    assert.equal(verifyLogin(publicKey, signature, utf8("abc"), ""), false);
    assert.notDeepEqual(loginTranscript(utf8("ab"), "c"), loginTranscript(utf8("a"), "bc"));
  });

  it("returns false, without throwing, for garbage signatures and keys", () => {
    const { secretKey, publicKey } = ed25519.keygen();
    const good = signLogin(secretKey, nonce, "alice");
    const garbageSignatures = [
      new Uint8Array(0),
      new Uint8Array(10),
      new Uint8Array(64),
      new Uint8Array(64).fill(0xff),
      new Uint8Array(65),
      new Uint8Array([...good, 0]),
      good.subarray(0, 63),
    ];
    for (const signature of garbageSignatures) {
      assert.equal(verifyLogin(publicKey, signature, nonce, "alice"), false, `signature of ${signature.length} bytes`);
    }
    for (const key of [new Uint8Array(0), new Uint8Array(31), new Uint8Array(32).fill(0xff), new Uint8Array(33)]) {
      assert.equal(verifyLogin(key, good, nonce, "alice"), false, `key of ${key.length} bytes`);
    }
  });

  it("rejects any single-bit change of a valid signature, and never throws on random ones", () => {
    const { secretKey, publicKey } = ed25519.keygen();
    const good = signLogin(secretKey, nonce, "alice");
    fc.assert(
      fc.property(fc.integer({ min: 0, max: good.length * 8 - 1 }), (bit) => {
        const flipped = good.slice();
        flipped[bit >> 3] = (flipped[bit >> 3] ?? 0) ^ (1 << (bit & 7));
        assert.equal(verifyLogin(publicKey, flipped, nonce, "alice"), false, `bit ${bit}`);
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 40 }), (signature, key) => {
        assert.equal(verifyLogin(key, signature, nonce, "alice"), false);
      }),
      { numRuns: 200 },
    );
  });
});

function utf8(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}
