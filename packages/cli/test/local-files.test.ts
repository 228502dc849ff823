import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { localFiles, safeFileName } from "../src/local-files.js";

describe("local files for /send and /save", () => {
  it("makes a sender's file name a plain name in one folder", () => {
    assert.equal(safeFileName("report.pdf"), "report.pdf");
    assert.equal(safeFileName("../../.bashrc"), "bashrc");
    assert.equal(safeFileName("C:\\Users\\x\\evil.exe"), "evil.exe");
    assert.equal(safeFileName("a\u202eexe.txt\u0007"), "aexe.txt");
    assert.equal(safeFileName(".."), "file");
    assert.equal(safeFileName(""), "file");
  });

  it("saves into a folder under the safe name, never over an existing file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "local-files-"));
    try {
      const where = await localFiles.write(dir, "../x.txt", new Uint8Array([104, 105]));
      assert.equal(where, join(dir, "x.txt"));
      assert.equal(readFileSync(where, "utf8"), "hi");
      await assert.rejects(localFiles.write(dir, "x.txt", new Uint8Array([1])), /exists/);
      writeFileSync(join(dir, "in.bin"), "data");
      const read = await localFiles.read(join(dir, "in.bin"));
      assert.deepEqual([read.name, read.contentType, read.bytes.length], ["in.bin", "application/octet-stream", 4]);
      await assert.rejects(localFiles.read(join(dir, "absent")), { code: "BAD_ARGUMENT" });
      await assert.rejects(localFiles.read(dir), /is not a file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
