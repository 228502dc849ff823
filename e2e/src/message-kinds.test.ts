/**
 * Replies, reactions, edits and deletes (issue 17) between real `secure-chat --json` processes
 * on a real server, and a hostile member (a library client in this process, driven through its
 * insides) who forges edits and deletes of others' messages, refers to messages nobody has and
 * sends kinds no client knows.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { encodeMimi, type ChatClient } from "@secure-chat/client";
import type { GroupId } from "@secure-chat/protocol";
import { attacker } from "./attacker.js";
import { inProcessClient, Lobby, uniqueMarker, until, type ChatProcess, type JsonEvent } from "./harness.js";
import { serverMessages } from "./server-log.js";

const lobbyRoom = "#lobby" as GroupId;
const short = (id: unknown): string => String(id).slice(2, 8);

/** What a client's history says of each message: the state every member must agree on. */
async function historyOf(client: ChatProcess): Promise<string[]> {
  const reply = await client.command("/history 50", "history");
  return (reply.messages as JsonEvent[]).map((m) =>
    JSON.stringify([m.id, m.from, m.text, m.replyTo, m.edited, m.deleted, m.reactions]),
  );
}

interface Insides {
  session: {
    parts: {
      outbox: { enqueue(groupId: GroupId, body: object): Promise<string> };
    };
  };
}

