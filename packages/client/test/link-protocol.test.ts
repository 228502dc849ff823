import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { fuzzRuns } from "@secure-chat/protocol/testing";
import {
  checkReveal,
  commitment,
  decodeLinkPayload,
  encodeLinkPayload,
  exchangeKeyPair,
  sharedSecret,
  shortAuthenticationString,
  type LinkPayload,
  type LinkTranscript,
} from "../src/devices/link-protocol.js";
import { ClientError } from "../src/errors.js";

/** Both sides of one link, each with what it saw: the same unless someone in between swapped a key. */
function link(swap: { offer?: boolean; reveal?: boolean } = {}) {
  const newDevice = exchangeKeyPair();
  const approver = exchangeKeyPair();
  const accountKey = crypto.getRandomValues(new Uint8Array(32));
  const deviceKey = crypto.getRandomValues(new Uint8Array(32));
  const mallory = exchangeKeyPair();
  const committed = commitment(approver.publicKey, accountKey);
  const offer = { deviceKey, exchangeKey: newDevice.publicKey, label: "laptop" };
  const reveal = { exchangeKey: approver.publicKey, accountKey };
  // What each side receives: a server in the middle may replace the other side's key with its own.
  const offerSeen = swap.offer ? { ...offer, exchangeKey: mallory.publicKey } : offer;
  const revealSeen = swap.reveal ? { ...reveal, exchangeKey: mallory.publicKey } : reveal;
  const atApprover: LinkTranscript = { code: "ABCD-EFGH", commitment: committed, offer: offerSeen, reveal };
  const atNew: LinkTranscript = { code: "ABCD-EFGH", commitment: committed, offer, reveal: revealSeen };
  return {
    approverSas: shortAuthenticationString(atApprover, sharedSecret(approver.secretKey, offerSeen.exchangeKey)),
    newSas: shortAuthenticationString(atNew, sharedSecret(newDevice.secretKey, revealSeen.exchangeKey)),
    committed,
    revealSeen,
  };
}

describe("linking's short authentication string", () => {
  it("is the same 6 digits on both screens when nobody is in between", () => {
    const { approverSas, newSas } = link();
    assert.match(approverSas, /^\d{3} \d{3}$/);
    assert.equal(approverSas, newSas);
  });

  it("differs when the new device's key is swapped (nearly always: 6 digits)", () => {
    const differing = Array.from({ length: 20 }, () => link({ offer: true })).filter((l) => l.approverSas !== l.newSas);
    assert.ok(differing.length >= 19);
  });

  it("an approver's key swapped after its commitment is refused before any SAS", () => {
    const { committed, revealSeen } = link({ reveal: true });
    assert.throws(() => checkReveal(committed, revealSeen), ClientError);
  });

  it("link payloads round-trip, and any other bytes are a BAD_ARGUMENT, never a crash", () => {
    const payloads: LinkPayload[] = [
      { kind: "commit", commitment: new Uint8Array(32).fill(1) },
      { kind: "offer", deviceKey: new Uint8Array(32), exchangeKey: new Uint8Array(32).fill(2), label: "phone" },
      { kind: "reveal", exchangeKey: new Uint8Array(32), accountKey: new Uint8Array(32).fill(3) },
      { kind: "certificate", certificate: new Uint8Array([9, 9]) },
      { kind: "history", enc: new Uint8Array(32), ciphertext: new Uint8Array([1, 2, 3]) },
    ];
    for (const payload of payloads) assert.deepEqual(decodeLinkPayload(encodeLinkPayload(payload)), payload);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        try {
          decodeLinkPayload(bytes);
        } catch (error) {
          assert.ok(error instanceof ClientError && error.code === "BAD_ARGUMENT");
        }
      }),
      { numRuns: fuzzRuns(500) },
    );
  });
});
