import { test } from "node:test";
import assert from "node:assert/strict";
import { deliveryKinds, encodeFrame } from "@secure-chat/protocol";
import { ACCEPTED_SEQ_AT, DELIVER_SEQ_AT, deliveryKindAt, seqAt } from "./secure-chat-client.js";

// The generator reads deliveries and answers straight from their bytes, and its seq-order
// check (which the bench reports as a target) is only as good as those offsets: hold them to
// the protocol's own encoder, with a prefix as in a TCP chunk.
const prefix = Buffer.from([9, 9, 9]);
const at = (frame: Uint8Array): Buffer => Buffer.concat([prefix, frame]);

test("seqAt reads the seq of `deliver` and `accepted` frames, below and above 2^32", () => {
  for (const seq of [1, 2 ** 31 + 5, 2 ** 32, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER]) {
    const deliver = at(
      encodeFrame({
        type: "deliver",
        seq,
        serverTs: 1_700_000_000_000,
        groupId: "+room",
        sender: "alice",
        kind: deliveryKinds.message,
        payload: new Uint8Array([1, 2, 3]),
      }),
    );
    assert.equal(seqAt(deliver, prefix.length + DELIVER_SEQ_AT), seq);
    const accepted = at(encodeFrame({ type: "accepted", rid: 0xfffffffe, seq, serverTs: 1 }));
    assert.equal(seqAt(accepted, prefix.length + ACCEPTED_SEQ_AT), seq);
  }
});

test("deliveryKindAt finds the kind after rooms and senders of any length", () => {
  for (const [groupId, sender] of [
    ["+a", "b"],
    [`+${"r".repeat(60)}`, "s".repeat(32)],
  ] as const) {
    for (const kind of Object.values(deliveryKinds)) {
      const frame = encodeFrame({
        type: "deliver",
        seq: 7,
        serverTs: 2,
        groupId,
        sender,
        kind,
        payload: new Uint8Array(9),
      });
      assert.equal(deliveryKindAt(at(frame), prefix.length), kind);
    }
  }
});
