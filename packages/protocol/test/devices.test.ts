/// <reference types="node" />
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ed25519 } from "@noble/curves/ed25519.js";
import {
  accountOf,
  decodeDeviceCertificate,
  decodeDeviceListing,
  decodeDeviceRevocation,
  deviceName,
  deviceNumberOf,
  encodeDeviceCertificate,
  encodeDeviceListing,
  encodeDeviceRevocation,
  parseMemberName,
  parseUserName,
  signDeviceCertificate,
  signDeviceRevocation,
  verifyDeviceCertificate,
  verifyDeviceListings,
  verifyDeviceRevocation,
  type DeviceListing,
  type UserName,
} from "../src/index.js";
import { fuzzRuns } from "./testing.js";

const alice = "alice" as UserName;
const aliceKeys = ed25519.keygen();
const deviceKeys = ed25519.keygen();
const alice2 = deviceName(alice, 2);

function certificate(fields: Partial<{ device: UserName; publicKey: Uint8Array; label: string }> = {}) {
  return signDeviceCertificate(aliceKeys.secretKey, {
    device: alice2,
    publicKey: deviceKeys.publicKey,
    label: "laptop",
    addedAt: 1_700_000_000_000,
    ...fields,
  });
}

describe("member names", () => {
  it("are an account name, or account.N with N from 2 to 99", () => {
    for (const ok of ["alice", "alice.2", "a.99", "bob-1.10"]) assert.equal(parseMemberName(ok), ok, ok);
    for (const bad of ["alice.1", "alice.0", "alice.02", "alice.100", "alice.", ".2", "alice.2.3", "Alice.2"]) {
      assert.equal(parseMemberName(bad), undefined, bad);
    }
    // A device's name is never an account name, so logging in can't register one.
    assert.equal(parseUserName("alice.2"), undefined);
  });

  it("name their account and device number", () => {
    assert.equal(accountOf(alice2), "alice");
    assert.equal(accountOf(alice), "alice");
    assert.equal(deviceNumberOf(alice2), 2);
    assert.equal(deviceNumberOf(alice), 1);
    assert.equal(deviceName(alice, 1), "alice");
  });
});

describe("device certificates", () => {
  it("verify under the account key only, and only as signed", () => {
    const cert = certificate();
    assert.ok(verifyDeviceCertificate(aliceKeys.publicKey, cert));
    assert.ok(!verifyDeviceCertificate(deviceKeys.publicKey, cert), "signed by another key");
    assert.ok(!verifyDeviceCertificate(aliceKeys.publicKey, { ...cert, device: deviceName(alice, 3) }));
    assert.ok(!verifyDeviceCertificate(aliceKeys.publicKey, { ...cert, label: "phone" }));
    assert.ok(!verifyDeviceCertificate(aliceKeys.publicKey, { ...cert, addedAt: cert.addedAt + 1 }));
    assert.ok(!verifyDeviceCertificate(aliceKeys.publicKey, { ...cert, publicKey: ed25519.keygen().publicKey }));
    assert.ok(!verifyDeviceCertificate(aliceKeys.publicKey, { ...cert, signature: cert.signature.slice(1) }));
  });

  it("refuse the account's own name, bad keys and unprintable labels even when signed", () => {
    assert.ok(!verifyDeviceCertificate(aliceKeys.publicKey, certificate({ device: alice })));
    assert.ok(!verifyDeviceCertificate(aliceKeys.publicKey, certificate({ publicKey: new Uint8Array(31) })));
    assert.ok(!verifyDeviceCertificate(aliceKeys.publicKey, certificate({ label: "a\u202eb" })));
    assert.ok(!verifyDeviceCertificate(aliceKeys.publicKey, certificate({ label: "x".repeat(65) })));
  });

  it("round-trip through their encoding, and decoding never throws", () => {
    const cert = certificate();
    assert.deepEqual(decodeDeviceCertificate(encodeDeviceCertificate(cert)), cert);
    const rev = signDeviceRevocation(aliceKeys.secretKey, { device: alice2, revokedAt: 5, signer: alice });
    assert.deepEqual(decodeDeviceRevocation(encodeDeviceRevocation(rev)), rev);
    const listing: DeviceListing = { certificate: cert, revocation: rev, lastSeen: 9 };
    assert.deepEqual(decodeDeviceListing(encodeDeviceListing(listing)), listing);
    const bytes = encodeDeviceListing(listing);
    assert.equal(decodeDeviceListing(bytes.slice(0, -1)), undefined);
    assert.equal(decodeDeviceListing(new Uint8Array([...bytes, 0])), undefined);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (random) => {
        decodeDeviceListing(random);
        decodeDeviceCertificate(random);
        decodeDeviceRevocation(random);
      }),
      { numRuns: fuzzRuns(300) },
    );
  });
});

