/**
 * Typing notices and read receipts (issue 17): ephemeral MLS messages the server passes to
 * those online and never stores. Receivers are real `secure-chat --json` processes; the senders
 * are library clients in this process (line and JSON modes send no typing notices of their own).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { shortId, type ChatClient, type ChatEvent } from "@secure-chat/client";
import type { GroupId, UserName } from "@secure-chat/protocol";
import {
  ChatProcess,
  inProcessClient,
  type JsonEvent,
  ServerProcess,
  tempDir,
  uniqueMarker,
  until,
} from "./harness.js";
import { serverMessages } from "./server-log.js";

const lobby = "#lobby" as GroupId;

describe("typing notices and read receipts", () => {
  let server: ServerProcess;
  let bob: ChatProcess;
  let carol: ChatProcess;
  let alice: ChatClient;
  let dave: ChatClient;
  const aliceSaw: ChatEvent[] = [];

  before(async () => {
    server = await ServerProcess.start({ args: ["--suite", "x25519"] });
    bob = await ChatProcess.start("bob", server.url, tempDir("bob"));
    carol = await ChatProcess.start("carol", server.url, tempDir("carol"), ["--no-typing", "--no-receipts"]);
    alice = inProcessClient("alice", server.url);
    alice.on((event) => aliceSaw.push(event));
    await alice.start();
    dave = inProcessClient("dave", server.url, { typing: false, receipts: false });
    await dave.start();
    await bob.waitFor("dave joined", (e) => e.type === "member" && e.name === "dave");
    await carol.waitFor("dave joined", (e) => e.type === "member" && e.name === "dave");
  });

  after(async () => {
    await alice?.close().catch(() => undefined);
    await dave?.close().catch(() => undefined);
    await Promise.all([bob?.kill(), carol?.kill()]);
    await server?.kill();
  });

  /** Every message the server stored, of every group. */
  const storedCount = (): number =>
    [lobby, "@alice@bob", "@alice@carol"].reduce((n, g) => n + serverMessages(server.dataDir, g).length, 0);

  it("bob sees alice typing; the server stores nothing of it; nobody sees a notice from one who turned them off", async () => {
    const before = storedCount();
    const [bobFrom, carolFrom] = [bob.events.length, carol.events.length];
    await alice.typing(lobby);
    await alice.typing(lobby); // within 3 s: not sent again
    await dave.typing(lobby); // dave turned typing off: nothing goes
    await bob.waitFor("alice typing", (e) => e.type === "typing" && e.from === "alice" && e.room === "#lobby", bobFrom);
    const fence = uniqueMarker("fence");
    await alice.send(lobby, fence);
    await bob.waitFor("fence", (e) => e.type === "message" && e.text === fence, bobFrom);
    await carol.waitFor("fence", (e) => e.type === "message" && e.text === fence, carolFrom);
    const typing = (client: ChatProcess, from: number) => client.events.slice(from).filter((e) => e.type === "typing");
    assert.deepEqual(
      typing(bob, bobFrom).map((e) => e.from),
      ["alice"],
      "one notice from alice, none from dave",
    );
    assert.deepEqual(typing(carol, carolFrom), [], "carol turned typing off: she sees none");
    assert.equal(storedCount(), before + 1, "only the fence was stored");
  });

  it("alice sees 'seen' once bob's client has shown her private message; not from carol, who turned receipts off", async () => {
    const toBob = uniqueMarker("to-bob");
    await alice.sendPrivate("bob" as UserName, toBob);
    const shown = await bob.waitFor("alice's private message", (e) => e.type === "message" && e.text === toBob);
    const seen = await until("alice told bob saw it", () =>
      aliceSaw.find((e) => e.type === "seen" && e.from === "bob"),
    );
    assert.deepEqual(seen, { type: "seen", groupId: "@alice@bob", from: "bob", id: shown.id });

    const toCarol = uniqueMarker("to-carol");
    await alice.sendPrivate("carol" as UserName, toCarol);
    await carol.waitFor("alice's private message", (e) => e.type === "message" && e.text === toCarol);
    const back = uniqueMarker("back");
    carol.send(`/msg alice ${back}`);
    await until("carol's answer", () => aliceSaw.find((e) => e.type === "message" && e.text === back));
    // Bob's client shows carol's answer too, were he there: receipts go only in private conversations.
    assert.ok(!aliceSaw.some((e) => e.type === "seen" && e.from === "carol"), "carol sent no receipt");
    const notices = aliceSaw.filter((e) => e.type === "seen");
    assert.equal(notices.length, 1, "one receipt, bob's");
  });

  it("in a room, /seen counts who was shown a message: bob's client tells, carol's (--no-receipts) does not", async () => {
    const before = storedCount();
    const [bobFrom, carolFrom] = [bob.events.length, carol.events.length];
    const text = uniqueMarker("room-message");
    const id = await alice.send(lobby, text);
    const shown = await bob.waitFor("alice's room message", (e) => e.type === "message" && e.text === text, bobFrom);
    assert.equal(shown.id, id);
    await carol.waitFor("alice's room message", (e) => e.type === "message" && e.text === text, carolFrom);
    // A room's receipts are spaced out (one per few seconds): poll the count until bob's arrives.
    let answer: Awaited<ReturnType<ChatClient["seenBy"]>> | undefined;
    const poll = setInterval(() => void alice.seenBy(lobby).then((a) => (answer = a)), 100);
    try {
      await until("bob's room receipt", () => (answer?.seenBy.includes("bob" as UserName) ? answer : undefined));
    } finally {
      clearInterval(poll);
    }
    assert.deepEqual(answer, { id, seenBy: ["bob"], others: 3 }, "bob of bob, carol and dave; her last message");
    assert.ok(!aliceSaw.some((e) => e.type === "seen" && e.groupId === lobby), "a room's receipt is no event");

    // Bob asks in his own terminal about alice's message: alice's client tells the room she saw it.
    await alice.seen(lobby, id);
    const seenByAlice = async (): Promise<JsonEvent> => {
      for (let tries = 0; ; tries++) {
        const reply = await bob.command(`/seen ${shortId(id)}`, "seen_by");
        if (reply.type !== "seen_by" || (reply.seenBy as string[]).includes("alice") || tries === 50) return reply;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const bobAnswer = await seenByAlice();
    assert.equal(bobAnswer.type, "seen_by", JSON.stringify(bobAnswer));
    assert.equal(bobAnswer.room, "#lobby");
    assert.equal(bobAnswer.id, id);
    assert.deepEqual(bobAnswer.seenBy, ["alice"], "alice's receipt reached bob; nobody with receipts off is counted");
    assert.equal(bobAnswer.others, 3);

    const refused = await carol.command("/seen", "seen_by");
    assert.equal(refused.type, "error", "carol turned receipts off: she is shown none");
    await assert.rejects(dave.seenBy(lobby), /receipts are off/);
    assert.equal(storedCount(), before + 1, "only alice's message was stored, no receipt");
  });
});
