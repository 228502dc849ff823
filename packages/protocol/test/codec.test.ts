/// <reference types="node" />
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  PROTOCOL_VERSION,
  decodeFrame,
  encodeFrame,
  errorCodes,
  frameSchemas,
  type DecodeResult,
  type FieldKind,
  type FieldTypes,
  type Frame,
  type FrameOf,
  type FrameType,
} from "../src/index.js";
import { fuzzRuns } from "./testing.js";

// ---------------------------------------------------------------------------------------------
// Helpers

const ROUND_TRIP_RUNS = fuzzRuns(1_000);
const BYTE_RUNS = fuzzRuns(10_000);

const frameTypes = Object.keys(frameSchemas) as FrameType[];

function fieldsOf(type: FrameType): [string, FieldKind][] {
  return Object.entries(frameSchemas[type].fields) as [string, FieldKind][];
}

/** The error codes a decoder may produce; the transport adds FRAME_TOO_LARGE, the decoder never does. */
const decodeErrorCodes = new Set<string>(["BAD_FRAME", "UNKNOWN_FRAME", "UNSUPPORTED_VERSION"]);

function u32be(value: number): number[] {
  return [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}

function concat(...parts: (readonly number[] | Uint8Array)[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) out.push(...part);
  return new Uint8Array(out);
}

function utf8(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

/** A length-prefixed string as the codec writes it. */
function wireStr(value: string): number[] {
  const bytes = utf8(value);
  return [...u32be(bytes.length), ...bytes];
}

function header(type: FrameType): number[] {
  return [PROTOCOL_VERSION, frameSchemas[type].id];
}

function expectError(result: DecodeResult, code: string, context = ""): void {
  assert.equal(result.kind, "error", `expected ${code} ${context}, got ${JSON.stringify(result)}`);
  if (result.kind !== "error") return;
  assert.equal(result.code, code, `${context}: ${result.message}`);
  assert.ok(result.message.length > 0, "an error carries a human message");
}

function expectFrame(result: DecodeResult, frame: Frame): void {
  assert.deepEqual(result, { kind: "ok", frame });
}

// Validators for what a decoded field may hold, one per field kind.
const isU32 = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffff_ffff;
const fieldValidators: { [K in FieldKind]: (value: unknown) => boolean } = {
  u8: (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xff,
  u32: isU32,
  u53: (v) => Number.isSafeInteger(v) && (v as number) >= 0,
  bool: (v) => typeof v === "boolean",
  bytes: (v) => v instanceof Uint8Array,
  str: (v) => typeof v === "string",
  strs: (v) => Array.isArray(v) && v.every((item) => typeof item === "string"),
  bytesList: (v) => Array.isArray(v) && v.every((item) => item instanceof Uint8Array),
};

/**
 * Any outcome of decoding hostile bytes must be either a decode error with a known code or a
 * well-formed frame whose canonical encoding is exactly the input.
 */
function assertSaneOutcome(input: Uint8Array, result: DecodeResult): void {
  if (result.kind === "error") {
    assert.ok(Object.hasOwn(errorCodes, result.code), `unknown error code ${result.code}`);
    assert.ok(decodeErrorCodes.has(result.code), `decoder produced non-decode error code ${result.code}`);
    assert.equal(typeof result.message, "string");
    assert.ok(result.message.length > 0);
    return;
  }
  assert.equal(result.kind, "ok");
  const frame = result.frame as unknown as Record<string, unknown>;
  const type = frame["type"] as FrameType;
  assert.ok(Object.hasOwn(frameSchemas, type), `decoded unknown type ${String(type)}`);
  const fields = fieldsOf(type);
  assert.deepEqual(Object.keys(frame).sort(), ["type", ...fields.map(([name]) => name)].sort());
  for (const [name, kind] of fields) {
    assert.ok(fieldValidators[kind](frame[name]), `${type}.${name} is not a valid ${kind}: ${String(frame[name])}`);
  }
  assert.deepEqual(encodeFrame(result.frame), input, "a decoded frame re-encodes to the same bytes");
}

// ---------------------------------------------------------------------------------------------
// Hand-written samples: the mapped type makes a new frame type a compile error until it has one.

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);
const MAX_U32 = 0xffff_ffff;

const samples: { [T in FrameType]: FrameOf<T> } = {
  hello: { type: "hello", rid: 1, name: "alice", publicKey: new Uint8Array(32).fill(7) },
  login: { type: "login", rid: MAX_U32, signature: new Uint8Array(64).fill(0xab) },
  upload_key_packages: {
    type: "upload_key_packages",
    rid: 3,
    keyPackages: [bytes(1, 2, 3), bytes(), bytes(255)],
    lastResort: bytes(9, 9),
  },
  claim_key_package: { type: "claim_key_package", rid: 4, name: "bob" },
  lookup_keys: { type: "lookup_keys", rid: 5, names: ["alice", "", "ünïcødé ✓ 🔐"] },
  create_group: { type: "create_group", rid: 6, groupId: "#lobby", groupInfo: bytes(0, 1, 0) },
  get_group_info: { type: "get_group_info", rid: 7, groupId: "+secret" },
  commit: {
    type: "commit",
    rid: 8,
    groupId: "@alice@bob",
    commit: bytes(1, 1, 2, 3, 5, 8),
    groupInfo: bytes(),
    welcome: bytes(42),
  },
  send: {
    type: "send",
    rid: 9,
    groupId: "#lobby",
    sendId: new Uint8Array(16).fill(7),
    message: new Uint8Array(1000).fill(0x5a),
  },
  ack: { type: "ack", seq: Number.MAX_SAFE_INTEGER },
  list_rooms: { type: "list_rooms", rid: 0, after: "#lobby" },
  list_online: { type: "list_online", rid: 12 },
  ping: { type: "ping", rid: 13 },
  add_device: { type: "add_device", rid: 14, certificate: bytes(1, 2) },
  revoke_device: { type: "revoke_device", rid: 15, revocation: bytes() },
  list_devices: { type: "list_devices", rid: 16, name: "alice" },
  link_open: { type: "link_open", rid: 17, account: "alice" },
  link_join: { type: "link_join", rid: 18, code: "ABCD-EFGH" },
  link_relay: { type: "link_relay", rid: 19, code: "ABCD-EFGH", payload: bytes(1, 2, 3) },
  send_ephemeral: { type: "send_ephemeral", rid: 20, groupId: "@alice@bob", message: bytes(1, 2, 3) },
  put_blob: {
    type: "put_blob",
    rid: 21,
    groupId: "#lobby",
    blobId: "ab".repeat(16),
    offset: 2 ** 40,
    data: bytes(5),
    last: true,
  },
  get_blob: { type: "get_blob", rid: 22, groupId: "#lobby", blobId: "cd".repeat(16), offset: 0, length: 1_048_576 },
  challenge: {
    type: "challenge",
    rid: 64,
    nonce: new Uint8Array(32).fill(1),
    cipherSuite: "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519",
    serverTime: 1_700_000_000_000,
  },
  login_ok: { type: "login_ok", rid: 65, keyPackageCount: 0 },
  ok: { type: "ok", rid: 66 },
  accepted: { type: "accepted", rid: 67, seq: 2 ** 32, serverTs: 2 ** 32 - 1 },
  key_package: { type: "key_package", rid: 68, name: "carol", keyPackage: bytes(4, 5, 6) },
  keys: {
    type: "keys",
    rid: 69,
    names: ["a", "b"],
    publicKeys: [bytes(1), bytes(2, 2)],
    retiredKeys: [bytes(), bytes(3)],
  },
  group_info: { type: "group_info", rid: 70, groupId: "#room", groupInfo: bytes(7) },
  rooms: { type: "rooms", rid: 71, groupIds: [], memberNames: [], next: "" },
  online: { type: "online", rid: 72, names: ["zed"] },
  error: { type: "error", rid: 0, code: "BAD_FRAME", message: "line one\nline two\u0000" },
  deliver: {
    type: "deliver",
    seq: 123_456_789_012,
    serverTs: 0,
    groupId: "#lobby",
    sender: "alice",
    kind: 255,
    payload: bytes(0xde, 0xad, 0xbe, 0xef),
  },
  presence: { type: "presence", name: "bob", online: false },
  synced: { type: "synced", cursor: 0 },
  pong: { type: "pong", rid: 77 },
  devices: { type: "devices", rid: 78, name: "alice", listings: [bytes(9), bytes()] },
  link_code: { type: "link_code", rid: 79, code: "ABCD-EFGH" },
  link_message: { type: "link_message", code: "ABCD-EFGH", payload: bytes() },
  ephemeral: { type: "ephemeral", groupId: "#lobby", sender: "bob", message: bytes(9) },
  blob: { type: "blob", rid: 82, data: bytes(1, 2), size: 2 },
};

function sampleOf(type: FrameType): Frame {
  const sample = (samples as Record<string, Frame | undefined>)[type];
  assert.ok(sample !== undefined, `no hand-written sample for ${type}`);
  return sample;
}

// ---------------------------------------------------------------------------------------------
// Generators, one per field kind; the mapped type makes a new field kind a compile error.

/** Unicode scalar values (no lone surrogates: those are not representable in UTF-8). */
const scalarValue = fc
  .oneof(
    fc.integer({ min: 0, max: 0x7f }),
    fc.integer({ min: 0, max: 0x10ffff }).filter((cp) => cp < 0xd800 || cp > 0xdfff),
  )
  .map((cp) => String.fromCodePoint(cp));
/** Wire strings: any Unicode scalar values, a leading U+FEFF included. */
const wireString = fc.string({ unit: scalarValue, maxLength: 24 });

const fieldArbitraries: { [K in FieldKind]: fc.Arbitrary<FieldTypes[K]> } = {
  u8: fc.integer({ min: 0, max: 0xff }),
  u32: fc.integer({ min: 0, max: MAX_U32 }),
  u53: fc.maxSafeNat(),
  bool: fc.boolean(),
  bytes: fc.uint8Array({ maxLength: 64 }),
  str: wireString,
  strs: fc.array(wireString, { maxLength: 6 }),
  bytesList: fc.array(fc.uint8Array({ maxLength: 24 }), { maxLength: 6 }),
};

function frameArbitrary(type: FrameType): fc.Arbitrary<Frame> {
  const record: Record<string, fc.Arbitrary<unknown>> = { type: fc.constant(type) };
  for (const [name, kind] of fieldsOf(type)) record[name] = fieldArbitraries[kind];
  return fc.record(record, { noNullPrototype: true }) as unknown as fc.Arbitrary<Frame>;
}

const anyFrame: fc.Arbitrary<Frame> = fc.oneof(...frameTypes.map(frameArbitrary));

type Mutation =
  | { op: "flip"; at: number; mask: number }
  | { op: "set"; at: number; value: number }
  | { op: "truncate"; at: number }
  | { op: "append"; bytes: Uint8Array }
  | { op: "insert"; at: number; bytes: Uint8Array }
  | { op: "delete"; at: number; count: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant("flip" as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 0xff }) }),
  fc.record({ op: fc.constant("set" as const), at: fc.nat(), value: fc.constantFrom(0, 1, 0x7f, 0x80, 0xff) }),
  fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("append" as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ op: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ op: fc.constant("delete" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
);

function applyMutation(input: Uint8Array, m: Mutation): Uint8Array {
  const at = input.length === 0 ? 0 : ("at" in m ? m.at : 0) % input.length;
  switch (m.op) {
    case "flip": {
      const out = input.slice();
      if (out.length > 0) out[at] = (out[at] ?? 0) ^ m.mask;
      return out;
    }
    case "set": {
      const out = input.slice();
      if (out.length > 0) out[at] = m.value;
      return out;
    }
    case "truncate":
      return input.slice(0, at);
    case "append":
      return concat(input, m.bytes);
    case "insert":
      return concat(input.subarray(0, at), m.bytes, input.subarray(at));
    case "delete":
      return concat(input.subarray(0, at), input.subarray(at + m.count));
  }
}

// ---------------------------------------------------------------------------------------------

describe("frame schema table", () => {
  it("gives every frame type a distinct one-byte id", () => {
    const ids = frameTypes.map((type) => frameSchemas[type].id);
    assert.equal(new Set(ids).size, ids.length, `duplicate ids in ${JSON.stringify(ids)}`);
    for (const id of ids) assert.ok(Number.isInteger(id) && id >= 1 && id <= 0xff, `id ${id} does not fit a u8`);
  });

  it("uses only field kinds the codec knows", () => {
    for (const type of frameTypes) {
      for (const [name, kind] of fieldsOf(type)) {
        assert.ok(Object.hasOwn(fieldArbitraries, kind), `${type}.${name} has unknown kind ${kind}`);
        assert.notEqual(name, "type", `${type} has a field named "type", which the frame tag uses`);
      }
    }
  });
});

describe("encodeFrame/decodeFrame: hand-written frames", () => {
  it("has a sample of every frame type with exactly the schema's fields", () => {
    for (const type of frameTypes) {
      const sample = sampleOf(type);
      assert.equal(sample.type, type);
      assert.deepEqual(Object.keys(sample).sort(), ["type", ...fieldsOf(type).map(([name]) => name)].sort(), type);
    }
  });

  for (const type of frameTypes) {
    it(`round-trips a ${type} frame`, () => {
      const sample = sampleOf(type);
      const encoded = encodeFrame(sample);
      assert.equal(encoded[0], PROTOCOL_VERSION, "first byte is the protocol version");
      assert.equal(encoded[1], frameSchemas[type].id, "second byte is the frame id");
      expectFrame(decodeFrame(encoded), sample);
    });
  }

  it("writes the documented big-endian, length-prefixed layout", () => {
    assert.deepEqual(
      encodeFrame({ type: "hello", rid: 0x01020304, name: "é", publicKey: bytes(9, 8) }),
      concat([2, 1], [1, 2, 3, 4], [0, 0, 0, 2, 0xc3, 0xa9], [0, 0, 0, 2, 9, 8]),
    );
    assert.deepEqual(
      encodeFrame({ type: "accepted", rid: 1, seq: Number.MAX_SAFE_INTEGER, serverTs: 2 ** 32 }),
      concat([2, 67], [0, 0, 0, 1], [0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0, 0, 0, 1, 0, 0, 0, 0]),
    );
    assert.deepEqual(
      encodeFrame({ type: "lookup_keys", rid: 0, names: ["a", "bc"] }),
      concat([2, 5], [0, 0, 0, 0], [0, 0, 0, 2], wireStr("a"), wireStr("bc")),
    );
    assert.deepEqual(
      encodeFrame({ type: "keys", rid: 2, names: [], publicKeys: [bytes(), bytes(5)], retiredKeys: [] }),
      concat([2, 69], [0, 0, 0, 2], [0, 0, 0, 0], [0, 0, 0, 2], [0, 0, 0, 0], [0, 0, 0, 1, 5], [0, 0, 0, 0]),
    );
    assert.deepEqual(encodeFrame({ type: "presence", name: "a", online: true }), concat([2, 75], wireStr("a"), [1]));
    assert.deepEqual(encodeFrame({ type: "presence", name: "a", online: false }), concat([2, 75], wireStr("a"), [0]));
  });

  it("decodes a frame that sits at an offset inside a larger buffer", () => {
    const encoded = encodeFrame(samples.commit);
    const backing = concat([0xee, 0xee, 0xee], encoded, [0xee]);
    expectFrame(decodeFrame(backing.subarray(3, 3 + encoded.length)), samples.commit);
  });

  it("returns byte fields that do not alias the input buffer", () => {
    const encoded = encodeFrame(samples.send);
    const result = decodeFrame(encoded);
    encoded.fill(0);
    expectFrame(result, samples.send);
  });

  it("round-trips the u53 boundaries 0, 2^32-1, 2^32 and 2^53-1", () => {
    for (const seq of [0, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
      expectFrame(decodeFrame(encodeFrame({ type: "ack", seq })), { type: "ack", seq });
    }
  });

  it("round-trips a string that starts with U+FEFF", () => {
    const frame: Frame = { type: "error", rid: 1, code: "\uFEFFBAD_FRAME", message: "\uFEFF" };
    expectFrame(decodeFrame(encodeFrame(frame)), frame);
  });

  it("round-trips strings of 1- to 4-byte UTF-8 characters", () => {
    const frame: Frame = { type: "error", rid: 1, code: "a\u00e9\u20ac\u{1F600}", message: "\u{1F600}".repeat(300) };
    expectFrame(decodeFrame(encodeFrame(frame)), frame);
  });

  it("returns frames that later encodings do not overwrite (the writer reuses its scratch space)", () => {
    const first = encodeFrame(samples.send);
    const copy = Uint8Array.from(first);
    encodeFrame(samples.commit);
    assert.deepEqual(first, copy);
  });

  it("encodes a frame larger than the kept scratch space, and small frames after it", () => {
    const welcome: Frame = { ...samples.commit, welcome: new Uint8Array(300_000).fill(7) } as Frame;
    expectFrame(decodeFrame(encodeFrame(welcome)), welcome);
    expectFrame(decodeFrame(encodeFrame(samples.ack)), samples.ack);
  });

  it("starts the next frame afresh after one that could not be encoded", () => {
    const broken = { ...samples.send, message: undefined } as unknown as Frame;
    assert.throws(() => encodeFrame(broken));
    assert.throws(() => encodeFrame({ type: "no_such_type" } as unknown as Frame));
    assert.deepEqual(encodeFrame({ type: "ack", seq: 1 }), concat([2, 10], [0, 0, 0, 0, 0, 0, 0, 1]));
  });
});

describe("encodeFrame/decodeFrame: properties", () => {
  it("decode(encode(f)) deep-equals f for arbitrary valid frames", () => {
    fc.assert(
      fc.property(anyFrame, (frame) => {
        expectFrame(decodeFrame(encodeFrame(frame)), frame);
      }),
      { numRuns: ROUND_TRIP_RUNS },
    );
  });

  it("arbitrary bytes never throw and give a known error code or a well-formed frame", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 96 }), (input) => {
        assertSaneOutcome(input, decodeFrame(input));
      }),
      { numRuns: BYTE_RUNS },
    );
  });

  it("arbitrary bodies behind a valid header never throw and give BAD_FRAME or a well-formed frame", () => {
    const ids = frameTypes.map((type) => frameSchemas[type].id);
    fc.assert(
      fc.property(fc.constantFrom(...ids), fc.uint8Array({ maxLength: 96 }), (id, body) => {
        const input = concat([PROTOCOL_VERSION, id], body);
        const result = decodeFrame(input);
        assertSaneOutcome(input, result);
        if (result.kind === "error") assert.equal(result.code, "BAD_FRAME");
      }),
      { numRuns: BYTE_RUNS },
    );
  });

  it("mutated valid encodings (flip, set, truncate, append, insert, delete) never throw", () => {
    fc.assert(
      fc.property(anyFrame, fc.array(mutation, { minLength: 1, maxLength: 4 }), (frame, mutations) => {
        const input = mutations.reduce(applyMutation, encodeFrame(frame));
        assertSaneOutcome(input, decodeFrame(input));
      }),
      { numRuns: BYTE_RUNS },
    );
  });

  it("every proper prefix of a valid encoding is BAD_FRAME", () => {
    fc.assert(
      fc.property(anyFrame, fc.nat(), (frame, cut) => {
        const encoded = encodeFrame(frame);
        expectError(decodeFrame(encoded.subarray(0, cut % encoded.length)), "BAD_FRAME", frame.type);
      }),
      { numRuns: BYTE_RUNS },
    );
  });

  it("a valid encoding followed by any bytes is BAD_FRAME", () => {
    fc.assert(
      fc.property(anyFrame, fc.uint8Array({ minLength: 1, maxLength: 32 }), (frame, extra) => {
        expectError(decodeFrame(concat(encodeFrame(frame), extra)), "BAD_FRAME", frame.type);
      }),
      { numRuns: BYTE_RUNS },
    );
  });
});

