/**
 * The server reads PrivateMessage headers in place instead of decoding them with ts-mls; these
 * tests hold the two to the same answer on valid messages (every length-prefix size, any epoch,
 * every content type) and on mutations of them, with ts-mls as the oracle.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeMlsMessage, encodeMlsMessage } from "ts-mls";
import { inspectGroupMessage } from "../src/mls/inspect.js";
import { fuzzRuns, mutationsOf } from "@secure-chat/protocol/testing";

const runs = fuzzRuns(10_000);

/** What inspectGroupMessage answered before the fast path: ts-mls decodes the whole message. */
function oracle(bytes: Uint8Array): ReturnType<typeof inspectGroupMessage> {
  let decoded: ReturnType<typeof decodeMlsMessage>;
  try {
    decoded = decodeMlsMessage(bytes, 0);
  } catch {
    return undefined;
  }
  if (decoded === undefined || decoded[1] !== bytes.length) return undefined;
  const message = decoded[0];
  if (message.wireformat !== "mls_private_message") return inspectGroupMessage(bytes);
  let groupId: string;
  try {
    groupId = new TextDecoder("utf-8", { fatal: true }).decode(message.privateMessage.groupId);
  } catch {
    return undefined;
  }
  const epoch = Number(message.privateMessage.epoch);
  if (message.privateMessage.contentType === "commit") return { kind: "commit", groupId, epoch };
  return { kind: "other", groupId, epoch };
}

const contentType = fc.constantFrom("application" as const, "proposal" as const, "commit" as const);
/** Lengths on both sides of the 1-, 2- and 4-byte prefix boundaries (63 and 16,383). */
const opaque = fc.oneof(
  fc.uint8Array({ maxLength: 80 }),
  fc.integer({ min: 16_380, max: 16_390 }).map((length) => new Uint8Array(length).fill(5)),
);

const privateMessage = fc
  .record({
    groupId: fc.oneof(
      fc.string({ maxLength: 70 }).map((text) => new TextEncoder().encode(text)),
      fc.uint8Array({ maxLength: 70 }),
    ),
    epoch: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    contentType,
    authenticatedData: fc.uint8Array({ maxLength: 70 }),
    encryptedSenderData: fc.uint8Array({ maxLength: 70 }),
    ciphertext: opaque,
  })
  .map((privateMessage) => encodeMlsMessage({ version: "mls10", wireformat: "mls_private_message", privateMessage }));

/** Mutations of valid messages, half of them in the header, where the fields read are. */
const mutated = mutationsOf(privateMessage, 24);

describe("inspectGroupMessage on PrivateMessages", () => {
  it("reads group id, epoch and content type as ts-mls does, on valid messages", () => {
    fc.assert(
      fc.property(privateMessage, (bytes) => {
        assert.deepEqual(inspectGroupMessage(bytes), oracle(bytes));
      }),
      { numRuns: Math.ceil(runs / 10) },
    );
  });

  it("agrees with ts-mls on mutated messages", () => {
    fc.assert(
      fc.property(mutated, (bytes) => {
        assert.deepEqual(inspectGroupMessage(bytes), oracle(bytes));
      }),
      { numRuns: runs },
    );
  });

  it("agrees with ts-mls on a private header followed by random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (tail) => {
        const bytes = Uint8Array.from([0, 1, 0, 2, ...tail]);
        assert.deepEqual(inspectGroupMessage(bytes), oracle(bytes));
      }),
      { numRuns: runs },
    );
  });

  it("takes non-minimal length prefixes, refuses the 8-byte form and unknown content types", () => {
    // group id "ab" with a 2-byte prefix, epoch 7, application, then three empty vectors.
    const message = [0, 1, 0, 2, 0x40, 2, 0x61, 0x62, 0, 0, 0, 0, 0, 0, 0, 7, 1, 0, 0, 0];
    const inspected = inspectGroupMessage(Uint8Array.from(message));
    assert.deepEqual(inspected, { kind: "other", groupId: "ab", epoch: 7 });
    assert.deepEqual(inspected, oracle(Uint8Array.from(message)));
    const eightBytePrefix = [0, 1, 0, 2, 0xc0, 0, 0, 0, 0, 0, 0, 2, 0x61, 0x62, 0, 0, 0, 0, 0, 0, 0, 7, 1, 0, 0, 0];
    assert.equal(inspectGroupMessage(Uint8Array.from(eightBytePrefix)), undefined);
    for (const unknownType of [0, 4, 255]) {
      const bytes = Uint8Array.from(message.map((byte, i) => (i === 16 ? unknownType : byte)));
      assert.equal(inspectGroupMessage(bytes), undefined);
      assert.equal(oracle(bytes), undefined);
    }
  });
});
