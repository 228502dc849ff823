import { test } from "node:test";
import assert from "node:assert/strict";
import { FrameSplitter } from "./raw-ws.js";
import { binaryFrame } from "@secure-chat/server";

/** Payload sizes at every header-size boundary (2, 4 and 10 header bytes). */
const SIZES = [0, 1, 125, 126, 300, 65_535, 65_536, 70_000];

function payload(size: number, seed: number): Buffer {
  return Buffer.from(new Uint8Array(size).map((_, i) => (i * 31 + seed) % 256));
}

/**
 * Feeds `stream` cut at `cuts` through a buffer that is overwritten after every push, as the
 * generator's shared read buffer is, and returns the payloads handed out (copied in the call).
 */
function split(stream: Buffer, cuts: number[]): Buffer[] {
  const got: Buffer[] = [];
  const splitter = new FrameSplitter((opcode, buf, start, end) => {
    assert.equal(opcode, 2);
    got.push(Buffer.from(buf.subarray(start, end)));
  });
  const reused = Buffer.alloc(stream.length);
  let from = 0;
  for (const to of [...cuts, stream.length]) {
    stream.copy(reused, 0, from, to);
    splitter.push(reused.subarray(0, to - from));
    reused.fill(0xee);
    from = to;
  }
  return got;
}

test("FrameSplitter hands out every frame whole however the stream is cut", () => {
  const payloads = SIZES.map((size, i) => payload(size, i));
  const stream = Buffer.concat(payloads.map((p) => Buffer.from(binaryFrame(p))));
  assert.deepEqual(split(stream, []), payloads, "one chunk");
  // Cuts inside every header and around every frame boundary, one cut at a time.
  const boundaries: number[] = [];
  let at = 0;
  for (const p of payloads) {
    for (let d = -2; d <= 11; d++) if (at + d > 0 && at + d < stream.length) boundaries.push(at + d);
    at += binaryFrame(p).length;
  }
  for (const cut of boundaries) assert.deepEqual(split(stream, [cut]), payloads, `cut at ${cut}`);
  // Byte by byte through the small frames, then random chunkings of the whole stream.
  const small = Buffer.concat(SIZES.slice(0, 5).map((size, i) => Buffer.from(binaryFrame(payload(size, i)))));
  const everyByte = Array.from({ length: small.length - 1 }, (_, i) => i + 1);
  assert.deepEqual(split(small, everyByte), payloads.slice(0, 5), "one byte per chunk");
  let seed = 7;
  const random = (n: number): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % n;
  };
  for (let run = 0; run < 50; run++) {
    const cuts: number[] = [];
    for (let c = random(40); c < stream.length; c += 1 + random(20_000)) if (c > 0) cuts.push(c);
    assert.deepEqual(split(stream, cuts), payloads, `random chunking ${run}`);
  }
});
