import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FrameOf, GroupId, UserName } from "@secure-chat/protocol";
import { decodeContent, encodeContent, type MessageContent } from "../src/content/content.js";
import type { GroupEngine } from "../src/engine/group-engine.js";
import type { ChatEvent } from "../src/events.js";
import type { RpcConnection } from "../src/link/rpc.js";
import { SerialQueue } from "../src/serial-queue.js";
import type { ClientStore } from "../src/store/store.js";
import { EphemeralNotices, ROOM_SEEN_INTERVAL_MS, type NoticeSettings } from "../src/sync/ephemeral-notices.js";
import { FakeTimers, flush } from "./fake-timers.js";

const lobby = "#lobby" as GroupId;
const direct = "@alice@bob" as GroupId;
const alice = "alice" as UserName;
const messageId = (text: string): string => encodeContent("bob" as UserName, lobby, 0, { kind: "text", text }).id;

/**
 * EphemeralNotices over a stand-in engine that "encrypts" to the plaintext itself, so what went
 * out can be read back; the frames it sends are recorded. `incoming` is what the next pushed
 * frame opens to.
 */
function setup(settings: NoticeSettings = { typing: true, receipts: true }) {
  const timers = new FakeTimers();
  const sent: { groupId: string; body: MessageContent["body"] }[] = [];
  const events: ChatEvent[] = [];
  let incoming: { from: UserName; content: MessageContent } | undefined;
  const engine = {
    encrypt: async (_groupId: GroupId, plaintext: Uint8Array) => ({ ciphertext: plaintext, changes: {} }),
    openEphemeral: async () => incoming,
  } as unknown as GroupEngine;
  const connection = {
    request: async (frame: FrameOf<"send_ephemeral">) => {
      const groupId = frame.groupId as GroupId;
      sent.push({ groupId, body: decodeContent(frame.message, alice, groupId)?.body ?? { kind: "typing" } });
      return { type: "ok" };
    },
  } as unknown as RpcConnection;
  const notices = new EphemeralNotices({
    self: alice,
    engine,
    store: { apply: async () => undefined } as unknown as ClientStore,
    queue: new SerialQueue(),
    settings,
    now: () => timers.now,
    timers,
    isLive: () => true,
    connection: () => connection,
    emit: (event) => events.push(event),
  });
  const push = async (groupId: GroupId, from: string, body: MessageContent["body"]): Promise<void> => {
    incoming = { from: from as UserName, content: { id: messageId("x"), sentAt: 0, body } };
    notices.receive({ type: "ephemeral", groupId, sender: from, message: new Uint8Array(1) } as FrameOf<"ephemeral">);
    await flush();
  };
  return { notices, timers, sent, events, push };
}

describe("EphemeralNotices: read receipts", () => {
  it("tells a room at most once per ROOM_SEEN_INTERVAL_MS, then the newest message held back; a private conversation each time", async () => {
    const { notices, timers, sent } = setup();
    const [first, second, third] = [messageId("1"), messageId("2"), messageId("3")];
    await notices.seen(lobby, first);
    await timers.advance(1_000);
    await notices.seen(lobby, second);
    await timers.advance(1_000);
    await notices.seen(lobby, third);
    assert.deepEqual(sent, [{ groupId: lobby, body: { kind: "seen", target: first } }], "the next two are held");
    await timers.advance(ROOM_SEEN_INTERVAL_MS - 2_000 - 1);
    assert.equal(sent.length, 1, "not before the interval is over");
    await timers.advance(1);
    await flush();
    assert.deepEqual(sent.at(-1), { groupId: lobby, body: { kind: "seen", target: third } }, "only the newest");
    assert.equal(sent.length, 2);
    await timers.advance(10 * ROOM_SEEN_INTERVAL_MS);
    assert.equal(sent.length, 2, "nothing more once it went");

    await notices.seen(direct, first);
    await notices.seen(direct, second);
    assert.deepEqual(
      sent.slice(2).map((s) => s.body),
      [
        { kind: "seen", target: first },
        { kind: "seen", target: second },
      ],
      "a private conversation hears each at once",
    );
  });

  it("sends no held receipt after close, and leaves no timer behind", async () => {
    const { notices, timers, sent } = setup();
    await notices.seen(lobby, messageId("1"));
    await notices.seen(lobby, messageId("2"));
    notices.close();
    assert.equal(await timers.next(), false, "no timer pending");
    await flush();
    assert.equal(sent.length, 1, "only the first went");
  });

  it("keeps a room's receipts for /seen without an event, a private one as `seen`; none of our own devices' nor with receipts off", async () => {
    const { notices, events, push } = setup();
    const target = messageId("hello");
    await push(lobby, "bob", { kind: "seen", target });
    await push(lobby, "carol.2", { kind: "seen", target });
    await push(lobby, "alice.2", { kind: "seen", target });
    assert.deepEqual(
      [...notices.receiptsOf(lobby)],
      [
        ["bob", target],
        ["carol", target],
      ],
    );
    assert.deepEqual(events, [], "a room's receipt is counted on request, not shown");
    await push(direct, "bob", { kind: "seen", target });
    assert.deepEqual(events, [{ type: "seen", groupId: direct, from: "bob", id: target }]);

    const off = setup({ typing: true, receipts: false });
    await off.notices.seen(lobby, target);
    await off.notices.seen(direct, target);
    await off.push(lobby, "bob", { kind: "seen", target });
    assert.deepEqual(off.sent, [], "none sent");
    assert.equal(off.notices.receiptsOf(lobby).size, 0, "none kept");
  });
});
