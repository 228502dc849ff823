import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bellEnabled, chooseMode } from "../src/chat-command.js";

describe("chat mode selection", () => {
  it("opens the full-screen UI only when stdin and stdout are terminals and no mode flag is given", () => {
    assert.equal(chooseMode({ json: false, plain: false, stdinTTY: true, stdoutTTY: true }), "tui");
    assert.equal(chooseMode({ json: false, plain: true, stdinTTY: true, stdoutTTY: true }), "line");
    assert.equal(chooseMode({ json: true, plain: false, stdinTTY: true, stdoutTTY: true }), "json");
    assert.equal(chooseMode({ json: false, plain: false, stdinTTY: false, stdoutTTY: true }), "line");
    assert.equal(chooseMode({ json: false, plain: false, stdinTTY: true, stdoutTTY: false }), "line");
    assert.equal(chooseMode({ json: true, plain: false, stdinTTY: false, stdoutTTY: false }), "json");
  });

  it("rings the bell unless --no-bell or SECURE_CHAT_BELL turns it off", () => {
    assert.equal(bellEnabled(false, {}), true);
    assert.equal(bellEnabled(true, {}), false);
    for (const off of ["0", "off", "false", "no", " OFF "])
      assert.equal(bellEnabled(false, { SECURE_CHAT_BELL: off }), false);
    assert.equal(bellEnabled(false, { SECURE_CHAT_BELL: "1" }), true);
  });
});
