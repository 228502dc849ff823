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
