import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { commandNames, completionsAt, candidateText, type CompletionContext } from "../src/tui/completion.js";

const context: CompletionContext = {
  rooms: ["#lobby", "#dev", "+team", "@bob"],
  serverRooms: ["#lobby", "#dev", "#design"],
  members: ["bob", "bella", "alice"],
  names: ["carol", "bob"],
  self: "alice",
};

function complete(text: string) {
  return completionsAt(text, text.length, context);
}

describe("tui tab completion", () => {
  it("knows every line-mode command", () => {
    for (const command of ["/join", "/rooms", "/msg", "/who", "/invite", "/kick", "/leave", "/history"]) {
      assert.ok(commandNames.includes(command), command);
    }
    assert.ok(
      commandNames.includes("/fingerprint") && commandNames.includes("/quit") && commandNames.includes("/exit"),
    );
  });

  it("completes commands at the start of the line", () => {
    assert.deepEqual(complete("/jo")?.candidates, ["/join"]);
    assert.deepEqual(complete("/h")?.candidates, ["/help", "/history"]);
  });

  it("completes names of the shown room first, never yourself, with ': ' at the start of a message", () => {
    const c = complete("b");
    assert.deepEqual(c?.candidates, ["bob", "bella"]);
    assert.equal(c?.suffix, ": ");
    assert.equal(complete("a"), undefined, "you are not offered");
    assert.deepEqual(complete("hi c")?.candidates, ["carol"]);
    assert.equal(complete("hi c")?.suffix, " ");
  });

  it("completes rooms after # and +, and people after @", () => {
    assert.deepEqual(complete("see #d")?.candidates, ["#dev", "#design"], "yours first, then the server's");
    assert.deepEqual(complete("+t")?.candidates, ["+team"]);
    assert.deepEqual(complete("@c")?.candidates, ["@carol"]);
  });

  it("completes the argument of /join and /msg, even from nothing", () => {
    assert.deepEqual(complete("/join ")?.candidates, [
      "#lobby",
      "#dev",
      "+team",
      "#design",
      "@bob",
      "@bella",
      "@carol",
    ]);
    assert.deepEqual(complete("/msg ")?.candidates, ["bob", "bella", "carol"]);
    assert.equal(complete("/msg b")?.suffix, " ");
    assert.equal(complete("hello "), undefined, "no completion of an empty word in a message");
  });

  it("completes the room of /say, then names in its text", () => {
    assert.deepEqual(complete("/say ")?.candidates, ["#lobby", "#dev", "+team", "#design", "@bob", "@bella", "@carol"]);
    assert.deepEqual(complete("/say #dev b")?.candidates, ["bob", "bella"]);
    assert.equal(complete("/say #dev "), undefined);
  });

  it("cycles through candidates", () => {
    const c = complete("b");
    assert.ok(c !== undefined);
    assert.equal(candidateText(c, 0), "bob: ");
    assert.equal(candidateText(c, 1), "bella: ");
    assert.equal(candidateText(c, 2), "bob: ");
    assert.equal(candidateText(c, -1), "bella: ");
  });
});
