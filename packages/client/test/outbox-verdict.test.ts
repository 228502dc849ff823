import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { errorCodes } from "@secure-chat/protocol";
import { clientErrorCodes, type ClientErrorCode } from "../src/errors.js";
import { serverError } from "../src/link/rpc.js";
import { outboxVerdict, type OutboxVerdict } from "../src/outbox/outbox-pump.js";

/**
 * What the outbox does with an entry refused with each code, written out one by one: a new
 * code (the client's or the server's) fails the coverage test below until it is decided here.
 */
const expected: [ClientErrorCode, OutboxVerdict][] = [
  // The client's own codes.
  ["UNREACHABLE", "drop"],
  ["DISCONNECTED", "wait_for_link"],
  ["TIMEOUT", "wait_for_link"],
  ["CERT_CHANGED", "drop"],
  ["NOT_IN_ROOM", "drop"],
  ["NO_SUCH_ROOM", "drop"],
  ["KEY_CHANGED", "drop"],
  ["UNTRUSTED_KEY", "drop"],
  ["DECRYPT_FAILED", "drop"],
  ["STATE_CORRUPT", "drop"],
  ["BAD_PASSPHRASE", "drop"],
  ["DISK_FULL", "wait_for_reload"],
  ["RELOADING", "wait_for_reload"],
  ["SERVER_ERROR", "drop"],
  ["NOT_YOUR_MESSAGE", "drop"],
  ["NO_SUCH_MESSAGE", "drop"],
  ["FILE_CORRUPT", "drop"],
  // The server's codes.
  ["BAD_FRAME", "drop"],
  ["UNKNOWN_FRAME", "drop"],
  ["UNSUPPORTED_VERSION", "drop"],
  ["FRAME_TOO_LARGE", "drop"],
  ["NOT_AUTHENTICATED", "drop"],
  ["UNEXPECTED_FRAME", "drop"],
  ["AUTH_FAILED", "drop"],
  ["LOGIN_TIMEOUT", "drop"],
  ["NAME_TAKEN", "drop"],
  ["NAME_CONFUSABLE", "drop"],
  ["DEVICE_REVOKED", "drop"],
  ["BAD_CERTIFICATE", "drop"],
  ["LINK_ENDED", "drop"],
  ["BAD_NAME", "drop"],
  ["BAD_ARGUMENT", "drop"],
  ["NO_KEY_PACKAGE", "drop"],
  ["NO_SUCH_USER", "drop"],
  ["NO_SUCH_GROUP", "drop"],
  ["GROUP_EXISTS", "drop"],
  ["NOT_MEMBER", "drop"],
  ["INVITE_ONLY", "drop"],
  ["ROOM_RESERVED", "drop"],
  ["ROOM_CONFUSABLE", "drop"],
  ["STALE_EPOCH", "drop"],
  ["BAD_MLS", "drop"],
  ["RATE_LIMITED", "retry_soon"],
  // A day's allowance: waiting in the outbox for hours would hold back everything after it.
  ["QUOTA_EXCEEDED", "drop"],
  ["BLOB_TOO_LARGE", "drop"],
  ["NO_SUCH_BLOB", "drop"],
  ["STORAGE_FULL", "wait_for_room"],
  ["STORAGE_UNAVAILABLE", "wait_for_storage"],
  ["TOO_MANY_CONNECTIONS", "drop"],
  ["INTERNAL", "drop"],
];

const everyCode: string[] = [...clientErrorCodes, ...Object.keys(errorCodes)];

describe("outboxVerdict", () => {
  it("the table decides every client and server error code exactly once", () => {
    const listed = expected.map(([code]) => code);
    const repeated = listed.filter((code, index) => listed.indexOf(code) !== index);
    assert.deepEqual(repeated, [], "no code is listed twice");
    assert.deepEqual(new Set(everyCode).size, everyCode.length, "the client's and the server's codes do not overlap");
    assert.deepEqual([...listed].sort(), [...everyCode].sort());
  });

  it("only the codes that say 'not now' keep the entry", () => {
    const kept = expected.filter(([, verdict]) => verdict !== "drop").map(([code]) => code);
    assert.deepEqual(kept.sort(), [
      "DISCONNECTED",
      "DISK_FULL",
      "RATE_LIMITED",
      "RELOADING",
      "STORAGE_FULL",
      "STORAGE_UNAVAILABLE",
      "TIMEOUT",
    ]);
  });

  for (const [code, verdict] of expected) {
    it(`${code} → ${verdict}`, () => {
      assert.equal(outboxVerdict(code), verdict);
    });
  }
});

describe("serverError", () => {
  it("passes the protocol's codes and turns the client's own, or unknown ones, into SERVER_ERROR", () => {
    // A server saying DISCONNECTED or RELOADING would have the outbox wait for something that never comes.
    for (const code of clientErrorCodes) assert.equal(serverError(code, "said the server").code, "SERVER_ERROR");
    for (const code of Object.keys(errorCodes)) assert.equal(serverError(code, "said the server").code, code);
    assert.equal(serverError("A_NEWER_CODE", "said the server").code, "SERVER_ERROR");
  });
});
