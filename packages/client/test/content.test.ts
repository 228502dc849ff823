import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { fuzzRuns, mutationsOf } from "@secure-chat/protocol/testing";
import type { GroupId, UserName } from "@secure-chat/protocol";
import { decodeContent, encodeContent, padContent, type OutgoingBody } from "../src/content/content.js";
import { encodeMimi, type MimiContent } from "../src/content/mimi.js";

const alice = "alice" as UserName;
const bob = "bob" as UserName;
const lobby = "#lobby" as GroupId;
const target = `01${"ab".repeat(31)}`;
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Sends and reads back, as the network would: padded, decoded as from `alice` in #lobby. */
function roundTrip(body: OutgoingBody) {
  const { id, plaintext } = encodeContent(alice, lobby, 1_700_000_000_000, body);
  return { id, read: decodeContent(padContent(plaintext), alice, lobby) };
}

function mimi(overrides: Partial<MimiContent>): Uint8Array {
  return encodeMimi({
    salt: new Uint8Array(16),
    replaces: null,
    topicId: new Uint8Array(0),
    expires: null,
    inReplyTo: null,
    extensions: new Map(),
    part: { disposition: 1, language: "", cardinality: "single", contentType: "text/plain", content: utf8("hi") },
    ...overrides,
  });
}