describe("decodeFrame: specific malformed input", () => {
  it("rejects input shorter than the header as BAD_FRAME", () => {
    expectError(decodeFrame(new Uint8Array(0)), "BAD_FRAME");
    expectError(decodeFrame(bytes(PROTOCOL_VERSION)), "BAD_FRAME");
  });

  it("rejects every unknown type id as UNKNOWN_FRAME", () => {
    const known = new Set<number>(frameTypes.map((type) => frameSchemas[type].id));
    let unknown = 0;
    for (let id = 0; id <= 0xff; id++) {
      if (known.has(id)) continue;
      unknown++;
      expectError(decodeFrame(bytes(PROTOCOL_VERSION, id)), "UNKNOWN_FRAME", `id ${id}`);
      expectError(decodeFrame(concat([PROTOCOL_VERSION, id], u32be(7), [1, 2, 3])), "UNKNOWN_FRAME", `id ${id}`);
    }
    assert.equal(unknown, 256 - frameTypes.length);
  });

  it("rejects every other version byte as UNSUPPORTED_VERSION, even on an otherwise valid frame", () => {
    for (const type of frameTypes) {
      const encoded = encodeFrame(sampleOf(type));
      for (let version = 0; version <= 0xff; version++) {
        if (version === PROTOCOL_VERSION) continue;
        const changed = encoded.slice();
        changed[0] = version;
        expectError(decodeFrame(changed), "UNSUPPORTED_VERSION", `${type} v${version}`);
      }
    }
    expectError(decodeFrame(bytes(PROTOCOL_VERSION + 1, 0xff)), "UNSUPPORTED_VERSION", "unknown id too");
  });

  it("rejects every truncation of every sample as BAD_FRAME", () => {
    for (const type of frameTypes) {
      const encoded = encodeFrame(sampleOf(type));
      for (let length = 0; length < encoded.length; length++) {
        expectError(decodeFrame(encoded.subarray(0, length)), "BAD_FRAME", `${type} cut at ${length}`);
      }
    }
  });

  it("rejects trailing bytes after every sample as BAD_FRAME", () => {
    for (const type of frameTypes) {
      const encoded = encodeFrame(sampleOf(type));
      expectError(decodeFrame(concat(encoded, [0])), "BAD_FRAME", type);
      expectError(decodeFrame(concat(encoded, encoded)), "BAD_FRAME", type);
    }
  });

  it("rejects a length prefix that runs past the end as BAD_FRAME", () => {
    expectError(decodeFrame(concat(header("presence"), u32be(5), [0x61], [1])), "BAD_FRAME");
    expectError(decodeFrame(concat(header("send"), u32be(1), wireStr("#a"), u32be(MAX_U32), [1, 2])), "BAD_FRAME");
  });

  it("rejects invalid UTF-8 in a str field as BAD_FRAME", () => {
    const invalid: number[][] = [
      [0xff],
      [0x80],
      [0xc0, 0x80], // overlong NUL
      [0xe0, 0x80, 0xaf], // overlong '/'
      [0xed, 0xa0, 0x80], // UTF-16 surrogate
      [0xe2, 0x82], // truncated sequence
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      [0x61, 0xfe, 0x62],
    ];
    for (const sequence of invalid) {
      const field = [...u32be(sequence.length), ...sequence];
      const label = sequence.map((b) => b.toString(16)).join(" ");
      // a str field: presence.name (followed by a bool) and error.message (the last field)
      expectError(decodeFrame(concat(header("presence"), field, [1])), "BAD_FRAME", `presence ${label}`);
      expectError(decodeFrame(concat(header("error"), u32be(0), wireStr("X"), field)), "BAD_FRAME", `error ${label}`);
      // an item of a strs field
      expectError(
        decodeFrame(concat(header("lookup_keys"), u32be(0), u32be(2), wireStr("ok"), field)),
        "BAD_FRAME",
        `lookup_keys ${label}`,
      );
    }
    // ...whereas the same bytes are fine in a bytes field
    expectFrame(decodeFrame(concat(header("login"), u32be(9), u32be(1), [0xff])), {
      type: "login",
      rid: 9,
      signature: bytes(0xff),
    });
  });

  it("rejects a bool byte other than 0 or 1 as BAD_FRAME", () => {
    for (const value of [2, 0x7f, 0xff]) {
      expectError(decodeFrame(concat(header("presence"), wireStr("a"), [value])), "BAD_FRAME", `bool ${value}`);
    }
  });

  it("accepts lists of exactly 10000 items and rejects 10001 (complete items) as BAD_FRAME", () => {
    const emptyStrs = (count: number): number[] => [...u32be(count), ...new Array<number>(count * 4).fill(0)];
    const atLimit = decodeFrame(concat(header("lookup_keys"), u32be(1), emptyStrs(10_000)));
    assert.equal(atLimit.kind, "ok");
    if (atLimit.kind === "ok" && atLimit.frame.type === "lookup_keys") assert.equal(atLimit.frame.names.length, 10_000);
    expectError(decodeFrame(concat(header("lookup_keys"), u32be(1), emptyStrs(10_001))), "BAD_FRAME", "strs");
    expectError(
      decodeFrame(concat(header("upload_key_packages"), u32be(1), emptyStrs(10_001), u32be(0))),
      "BAD_FRAME",
      "bytesList",
    );
    expectError(decodeFrame(concat(header("lookup_keys"), u32be(1), u32be(MAX_U32))), "BAD_FRAME", "huge count");
  });

  it("rejects u53 values of 2^53 and above as BAD_FRAME", () => {
    const ack = (high: number, low: number): Uint8Array => concat(header("ack"), u32be(high), u32be(low));
    expectFrame(decodeFrame(ack(0x001f_ffff, MAX_U32)), { type: "ack", seq: Number.MAX_SAFE_INTEGER });
    expectError(decodeFrame(ack(0x0020_0000, 0)), "BAD_FRAME", "2^53");
    expectError(decodeFrame(ack(0x0020_0000, 1)), "BAD_FRAME", "2^53+1");
    expectError(decodeFrame(ack(MAX_U32, MAX_U32)), "BAD_FRAME", "2^64-1");
    // in a later field too: accepted.serverTs
    expectError(
      decodeFrame(concat(header("accepted"), u32be(1), u32be(0), u32be(1), u32be(0x8000_0000), u32be(0))),
      "BAD_FRAME",
      "accepted.serverTs",
    );
  });
});
