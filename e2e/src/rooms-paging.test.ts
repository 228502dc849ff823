/** `/rooms` comes a page at a time: one user's thousands of rooms can't make every listing huge. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Lobby } from "./harness.js";

describe("/rooms", () => {
  let lobby: Lobby;

  before(async () => {
    lobby = await Lobby.start(["alice"], { args: ["--suite", "x25519", "--groups-per-day", "500"] });
  });

  after(async () => {
    await lobby?.stop();
  });

  it("lists 100 rooms a page, with the next page's start, until the last", async () => {
    const alice = lobby.get("alice");
    const names = Array.from({ length: 120 }, (_, i) => `+r${String(i).padStart(3, "0")}`);
    for (const name of names) alice.send(`/join ${name}`);
    await alice.waitFor("the last room", (e) => e.type === "room" && e.room === names.at(-1) && e.change === "created");
    const first = await alice.command("/rooms", "rooms");
    const firstRooms = (first.rooms as { room: string }[]).map((r) => r.room);
    assert.equal(firstRooms.length, 100);
    assert.equal(firstRooms[0], "#lobby");
    assert.equal(first.next, firstRooms.at(-1));
    const second = await alice.command(`/rooms ${String(first.next)}`, "rooms");
    const secondRooms = (second.rooms as { room: string }[]).map((r) => r.room);
    assert.deepEqual([...firstRooms, ...secondRooms], ["#lobby", ...names]);
    assert.equal(second.next, undefined, "the last page says so");
  });
});