describe("device revocations", () => {
  it("verify under the signer's key, for another device of the same account, never the first", () => {
    const byAccount = signDeviceRevocation(aliceKeys.secretKey, { device: alice2, revokedAt: 5, signer: alice });
    assert.ok(verifyDeviceRevocation(aliceKeys.publicKey, byAccount));
    assert.ok(!verifyDeviceRevocation(deviceKeys.publicKey, byAccount));
    assert.ok(!verifyDeviceRevocation(aliceKeys.publicKey, { ...byAccount, revokedAt: 6 }));
    const ofFirst = signDeviceRevocation(deviceKeys.secretKey, { device: alice, revokedAt: 5, signer: alice2 });
    assert.ok(!verifyDeviceRevocation(deviceKeys.publicKey, ofFirst), "the account device can't be revoked");
    const ofItself = signDeviceRevocation(deviceKeys.secretKey, { device: alice2, revokedAt: 5, signer: alice2 });
    assert.ok(!verifyDeviceRevocation(deviceKeys.publicKey, ofItself));
    const otherAccount = "bob" as UserName;
    const cross = signDeviceRevocation(aliceKeys.secretKey, { device: alice2, revokedAt: 5, signer: otherAccount });
    assert.ok(!verifyDeviceRevocation(aliceKeys.publicKey, cross));
  });
});

describe("verifyDeviceListings", () => {
  it("keeps certified devices, refuses invented ones with a reason, and believes only signed revocations", () => {
    const third = ed25519.keygen();
    const alice3 = deviceName(alice, 3);
    const good: DeviceListing = { certificate: certificate(), revocation: undefined, lastSeen: 0 };
    const forged: DeviceListing = {
      certificate: signDeviceCertificate(third.secretKey, {
        device: deviceName(alice, 4),
        publicKey: third.publicKey,
        label: "server's",
        addedAt: 1,
      }),
      revocation: undefined,
      lastSeen: 0,
    };
    const revokedBy2: DeviceListing = {
      certificate: certificate({ device: alice3, publicKey: third.publicKey }),
      revocation: signDeviceRevocation(deviceKeys.secretKey, { device: alice3, revokedAt: 7, signer: alice2 }),
      lastSeen: 3,
    };
    const fakeRevocation: DeviceListing = {
      ...good,
      revocation: signDeviceRevocation(third.secretKey, { device: alice2, revokedAt: 7, signer: deviceName(alice, 5) }),
    };
    const result = verifyDeviceListings(alice, aliceKeys.publicKey, [good, forged, revokedBy2]);
    assert.deepEqual(
      result.devices.map((d) => [d.device, d.revoked]),
      [
        ["alice.2", false],
        ["alice.3", true],
      ],
    );
    assert.deepEqual(result.refused, [
      { device: "alice.4", reason: "its device certificate is not signed by alice's key" },
    ]);
    const unrevoked = verifyDeviceListings(alice, aliceKeys.publicKey, [fakeRevocation]);
    assert.deepEqual(
      unrevoked.devices.map((d) => d.revoked),
      [false],
    );
    const bobs = verifyDeviceListings("bob" as UserName, aliceKeys.publicKey, [good]);
    assert.deepEqual(bobs.refused, [{ device: "alice.2", reason: "not a device of bob" }]);
  });
});
