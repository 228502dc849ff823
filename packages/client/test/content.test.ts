import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeContent, encodeContent } from "../src/content.js";

describe("message content", () => {
  it("pads plaintexts to size buckets, so lengths within a bucket look the same", () => {
    const sizes = [0, 1, 10, 40, 100, 300, 900, 2000, 4000, 5000, 9000].map(
      (n) => encodeContent({ id: "abc", sentAt: 1, text: "x".repeat(n) }).length,
    );
    for (const size of sizes) {
      assert.ok([64, 128, 256, 512, 1024, 2048, 4096].includes(size) || size % 4096 === 0, `${size} is no bucket`);
    }
    assert.equal(sizes[0], sizes[2], "short texts share a bucket");
    assert.equal(encodeContent({ id: "abc", sentAt: 1, text: "x".repeat(5000) }).length, 8192);
  });

  it("round-trips, and rejects what is not our content", () => {
    const content = { id: "id-1", sentAt: 1_700_000_000_000, text: "héllo 👋" };
    assert.deepEqual(decodeContent(encodeContent(content)), content);
    assert.equal(decodeContent(new TextEncoder().encode("not json")), undefined);
    assert.equal(decodeContent(new TextEncoder().encode(JSON.stringify({ v: 2, ...content }))), undefined);
    assert.equal(
      decodeContent(new TextEncoder().encode(JSON.stringify({ v: 1, id: "", sentAt: 1, text: "" }))),
      undefined,
    );
  });
});
