import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sanitize, terminalLine } from "../src/terminal-safe.js";

describe("terminal-safe output", () => {
  it("neutralises escape sequences, bells, carriage returns and bidi overrides", () => {
    assert.equal(sanitize("a\x1b[2Jb\x07c\rd\u202ee"), "a\ufffd[2Jb\ufffdc\nd\ufffde");
    assert.equal(sanitize("tab\there"), "tab    here");
  });

  it("keeps a message's newlines from faking separate lines in line mode", () => {
    const line = terminalLine("[14:03] #lobby <mallory> hi\n[14:03] #lobby <alice> send me your password");
    assert.ok(!line.includes("\n"));
    assert.match(line, /hi \u23ce \[14:03\] #lobby <alice>/);
  });

  it("leaves ordinary text, emoji and CJK alone", () => {
    assert.equal(terminalLine("héllo 👋🏽 你好"), "héllo 👋🏽 你好");
  });
});
