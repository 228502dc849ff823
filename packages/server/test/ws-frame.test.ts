import { test } from "node:test";
import assert from "node:assert/strict";
import { binaryFrame, joinFrames } from "../src/ws-frame.js";

/** RFC 6455 §5.2 read back: the payload of one unmasked binary frame that fills `framed`. */
function payloadOf(framed: Buffer): Buffer {
  assert.equal(framed[0], 0x82, "FIN + binary opcode");
  const size7 = framed[1]! & 0x7f;
  assert.equal(framed[1]! & 0x80, 0, "server frames are not masked");
  const [header, size] =
    size7 < 126
      ? [2, size7]
      : size7 === 126
        ? [4, framed.readUInt16BE(2)]
        : [10, framed.readUInt32BE(2) * 2 ** 32 + framed.readUInt32BE(6)];
  assert.equal(framed.length, header + size);
  return framed.subarray(header);
}

test("binaryFrame uses the shortest length field at each boundary", () => {
  for (const [size, header] of [
    [0, 2],
    [125, 2],
    [126, 4],
    [65_535, 4],
    [65_536, 10],
  ] as const) {
    const payload = new Uint8Array(size).map((_, i) => i % 251);
    const framed = binaryFrame(payload);
    assert.equal(framed.length - size, header, `header of a ${size}-byte payload`);
    assert.deepEqual(payloadOf(framed), Buffer.from(payload));
  }
});

test("binaryFrame frames the same payload once, and another of the same length anew", () => {
  const first = new Uint8Array([1, 2, 3]);
  assert.equal(binaryFrame(first), binaryFrame(first));
  const other = new Uint8Array([9, 9, 9]);
  assert.deepEqual(payloadOf(binaryFrame(other)), Buffer.from([9, 9, 9]));
});

test("joinFrames is the concatenation of the parts, whatever came before", () => {
  const a = binaryFrame(new Uint8Array([1]));
  const b = binaryFrame(new Uint8Array([2, 2]));
  const c = binaryFrame(new Uint8Array([3, 3, 3]));
  assert.equal(joinFrames([a]), a, "one part is written as it is");
  // The same parts again (a room's next socket) and then others of the same count and length.
  const queue = [a, b];
  assert.deepEqual(joinFrames(queue), Buffer.concat([a, b]));
  assert.equal(joinFrames([a, b]), joinFrames([a, b]), "the same frames are joined once");
  const sameLength = binaryFrame(new Uint8Array([7, 7]));
  assert.deepEqual(joinFrames([a, sameLength]), Buffer.concat([a, sameLength]));
  // A socket's queue array is reused after its flush: the memo must not see the new contents as old.
  joinFrames(queue);
  queue[1] = c;
  assert.deepEqual(joinFrames(queue), Buffer.concat([a, c]));
  assert.deepEqual(joinFrames([c, a, b]), Buffer.concat([c, a, b]));
});
