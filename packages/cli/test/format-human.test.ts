import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { UserName } from "@secure-chat/protocol";
import { CONTINUATION, foldToWidth, formatHuman } from "../src/format-human.js";
import { displayWidth } from "../src/tui/text-width.js";

describe("foldToWidth (line mode on a terminal)", () => {
  it("leaves a line that fits alone", () => {
    assert.deepEqual(foldToWidth("[14:03] #lobby <alice> hi", 80), ["[14:03] #lobby <alice> hi"]);
  });

  it("never lets a message padded to the edge start a row of its own: a fake line is marked", () => {
    const fake = "[12:32] #lobby <ceo> wire 50k to the usual account today";
    const line = `[12:31] #lobby <mallory> ok${" ".repeat(80 - "[12:31] #lobby <mallory> ok".length)}${fake}`;
    const rows = foldToWidth(line, 80);
    assert.ok(rows.length >= 2);
    for (const row of rows) assert.ok(displayWidth(row) <= 80, `too wide: ${row}`);
    for (const row of rows.slice(1)) assert.ok(row.startsWith(CONTINUATION), `unmarked row: ${row}`);
    assert.ok(!rows.slice(1).some((row) => row.startsWith("[")), "no row after the first starts as a line does");
    assert.ok(rows.join(" ").includes("<ceo> wire 50k"), "nothing is lost");
  });

  it("marks every row of a long unbroken word too", () => {
    const rows = foldToWidth(`[14:03] #lobby <bob> ${"x".repeat(200)}`, 40);
    assert.ok(rows.length >= 5);
    for (const row of rows.slice(1)) assert.ok(row.startsWith(CONTINUATION));
    for (const row of rows) assert.ok(displayWidth(row) <= 40);
  });
});

describe("formatHuman", () => {
  it("/who: the side panel's marks with a legend, fingerprints in one column", () => {
    const member = (name: string, online: boolean) => ({ name: name as UserName, online, fingerprint: "c67d b9c0" });
    const lines = formatHuman(
      { type: "who", room: "#lobby", members: [member("al", true), member("bobby", false)], presenceKnown: true },
      0,
    ).map(strip);
    assert.deepEqual(lines, [
      "#lobby members (2; ● online, ○ offline):",
      "  ● al     c67d b9c0",
      "  ○ bobby  c67d b9c0",
    ]);
  });

  it("/who while offline: presence unknown, not what the server said before the outage", () => {
    const member = (name: string, online: boolean) => ({ name: name as UserName, online, fingerprint: "c67d b9c0" });
    const lines = formatHuman(
      { type: "who", room: "#lobby", members: [member("al", true), member("bobby", true)], presenceKnown: false },
      0,
    ).map(strip);
    assert.deepEqual(lines, [
      "#lobby members (2; ? presence unknown while offline):",
      "  ? al     c67d b9c0",
      "  ? bobby  c67d b9c0",
    ]);
  });

  it("says who invited you, and how to go there", () => {
    const by = "alice" as UserName;
    assert.deepEqual(formatHuman({ type: "room", room: "+secret", change: "joined", by }, 0).map(strip), [
      "* alice invited you to +secret (/join +secret to talk there)",
    ]);
    assert.deepEqual(formatHuman({ type: "room", room: "@alice", change: "joined", by }, 0).map(strip), [
      "* alice started a private conversation with you (/join @alice to talk there)",
    ]);
    assert.deepEqual(formatHuman({ type: "room", room: "#dev", change: "joined" }, 0).map(strip), [
      "* you joined #dev",
    ]);
  });

  it("/seen: how many of the others were shown the message, and who", () => {
    const id = "01" + "3fa9c2".padEnd(62, "0");
    const seenBy = ["bob", "carol"] as UserName[];
    assert.deepEqual(formatHuman({ type: "seen_by", room: "#lobby", id, seenBy, others: 4 }, 0).map(strip), [
      "#lobby * 3fa9c2 seen by 2 of 4: bob, carol",
    ]);
    assert.deepEqual(formatHuman({ type: "seen_by", room: "#lobby", id, seenBy: [], others: 4 }, 0).map(strip), [
      "#lobby * 3fa9c2 seen by 0 of 4",
    ]);
  });
});

function strip(line: string): string {
  return line.replace(/^\[\d\d:\d\d\] /, "");
}
