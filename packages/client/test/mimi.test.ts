import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { decodeMimi, encodeMimi, Extension, mimiMessageId, type MimiContent } from "../src/content/mimi.js";

const folder = fileURLToPath(new URL("../../test/fixtures/mimi-content/", import.meta.url));
const example = (name: string): Uint8Array => new Uint8Array(readFileSync(`${folder}${name}.cbor`));
const hex = (bytes: Uint8Array | null): string => (bytes === null ? "null" : Buffer.from(bytes).toString("hex"));
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** The message ids the draft's .edn files give for each example. */
const draftIds: Record<string, string> = {
  attachment: "0176180c7d19a925021fe446d241134d05c38e0d999cdc0f39c391d2377ed9d1",
  conferencing: "01496d15a8dba28d7397f9868b70768e4a67f765d5b5b1ae9e03848c5fdeb0ba",
  delete: "011d9efc78d04d4dcf4d82b07d5199bbef37011c1f0c7e004b6111c6dda504b4",
  edit: "014028c0deddbdea56bec26172f6ede953d11024cb82b8192b5e2aea62d7fb47",
  expiring: "01e59db8173939facc2c8a4a0f0ae8d0c7a11a81239626630c9464a8d6717a03",
  mention: "018d825adf9f6be00dcafc5704c4102f5022e74219d0b603e4ba7622654042af",
  "mention-html": "01967ff8e9a66819738ad5cf26d2e0388a3b81d86b0f61d129c077d043ee2a4e",
  "multipart-1": "01da5a515ec5db42cc4dcc19b90c3c31245d8a1cfcce11318f24eb11dce0990e",
  "multipart-2": "01d65918c6c51c8e76546337276ae6f4bfd873d867d5cb57c76bcdca3d999dd7",
  "multipart-3": "01cfebeadbdb83c1eefb6403ba4852daf8bbbf9cd53bf5035a74d5d741950c9f",
  original: "017ce54837404c3696e0c747b985cb172716d0ed0a3d249ca63ace7d82a096f4",
  reaction: "0158c4288911e50a8f6be3f47746b6682f10fd91bc8c05557aa589a3157aff68",
  reply: "015354973c2b65ca937bf1e035ae53a5ab80e947afa43d46920d4202e5cc0b27",
  unlike: "013aadbb8f313253c8930f4e93c6ca54b2ed06d258185bdcec3870534c8a4ec4",
};
const ORIGINAL = draftIds.original ?? "";
const REPLY = draftIds.reply ?? "";

function decoded(name: string): MimiContent {
  const bytes = example(name);
  const { content, length } = decodeMimi(bytes);
  assert.equal(length, bytes.length);
  return content;
}

describe("MIMI content codec against the draft's examples", () => {
  it("has every example of the draft", () => {
    const files = readdirSync(folder).filter((file) => file.endsWith(".cbor"));
    assert.deepEqual(files.map((file) => file.slice(0, -5)).sort(), Object.keys(draftIds).sort());
  });

  for (const [name, id] of Object.entries(draftIds)) {
    it(`${name}: decode then encode gives the same bytes, and the draft's message id`, () => {
      const bytes = example(name);
      const content = decoded(name);
      assert.equal(hex(encodeMimi(content)), hex(bytes));
      const sender = content.extensions.get(Extension.senderUri) as string;
      const room = content.extensions.get(Extension.roomUri) as string;
      assert.equal(hex(mimiMessageId(sender, room, bytes, content.salt)), id);
    });
  }

  it("reads the fields of a message, a reply, a reaction, an edit, a delete and an attachment", () => {
    const original = decoded("original");
    assert.equal(hex(original.salt), "5eed9406c2545547ab6f09f20a18b003");
    assert.equal(original.replaces, null);
    assert.equal(original.inReplyTo, null);
    assert.equal(original.extensions.get(Extension.senderUri), "mimi://example.com/u/alice-smith");
    assert.equal(original.extensions.get(Extension.roomUri), "mimi://example.com/r/engineering_team");
    assert.equal(original.part.disposition, 1);
    assert.equal(original.part.cardinality, "single");
    if (original.part.cardinality === "single") {
      assert.equal(original.part.contentType, "text/markdown;variant=GFM-MIMI");
      assert.equal(text(original.part.content), "Hi everyone, we just shipped release 2.0. __Good  work__!");
    }

    assert.equal(hex(decoded("reply").inReplyTo), ORIGINAL);

    const reaction = decoded("reaction");
    assert.equal(hex(reaction.inReplyTo), ORIGINAL);
    assert.equal(reaction.part.disposition, 2);
    assert.ok(reaction.part.cardinality === "single" && text(reaction.part.content) === "❤");

    const edit = decoded("edit");
    assert.equal(hex(edit.replaces), REPLY);
    assert.ok(edit.part.cardinality === "single" && text(edit.part.content) === "Right on! _Congratulations_ y'all!");

    const deleted = decoded("delete");
    assert.equal(hex(deleted.replaces), REPLY);
    assert.equal(deleted.part.cardinality, "null");

    const unlike = decoded("unlike");
    assert.equal(hex(unlike.replaces), draftIds.reaction);
    assert.deepEqual([unlike.part.disposition, unlike.part.cardinality], [2, "null"]);

    assert.deepEqual(decoded("expiring").expires, { relative: false, time: 1644390004 });

    const attachment = decoded("attachment").part;
    assert.equal(attachment.cardinality, "external");
    if (attachment.cardinality === "external") {
      assert.equal(attachment.url, "https://example.com/storage/8ksB4bSrrRE.mp4");
      assert.equal(attachment.size, 708234961);
      assert.equal(attachment.encAlg, 1);
      assert.equal(hex(attachment.key), "21399320958a6f4c745dde670d95e0d8");
      assert.equal(hex(attachment.nonce), "c86cf2c33f21527d1dd76f5b");
      assert.equal(attachment.hashAlg, 1);
      assert.equal(hex(attachment.contentHash), "9ab17a8cf0890baaae7ee016c7312fcc080ba46498389458ee44f0276e783163");
      assert.equal(attachment.filename, "bigfile.mp4");
    }

    const multi = decoded("multipart-2").part;
    assert.ok(multi.cardinality === "multi" && multi.parts.length === 3 && multi.partSemantics === 2);
  });

  it("refuses what the CDDL does not allow, with a MimiFormatError", () => {
    const bytes = example("original");
    const refusals: [string, Uint8Array][] = [
      ["empty", new Uint8Array(0)],
      ["cut short", bytes.subarray(0, bytes.length - 5)],
      ["not an array", new Uint8Array([0xa0])],
      ["a non-shortest integer (strict)", Uint8Array.from([0x87, 0x18, 0x01])],
    ];
    const salt15 = Uint8Array.from(bytes);
    salt15[1] = 0x4f; // the salt's header says 15 bytes
    refusals.push(["a 15-byte salt", salt15]);
    for (const [what, input] of refusals) {
      assert.throws(() => decodeMimi(input), { name: "MimiFormatError" }, what);
    }
  });

  it("stops at the end of the item: what follows (padding) is not read", () => {
    const bytes = example("delete");
    const padded = new Uint8Array(256);
    padded.set(bytes);
    const { content, length } = decodeMimi(padded);
    assert.equal(length, bytes.length);
    assert.equal(content.part.cardinality, "null");
  });
});
