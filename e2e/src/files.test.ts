/**
 * Files (issue 17): `/send PATH` encrypts a file with a fresh key and uploads the ciphertext to
 * the server's blob store; `/save ID PATH` downloads, checks and decrypts it. Real processes on a
 * real server with a size limit and a per-user quota.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Lobby, tempDir, uniqueMarker, type ChatProcess, type JsonEvent } from "./harness.js";

const MB = 1_000_000;

describe("files: /send and /save", () => {
  let lobby: Lobby;
  let alice: ChatProcess;
  let bob: ChatProcess;
  let carol: ChatProcess;
  const folder = tempDir("files");
  const name = `${uniqueMarker("report")}.bin`;
  const content = randomBytes(20 * MB);
  let sent: JsonEvent;

  before(async () => {
    lobby = await Lobby.start(["alice", "bob", "carol"], {
      args: ["--suite", "x25519", "--max-blob-bytes", String(25 * MB), "--blob-quota-bytes", String(30 * MB)],
    });
    [alice, bob, carol] = [lobby.get("alice"), lobby.get("bob"), lobby.get("carol")];
    await bob.waitFor("carol joined", (e) => e.type === "member" && e.name === "carol");
    writeFileSync(join(folder, name), content);
  });

  after(() => lobby.stop());

  const fileMessage = (client: ChatProcess, fileName: string) =>
    client.waitFor(
      `${fileName}`,
      (e) => e.type === "message" && (e.file as { name?: string } | undefined)?.name === fileName,
    );
  const short = (id: unknown): string => String(id).slice(2, 8);

  it("a 20 MB file sent to a room arrives byte-identical at two receivers", async () => {
    alice.send(`/send ${join(folder, name)}`);
    sent = await fileMessage(alice, name);
    assert.deepEqual(sent.file, { name, size: content.length, type: "application/octet-stream" });
    await Promise.all([fileMessage(bob, name), fileMessage(carol, name)]);
    const bobPath = join(tempDir("bob-saves"), "saved.bin");
    const saved = await bob.command(`/save ${short(sent.id)} ${bobPath}`, "info");
    assert.match(String(saved.message), /^saved .* checked\) to /, JSON.stringify(saved));
    assert.ok(readFileSync(bobPath).equals(content), "bob's copy is the file");
    const carolFolder = tempDir("carol-saves");
    const intoFolder = await carol.command(`/save ${short(sent.id)} ${carolFolder}`, "info");
    assert.equal(intoFolder.type, "info", JSON.stringify(intoFolder));
    assert.ok(readFileSync(join(carolFolder, name)).equals(content), "carol's copy, under its own name");
    const again = await carol.command(`/save ${short(sent.id)} ${carolFolder}`, "error");
    assert.match(String(again.message), /exists/, "an existing file is never overwritten");
  });

  it("a tampered blob is refused with a clear error", async () => {
    const blobs = join(lobby.server.dataDir, "blobs");
    const [blob] = readdirSync(blobs)
      .filter((file) => !file.endsWith(".json"))
      .sort((a, b) => statSync(join(blobs, b)).size - statSync(join(blobs, a)).size);
    assert.ok(blob !== undefined, "the server keeps the ciphertext");
    const bytes = readFileSync(join(blobs, blob));
    const middle = bytes.length >> 1;
    bytes[middle] = (bytes[middle] ?? 0) ^ 1;
    writeFileSync(join(blobs, blob), bytes);
    const refused = await bob.command(`/save ${short(sent.id)} ${join(tempDir("bob-again"), "x.bin")}`, "error");
    assert.equal(refused.code, "FILE_CORRUPT", JSON.stringify(refused));
    assert.match(String(refused.message), /not the file that was sent/);
  });

  it("a file over the size limit, and one over the quota, are refused with stable codes", async () => {
    const big = join(folder, "big.bin");
    writeFileSync(big, randomBytes(26 * MB));
    // bob has stored nothing: only the size limit stands in his way.
    assert.equal((await bob.command(`/send ${big}`, "error")).code, "BLOB_TOO_LARGE");
    const more = join(folder, "more.bin");
    writeFileSync(more, randomBytes(15 * MB)); // 20 + 15 MB: over alice's 30 MB
    assert.equal((await alice.command(`/send ${more}`, "error")).code, "QUOTA_EXCEEDED");
    const small = join(folder, "small.txt");
    writeFileSync(small, "a small file");
    alice.send(`/send ${small}`);
    await fileMessage(bob, "small.txt"); // refused uploads took nothing of the quota with them
  });

  it("the server's files hold neither the file's name nor its bytes", async () => {
    await lobby.server.kill("SIGTERM");
    const written = lobby.server.everythingWritten();
    assert.ok(!written.includes(Buffer.from(name)), "the file name is not on the server");
    for (const at of [0, 5 * MB, content.length - 64]) {
      assert.ok(!written.includes(content.subarray(at, at + 64)), `the file's bytes at ${at} are not on the server`);
    }
  });
});
