/**
 * Two real server nodes on one PostgreSQL and one NATS: clients on different nodes are in one
 * chat (rooms, private messages, presence, offline delivery), and when a node is killed (-9)
 * its clients reconnect through haproxy to the other one, losing and repeating nothing.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { skipUnlessCi } from "@secure-chat/server/testing";
import { Cluster, clusterMissing } from "./cluster.js";
import { ChatProcess, tempDir, uniqueMarker, type JsonEvent } from "./harness.js";

const skip = skipUnlessCi(clusterMissing(true));

/** The texts of a client's messages in `room`, in the order shown. */
function texts(client: ChatProcess, room: string): string[] {
  return client.messages(room).map((event) => String(event.text));
}

async function waitForText(client: ChatProcess, text: string, from = 0): Promise<JsonEvent> {
  return client.waitFor(`message ${text}`, (e) => e.type === "message" && e.text === text, from);
}

describe("several nodes on one PostgreSQL and one NATS", { skip, timeout: 240_000 }, () => {
  let cluster: Cluster;
  const clients: ChatProcess[] = [];
  const start = async (name: string, url: string, home = tempDir(name)): Promise<ChatProcess> => {
    const client = await ChatProcess.start(name, url, home);
    clients.push(client);
    return client;
  };

  before(async () => {
    cluster = await Cluster.start(["a", "b"]);
  });

  after(async () => {
    await Promise.all(clients.map((client) => client.kill()));
    await cluster?.stop();
  });

  it("clients on different nodes share rooms, private messages, presence and offline delivery", async () => {
    const a = cluster.node("a").url;
    const b = cluster.node("b").url;
    const alice = await start("alice", a);
    const bob = await start("bob", b);
    await alice.waitFor("bob joined", (e) => e.type === "member" && e.name === "bob");
    const carol = await start("carol", a);
    await bob.waitFor("carol joined", (e) => e.type === "member" && e.name === "carol");

    // Everyone sends, from both nodes at once: every member shows every message once, in one order.
    const sent: string[] = [];
    for (let round = 0; round < 5; round++) {
      for (const [client, name] of [
        [alice, "alice"],
        [bob, "bob"],
        [carol, "carol"],
      ] as const) {
        const text = uniqueMarker(`${name}-${round}`);
        sent.push(text);
        client.send(text);
      }
    }
    for (const client of [alice, bob, carol]) await client.waitForMessages(sent.length, "#lobby");
    const order = texts(alice, "#lobby");
    assert.deepEqual([...order].sort(), [...sent].sort(), "every message once");
    assert.deepEqual(texts(bob, "#lobby"), order, "bob (node b) in alice's order");
    assert.deepEqual(texts(carol, "#lobby"), order, "carol in alice's order");

    // Presence across nodes.
    const who = await alice.command("/who", "who");
    assert.deepEqual(
      (who.members as { name: string; online: boolean }[]).map((m) => [m.name, m.online]),
      [
        ["alice", true],
        ["bob", true],
        ["carol", true],
      ],
    );
    const online = await bob.command("/who *", "online");
    assert.deepEqual(online.names, ["alice", "bob", "carol"], "/who * on node b lists node a's users");

    // A private conversation from node a to node b.
    const secret = uniqueMarker("psst");
    alice.send(`/msg bob ${secret}`);
    const received = await waitForText(bob, secret);
    assert.equal(received.from, "alice");

    // Offline delivery: bob leaves node b; what is sent meanwhile reaches him on node a.
    const fromAlice = alice.events.length;
    assert.equal(await bob.quit(), 0);
    await alice.waitFor("bob offline", (e) => e.type === "presence" && e.name === "bob" && !e.online, fromAlice);
    const whileAway = uniqueMarker("while-away");
    carol.send(whileAway);
    await waitForText(alice, whileAway);
    const bobAgain = await start("bob", a, bob.home);
    await waitForText(bobAgain, whileAway);
  });

  it("two clients joining at once through different nodes (rival external commits): both end in the room, nobody forks", async () => {
    const alice = clients.find((client) => client.name === "alice");
    assert.ok(alice !== undefined);
    const from = alice.events.length;
    // Both join #lobby by external commit at once, each through its own node.
    const [frank, grace] = await Promise.all([
      start("frank", cluster.node("a").url),
      start("grace", cluster.node("b").url),
    ]);
    for (const name of ["frank", "grace"]) {
      await alice.waitFor(`${name} joined`, (e) => e.type === "member" && e.name === name, from);
    }
    // Everyone can read what each sends afterwards: all are in one epoch with the same keys.
    const fromFrank = uniqueMarker("frank");
    const fromGrace = uniqueMarker("grace");
    frank.send(fromFrank);
    grace.send(fromGrace);
    for (const client of [alice, frank, grace]) {
      await waitForText(client, client === frank ? fromGrace : fromFrank);
    }
    await waitForText(alice, fromGrace);
  });

  it("kill -9 of a node: its clients reconnect through haproxy to the other; nothing acknowledged is lost or shown twice", async () => {
    const entry = await cluster.startBalancer();
    const dave = await start("dave", entry);
    const erin = await start("erin", entry);
    await dave.waitFor("erin joined", (e) => e.type === "member" && e.name === "erin");
    const sentBy = new Map<ChatProcess, string[]>([
      [dave, []],
      [erin, []],
    ]);
    const sendSome = (count: number, label: string) => {
      for (const [client, list] of sentBy) {
        for (let i = 0; i < count; i++) {
          const text = uniqueMarker(`${client.name}-${label}-${i}`);
          list.push(text);
          client.send(text);
        }
      }
    };
    sendSome(5, "before");
    for (const client of sentBy.keys()) await client.waitForMessages(10, "#lobby");

    // Kill dave's node under traffic, then keep sending; every client ends up on the other one.
    const davesNode = [...cluster.nodes].find(([, node]) => node.stderr.includes('"event":"login","name":"dave"'));
    assert.ok(davesNode !== undefined, "dave logged in on a node");
    sendSome(5, "during");
    await davesNode[1].kill("SIGKILL");
    sendSome(5, "after");
    const all = [...sentBy.values()].flat();
    for (const client of sentBy.keys()) {
      await client.waitFor(
        "every message",
        () => all.every((text) => client.messages("#lobby").some((e) => e.text === text)),
        0,
        90_000,
      );
      const shown = texts(client, "#lobby").filter((text) => all.includes(text));
      assert.equal(shown.length, new Set(shown).size, `${client.name} shows no message twice`);
      assert.deepEqual([...shown].sort(), [...all].sort(), `${client.name} shows every message`);
    }
    assert.deepEqual(
      texts(erin, "#lobby").filter((t) => all.includes(t)),
      texts(dave, "#lobby").filter((t) => all.includes(t)),
      "one order",
    );
  });
  it("PostgreSQL stopped for 5 s under traffic: STORAGE_UNAVAILABLE meanwhile, then everything goes out, nothing lost", async () => {
    const dave = clients.find((client) => client.name === "dave" && client.exitCode === undefined);
    const erin = clients.find((client) => client.name === "erin" && client.exitCode === undefined);
    assert.ok(dave !== undefined && erin !== undefined);
    const from = dave.events.length;
    await cluster.postgres.stopServer();
    const typed = Array.from({ length: 5 }, (_, i) => uniqueMarker(`typed-while-down-${i}`));
    for (const text of typed) dave.send(text);
    const told = await dave.waitFor("told the database is away", (e) => e.type === "error", from);
    assert.equal(told.code, "STORAGE_UNAVAILABLE", JSON.stringify(told));
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    await cluster.postgres.restart();
    for (const text of typed) await waitForText(erin, text);
    const shown = texts(erin, "#lobby").filter((text) => typed.includes(text));
    assert.deepEqual(shown, typed, "each once, in the order typed");
  });
});
