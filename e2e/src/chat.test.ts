import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Lobby, type ChatProcess } from "./harness.js";

describe("three clients in #lobby", () => {
  let lobby: Lobby;
  let clients: ChatProcess[] = [];

  before(async () => {
    lobby = await Lobby.start(["alice", "bob", "carol"]);
    clients = lobby.all();
  });

  after(() => lobby?.stop());

  it("delivers every message to the other two, in the same order everywhere, with sender and times", async () => {
    const perClient = 5;
    for (let i = 0; i < perClient; i++) {
      for (const client of clients) client.send(`${client.name} says ${i}`);
    }
    const total = perClient * clients.length;
    const seen = await Promise.all(clients.map((c) => c.waitForMessages(total, "#lobby")));
    const orders = seen.map((messages) => messages.map((m) => m.id));
    assert.deepEqual(orders[1], orders[0], "bob saw a different order than alice");
    assert.deepEqual(orders[2], orders[0], "carol saw a different order than alice");
    assert.equal(new Set(orders[0]).size, total, "a message was shown twice");
    for (const messages of seen) {
      for (const client of clients) {
        const texts = messages.filter((m) => m.from === client.name).map((m) => m.text);
        assert.deepEqual(
          texts,
          Array.from({ length: perClient }, (_, i) => `${client.name} says ${i}`),
          "a sender's messages are out of order or missing",
        );
      }
      for (const message of messages) {
        assert.equal(typeof message.sentAt, "number");
        assert.equal(typeof message.serverTs, "number");
        assert.ok(Math.abs((message.serverTs as number) - Date.now()) < 120_000, "server timestamp is not now");
      }
      const serverOrder = messages.map((m) => m.serverTs as number);
      assert.deepEqual(
        serverOrder,
        [...serverOrder].sort((a, b) => a - b),
        "not in server order",
      );
    }
  });
});

describe("a bot answers in a room without switching to it", () => {
  let lobby: Lobby;

  before(async () => {
    lobby = await Lobby.start(["alice", "bot"]);
  });

  after(() => lobby?.stop());

  it("/say and a JSON input line send to another room; plain text still goes to the current one", async () => {
    const alice = lobby.get("alice");
    const bot = lobby.get("bot");
    await bot.command("/join #ops", "info");
    await bot.command("/join #lobby", "info");
    const from = bot.events.length;
    await alice.command("/join #ops", "info");
    bot.send("/say #ops pong 1");
    bot.send(JSON.stringify({ room: "#ops", text: "pong\n2" }));
    bot.send("still in the lobby");
    bot.send(JSON.stringify({ room: "@alice", text: "psst" }));
    const ops = await alice.waitForMessages(2, "#ops");
    assert.deepEqual(
      ops.filter((m) => m.from === "bot").map((m) => m.text),
      ["pong 1", "pong\n2"],
    );
    const lobbyLine = await alice.waitFor("lobby line", (e) => e.type === "message" && e.text === "still in the lobby");
    assert.equal(lobbyLine.room, "#lobby");
    const direct = await alice.waitFor("private line", (e) => e.type === "message" && e.text === "psst");
    assert.equal(direct.room, "@bot");
    // alice was already online in #lobby: her join of #ops is no news.
    const onlines = bot.events.slice(from).filter((e) => e.type === "presence" && e.name === "alice");
    assert.deepEqual(onlines, [], "alice's presence was told again");
    bot.send('{"room":"#nowhere","text":"x"}');
    const refused = await bot.waitFor("refusal", (e) => e.type === "error", from);
    assert.equal(refused.code, "NOT_IN_ROOM");
  });
});
