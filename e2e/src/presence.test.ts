import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Lobby, type ChatProcess } from "./harness.js";

describe("presence", () => {
  let lobby: Lobby;
  let alice: ChatProcess;
  let bob: ChatProcess;
  let carol: ChatProcess | undefined;

  before(async () => {
    lobby = await Lobby.start(["alice", "bob"]);
    alice = lobby.get("alice");
    bob = lobby.get("bob");
  });

  after(() => lobby?.stop());

  it("/who lists the members with their online state; /who * lists the server", async () => {
    const who = await alice.command("/who", "who");
    assert.equal(who.room, "#lobby");
    const members = who.members as { name: string; online: boolean; fingerprint: string }[];
    assert.deepEqual(
      members.map((m) => [m.name, m.online]),
      [
        ["alice", true],
        ["bob", true],
      ],
    );
    assert.match(members[0]!.fingerprint, /^([0-9a-f]{4} ){9}[0-9a-f]{4}$/);
    const online = await alice.command("/who *", "online");
    assert.deepEqual(online.names, ["alice", "bob"]);
  });

  it("others see joins, online and offline", async () => {
    const from = alice.events.length;
    carol = await lobby.add("carol");
    await alice.waitFor("carol online", (e) => e.type === "presence" && e.name === "carol" && e.online === true, from);
    const joined = await bob.waitFor("carol joined #lobby", (e) => e.type === "member" && e.name === "carol");
    assert.equal(joined.room, "#lobby");
    assert.equal(joined.change, "joined");
    assert.match(String(joined.fingerprint), /^[0-9a-f ]+$/);

    assert.equal(await bob.quit(), 0);
    await alice.waitFor("bob offline", (e) => e.type === "presence" && e.name === "bob" && e.online === false);
    const who = await alice.command("/who", "who");
    const bobEntry = (who.members as { name: string; online: boolean }[]).find((m) => m.name === "bob");
    assert.equal(bobEntry?.online, false, "bob is still a member, shown offline");
  });

  it("a member who leaves is seen leaving", async () => {
    carol!.send("/leave");
    await carol!.waitFor("left", (e) => e.type === "room" && e.change === "left");
    const left = await alice.waitFor(
      "carol left",
      (e) => e.type === "member" && e.name === "carol" && e.change !== "joined",
    );
    assert.equal(left.change, "left");
  });
});