describe("message kinds: reply, react, edit, delete", () => {
  let lobby: Lobby;
  let alice: ChatProcess;
  let bob: ChatProcess;
  let carol: ChatProcess;
  let mallory: ChatClient;
  const everyone = (): ChatProcess[] => [alice, bob, carol];

  before(async () => {
    lobby = await Lobby.start(["alice", "bob", "carol"], { args: ["--suite", "x25519"] });
    [alice, bob, carol] = [lobby.get("alice"), lobby.get("bob"), lobby.get("carol")];
    await bob.waitFor("carol joined", (e) => e.type === "member" && e.name === "carol");
  });

  after(async () => {
    await mallory?.close().catch(() => undefined);
    await lobby.stop();
  });

  /** Waits until every client has an event matching `match` after index `from[i]`. */
  async function allSee(what: string, match: (e: JsonEvent) => boolean, from: number[]): Promise<JsonEvent[]> {
    return Promise.all(everyone().map((client, i) => client.waitFor(what, match, from[i])));
  }
  const marks = (): number[] => everyone().map((client) => client.events.length);

  it("every client ends with the same state of each message; only the sender edits or deletes", async () => {
    const original = uniqueMarker("original");
    let from = marks();
    alice.send(original);
    const [seen] = await allSee("alice's message", (e) => e.type === "message" && e.text === original, from);
    const id = String(seen?.id);
    assert.match(id, /^01[0-9a-f]{62}$/, "a MIMI message id");

    from = marks();
    const answer = uniqueMarker("answer");
    bob.send(`/reply ${short(id)} ${answer}`);
    const [reply] = await allSee("bob's reply", (e) => e.type === "message" && e.text === answer, from);
    assert.equal(reply?.replyTo, id);
    const replyId = String(reply?.id);

    from = marks();
    carol.send(`/react ${short(id)} 🦩`);
    bob.send(`/react ${short(id)} 🦩`);
    await allSee("carol's reaction", (e) => e.type === "reaction" && e.from === "carol" && e.id === id, from);
    await allSee("bob's reaction", (e) => e.type === "reaction" && e.from === "bob" && e.emoji === "🦩", from);
    from = marks();
    carol.send(`/react ${short(id)} 🦩`); // the same again takes it back
    const [taken] = await allSee(
      "carol's reaction taken back",
      (e) => e.type === "reaction" && e.from === "carol",
      from,
    );
    assert.equal(taken?.removed, true);

    from = marks();
    const edited = uniqueMarker("edited");
    alice.send(`/edit ${short(id)} ${edited}`);
    await allSee("alice's edit", (e) => e.type === "edit" && e.id === id && e.text === edited, from);

    const refused = await bob.command(`/edit ${short(id)} not bob's to change`, "error");
    assert.equal(refused.code, "NOT_YOUR_MESSAGE");
    assert.equal((await carol.command(`/delete ${short(id)}`, "error")).code, "NOT_YOUR_MESSAGE");
    assert.equal((await carol.command("/react 0000aa 👍", "error")).code, "NO_SUCH_MESSAGE");

    from = marks();
    bob.send(`/delete ${short(replyId)}`);
    await allSee("bob's delete", (e) => e.type === "delete" && e.id === replyId, from);
    assert.equal((await alice.command(`/reply ${short(replyId)} too late`, "error")).code, "BAD_ARGUMENT");

    const histories = await Promise.all(everyone().map(historyOf));
    assert.deepEqual(histories[1], histories[0], "bob's history is alice's");
    assert.deepEqual(histories[2], histories[0], "carol's history is alice's");
    const mine = (await alice.command("/history 50", "history")).messages as JsonEvent[];
    const edit = mine.find((m) => m.id === id);
    assert.equal(edit?.text, edited);
    assert.equal(edit?.edited, true);
    assert.deepEqual(edit?.reactions, [{ emoji: "🦩", from: ["bob"] }]);
    const tombstone = mine.find((m) => m.id === replyId);
    assert.deepEqual([tombstone?.text, tombstone?.deleted, tombstone?.replyTo], ["", true, id]);
  });

  it("a hostile member's forged edit or delete is refused; references to unknown messages and unknown kinds change nothing", async () => {
    const target = uniqueMarker("target");
    let from = marks();
    alice.send(target);
    const [seen] = await allSee("alice's target", (e) => e.type === "message" && e.text === target, from);
    const id = String(seen?.id);

    mallory = inProcessClient("mallory", lobby.server.url);
    await mallory.start();
    await alice.waitFor("mallory joined", (e) => e.type === "member" && e.name === "mallory");
    const { session } = mallory as unknown as Insides;
    const forged = uniqueMarker("forged");
    from = marks();
    await session.parts.outbox.enqueue(lobbyRoom, { kind: "edit", target: id, text: forged });
    await session.parts.outbox.enqueue(lobbyRoom, { kind: "delete", target: id });
    await allSee(
      "the forged delete refused",
      (e) => e.type === "error" && e.code === "NOT_YOUR_MESSAGE" && String(e.message).includes("delete"),
      from,
    );
    // A reaction to and an edit of a message nobody has: nothing lands anywhere else.
    const nowhere = `01${"5a".repeat(31)}`;
    await session.parts.outbox.enqueue(lobbyRoom, { kind: "reaction", target: nowhere, emoji: "🐙" });
    await session.parts.outbox.enqueue(lobbyRoom, { kind: "edit", target: nowhere, text: forged });
    // A kind no client knows (an attachment), sent as a newer client would.
    const { engine, request } = attacker(mallory);
    const attachment = encodeMimi({
      salt: crypto.getRandomValues(new Uint8Array(16)),
      replaces: null,
      topicId: new Uint8Array(0),
      expires: null,
      inReplyTo: null,
      extensions: new Map(),
      part: {
        disposition: 6,
        language: "",
        cardinality: "external",
        contentType: "video/mp4",
        url: "https://example.invalid/blob",
        expires: 0,
        size: 1,
        encAlg: 1,
        key: new Uint8Array(16),
        nonce: new Uint8Array(12),
        aad: new Uint8Array(0),
        hashAlg: 1,
        contentHash: new Uint8Array(32),
        description: "",
        filename: "clip.mp4",
      },
    });
    const sendRaw = async (plaintext: Uint8Array): Promise<void> => {
      // One encryption at a time: the outbox's own are done first (they share the ratchet).
      await until("mallory's outbox sent", () => (mallory.outboxEmpty ? true : undefined));
      const { ciphertext } = await (
        engine as unknown as { encrypt(g: GroupId, p: Uint8Array): Promise<{ ciphertext: Uint8Array }> }
      ).encrypt(lobbyRoom, plaintext);
      const sendId = crypto.getRandomValues(new Uint8Array(16));
      await request({ type: "send", rid: 0, groupId: lobbyRoom, sendId, message: ciphertext }, "accepted");
    };
    await sendRaw(attachment);
    // And a version 1 plaintext (JSON), as a client before MIMI content sent.
    const old = uniqueMarker("old-format");
    await sendRaw(new TextEncoder().encode(JSON.stringify({ v: 1, id: "0123abcd", sentAt: Date.now(), text: old })));
    const fence = uniqueMarker("fence");
    await mallory.send(lobbyRoom, fence);
    await allSee("mallory's fence", (e) => e.type === "message" && e.text === fence, from);

    for (const client of everyone()) {
      const after = client.events.slice(from[everyone().indexOf(client)]);
      const unsupported = after.filter((e) => e.type === "unsupported");
      assert.deepEqual(
        unsupported.map((e) => [e.from, e.what]),
        [["mallory", "an attachment (video/mp4)"]],
        `${client.name} told of the unknown kind: ${JSON.stringify(after)}`,
      );
      assert.ok(
        after.some((e) => e.type === "message" && e.text === old && e.id === "0123abcd"),
        `${client.name} read the version 1 message`,
      );
      assert.ok(!after.some((e) => e.type === "edit" || e.type === "delete" || e.type === "reaction"), client.name);
      assert.ok(!after.some((e) => JSON.stringify(e).includes(forged) && e.type !== "error"), client.name);
      assert.equal(client.exitCode, undefined, `${client.name} is still running`);
    }
    const histories = await Promise.all(everyone().map(historyOf));
    for (const history of histories) {
      const entry = history.map((h) => JSON.parse(h) as unknown[]).find((h) => h[0] === id);
      assert.deepEqual(entry?.slice(1, 6), ["alice", target, null, null, null], "alice's message is as she sent it");
    }
  });

  it("the server stores nothing readable, and a reaction is the size of a short message on the wire", async () => {
    const room = "#sizes";
    for (const client of [alice, bob]) await client.command(`/join ${room}`, "info");
    await alice.waitFor("bob in #sizes", (e) => e.type === "member" && e.room === room && e.name === "bob");
    const from = alice.events.length;
    alice.send("ok"); // both are in #sizes now
    const sent = await bob.waitFor("ok", (e) => e.type === "message" && e.room === room && e.text === "ok");
    bob.send("sure");
    await alice.waitFor("bob's text", (e) => e.type === "message" && e.text === "sure", from);
    bob.send(`/react ${short(sent.id)} 🫎`);
    await alice.waitFor("bob's reaction", (e) => e.type === "reaction" && e.emoji === "🫎", from);
    const stored = serverMessages(lobby.server.dataDir, room).filter((m) => m.kind === 0);
    assert.equal(stored.length, 3, "three application messages in #sizes");
    const sizes = stored.map((m) => m.payload.length);
    assert.equal(
      new Set(sizes).size,
      1,
      `the message, a text and a reaction differ in size on the wire: ${sizes.join(", ")}`,
    );

    await lobby.server.kill("SIGTERM");
    const written = lobby.server.everythingWritten();
    assert.ok(written.length > 10_000, "the server wrote suspiciously little; is the data dir right?");
    for (const marker of ["🦩", "🫎", "edited-", "answer-", "forged-"]) {
      assert.ok(!written.includes(Buffer.from(marker)), `the server wrote ${marker} in plaintext`);
    }
  });
});