describe("message content (MIMI)", () => {
  it("pads plaintexts to size buckets, so lengths within a bucket look the same", () => {
    const sizes = [0, 1, 10, 40, 100, 300, 900, 2000, 4000, 5000, 9000].map(
      (n) =>
        padContent(encodeContent(alice, lobby, 1_700_000_000_000, { kind: "text", text: "x".repeat(n) }).plaintext)
          .length,
    );
    for (const size of sizes) {
      assert.ok([64, 128, 256, 512, 1024, 2048, 4096].includes(size) || size % 4096 === 0, `${size} is no bucket`);
    }
    assert.equal(sizes[1], sizes[2], "short texts share a bucket");
    assert.equal(padContent(new Uint8Array(5000)).length, 8192);
  });

  it("a reaction and a short message (or a delete, an edit, a reply) pad to the same size", () => {
    const sizes = (
      [
        { kind: "text", text: "ok, see you at 10" },
        { kind: "reaction", target, emoji: "👍" },
        { kind: "unreaction", target, reaction: target },
        { kind: "delete", target },
        { kind: "edit", target, text: "see you at 11" },
        { kind: "text", text: "yes", replyTo: target },
      ] satisfies OutgoingBody[]
    ).map((body) => padContent(encodeContent(alice, lobby, Date.now(), body).plaintext).length);
    assert.deepEqual(new Set(sizes), new Set([128]), `sizes ${sizes.join(", ")}`);
  });

  it("round-trips every kind; the id is the same for sender and receiver, and new for each message", () => {
    const bodies: OutgoingBody[] = [
      { kind: "text", text: "héllo 👋" },
      { kind: "text", text: "yes", replyTo: target },
      { kind: "reaction", target, emoji: "❤️" },
      { kind: "unreaction", target, reaction: target },
      { kind: "edit", target, text: "fixed" },
      { kind: "edit", target, text: "fixed", replyTo: target },
      { kind: "delete", target },
      {
        kind: "file",
        file: {
          blobId: "ab".repeat(16),
          name: "report.pdf",
          size: 20_000_000,
          contentType: "application/pdf",
          key: "11".repeat(32),
          nonce: "22".repeat(12),
          sha256: "33".repeat(32),
        },
      },
      { kind: "typing" },
      { kind: "seen", target },
    ];
    for (const body of bodies) {
      const { id, read } = roundTrip(body);
      assert.deepEqual(read, { id, sentAt: 1_700_000_000_000, body });
      assert.match(id, /^01[0-9a-f]{62}$/);
    }
    assert.notEqual(roundTrip({ kind: "text", text: "same" }).id, roundTrip({ kind: "text", text: "same" }).id);
  });

  it("the id depends on the sender and the room, which the receiver knows from MLS", () => {
    const { id, plaintext } = encodeContent(alice, lobby, 1, { kind: "text", text: "hi" });
    assert.equal(decodeContent(plaintext, alice, lobby)?.id, id);
    assert.notEqual(decodeContent(plaintext, bob, lobby)?.id, id, "the same bytes from bob are another message");
    assert.notEqual(decodeContent(plaintext, alice, "#other" as GroupId)?.id, id);
  });

  it("refuses what is malformed: not MIMI, padding that is not zeros, a senderUri naming someone else", () => {
    const { plaintext } = encodeContent(alice, lobby, 1, { kind: "text", text: "hi" });
    const dirty = new Uint8Array(plaintext.length + 16);
    dirty.set(plaintext);
    assert.equal(decodeContent(dirty, alice, lobby)?.body.kind, "text", "zeros after the item are padding");
    dirty[plaintext.length + 8] = 1;
    assert.equal(decodeContent(dirty, alice, lobby), undefined);
    assert.equal(decodeContent(utf8("not json nor cbor"), alice, lobby), undefined);
    const forged = mimi({ extensions: new Map([[1, "mimi://secure-chat/u/bob"]]) });
    assert.equal(decodeContent(forged, alice, lobby), undefined, "claims to be bob's");
    assert.equal(decodeContent(forged, bob, lobby)?.body.kind, "text", "and is, from bob");
    const wrongRoom = mimi({ extensions: new Map([[2, "mimi://secure-chat/r/%23ops"]]) });
    assert.equal(decodeContent(wrongRoom, alice, lobby), undefined);
    const reactionToNothing = mimi({
      part: { disposition: 2, language: "", cardinality: "single", contentType: "text/plain", content: utf8("👍") },
    });
    assert.equal(decodeContent(reactionToNothing, alice, lobby), undefined, "a reaction names its message");
  });

  it("a kind this version does not know (a newer client's, another MIMI client's) is unsupported, not an error", () => {
    const cases: [Partial<MimiContent>, string][] = [
      [
        {
          part: {
            disposition: 1,
            language: "",
            cardinality: "single",
            contentType: "image/png",
            content: new Uint8Array(3),
          },
        },
        "a image/png part",
      ],
      [{ part: { disposition: 7, language: "", cardinality: "null" } }, "an empty part"],
      [
        {
          part: {
            disposition: 1,
            language: "",
            cardinality: "multi",
            partSemantics: 0,
            parts: [
              { disposition: 1, language: "", cardinality: "null" },
              { disposition: 1, language: "", cardinality: "null" },
            ],
          },
        },
        "a message in 2 parts",
      ],
      [
        {
          part: {
            disposition: 1,
            language: "",
            cardinality: "single",
            contentType: "text/html;charset=utf-8",
            content: utf8("<p>hi</p>"),
          },
        },
        "a text/html;charset=utf-8 part",
      ],
    ];
    for (const [overrides, what] of cases) {
      assert.deepEqual(decodeContent(mimi(overrides), alice, lobby)?.body, { kind: "unsupported", what });
    }
    // An unknown extension is ignored; no sentAt means the sender gave none.
    const extended = decodeContent(mimi({ extensions: new Map([["from-the-future", [1, 2]]]) }), alice, lobby);
    assert.deepEqual([extended?.body, extended?.sentAt], [{ kind: "text", text: "hi" }, undefined]);
  });

  it("still reads version 1 (JSON) plaintexts as text, with their own ids", () => {
    const v1 = (value: object): Uint8Array => padContent(utf8(JSON.stringify(value)));
    assert.deepEqual(decodeContent(v1({ v: 1, id: "0a1b2c", sentAt: 5, text: "old" }), alice, lobby), {
      id: "0a1b2c",
      sentAt: 5,
      body: { kind: "text", text: "old" },
    });
    assert.equal(decodeContent(v1({ v: 2, id: "0a", sentAt: 5, text: "x" }), alice, lobby), undefined);
    assert.equal(decodeContent(v1({ v: 1, id: "", sentAt: 5, text: "x" }), alice, lobby), undefined);
    assert.equal(decodeContent(v1({ v: 1, id: target, sentAt: 5, text: "x" }), alice, lobby), undefined, "no MIMI id");
  });

  it("never throws on random bytes or on edits of valid content: it reads them, or refuses them", () => {
    const valid = fc
      .constantFrom<OutgoingBody>(
        { kind: "text", text: "hello there" },
        { kind: "reaction", target, emoji: "👍" },
        { kind: "edit", target, text: "x", replyTo: target },
        { kind: "delete", target },
        { kind: "seen", target },
      )
      .map((body) => padContent(encodeContent(alice, lobby, 1_700_000_000_000, body).plaintext));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), mutationsOf(valid)), (bytes) => {
        const read = decodeContent(bytes, alice, lobby);
        assert.ok(read === undefined || typeof read.body.kind === "string");
      }),
      { numRuns: fuzzRuns(2_000) },
    );
  });
});
