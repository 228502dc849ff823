import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bindKey } from "../src/tui/key-bindings.js";
import { decodeToken, initialDecoder, splitInput, type DecoderState, type KeyEvent } from "../src/tui/keys.js";

function decodeAll(tokens: string[]): KeyEvent[] {
  let state: DecoderState = initialDecoder;
  const events: KeyEvent[] = [];
  for (const token of tokens) {
    const out = decodeToken(state, token);
    state = out.state;
    events.push(...out.events);
  }
  return events;
}

describe("tui keys", () => {
  it("splits raw input into text runs and escape sequences, keeping a cut-off sequence for the next read", () => {
    assert.deepEqual(splitInput("", "ab\x1b[Acd\x1b[1;3D\x1bx\x1b\x1b[B\x1bOP"), {
      tokens: ["ab", "\x1b[A", "cd", "\x1b[1;3D", "\x1bx", "\x1b\x1b[B", "\x1bOP"],
      pending: "",
    });
    assert.deepEqual(splitInput("", "hi\x1b[1;"), { tokens: ["hi"], pending: "\x1b[1;" });
    assert.deepEqual(splitInput("\x1b[1;", "5C!"), { tokens: ["\x1b[1;5C", "!"], pending: "" });
    assert.deepEqual(splitInput("", "\x1b"), { tokens: [], pending: "\x1b" });
    assert.deepEqual(splitInput("", "\x1b[200~a\nb\x1b[201~"), {
      tokens: ["\x1b[200~", "a\nb", "\x1b[201~"],
      pending: "",
    });
    assert.deepEqual(decodeAll(splitInput("", "\x1b[200~a\nb\n\x1b[201~x").tokens), [
      { type: "paste", text: "a\nb" },
      { type: "text", text: "x" },
    ]);
  });

  it("splits typed text from Enter, Backspace and Tab", () => {
    assert.deepEqual(decodeAll(["hello\r"]), [
      { type: "text", text: "hello" },
      { type: "key", name: "enter" },
    ]);
    assert.deepEqual(decodeAll(["ab\x7fc"]), [
      { type: "text", text: "ab" },
      { type: "key", name: "backspace" },
      { type: "text", text: "c" },
    ]);
    assert.deepEqual(decodeAll(["\t"]), [{ type: "key", name: "tab" }]);
  });

  it("tells Backspace from Delete", () => {
    assert.deepEqual(decodeAll(["\x7f"]), [{ type: "key", name: "backspace" }]);
    assert.deepEqual(decodeAll(["\x1b[3~"]), [{ type: "key", name: "delete" }]);
  });

  it("decodes Ctrl and Alt keys", () => {
    assert.deepEqual(decodeAll(["\x0e"]), [{ type: "key", name: "char", char: "n", ctrl: true }]);
    assert.deepEqual(decodeAll(["\x10"]), [{ type: "key", name: "char", char: "p", ctrl: true }]);
    assert.deepEqual(decodeAll(["\x1b1"]), [{ type: "key", name: "char", char: "1", alt: true }]);
    assert.deepEqual(decodeAll(["\x1b\x7f"]), [{ type: "key", name: "backspace", alt: true }]);
  });

  it("decodes arrows, paging, Home/End, F1 and modifiers", () => {
    assert.deepEqual(decodeAll(["\x1b[A", "\x1bOB", "\x1b[5~", "\x1b[6~", "\x1b[H", "\x1b[4~", "\x1bOP"]), [
      { type: "key", name: "up" },
      { type: "key", name: "down" },
      { type: "key", name: "pageup" },
      { type: "key", name: "pagedown" },
      { type: "key", name: "home" },
      { type: "key", name: "end" },
      { type: "key", name: "f1" },
    ]);
    assert.deepEqual(decodeAll(["\x1b[1;5C"]), [{ type: "key", name: "right", ctrl: true }]);
    assert.deepEqual(decodeAll(["\x1b[1;3D"]), [{ type: "key", name: "left", alt: true }]);
    assert.deepEqual(decodeAll(["\x1b\x1b[C"]), [{ type: "key", name: "right", alt: true }]);
    assert.deepEqual(decodeAll(["\x1b[Z"]), [{ type: "key", name: "backtab" }]);
  });

  it("turns a bracketed paste into one paste event, even across tokens and with line breaks", () => {
    assert.deepEqual(decodeAll(["\x1b[200~", "line one\rline two\r\nthree", "\x1b[201~", "x"]), [
      { type: "paste", text: "line one\nline two\nthree" },
      { type: "text", text: "x" },
    ]);
    assert.deepEqual(decodeAll(["\x1b[200~a\x1b[Ab\x1b[201~"]), [{ type: "paste", text: "a\x1b[Ab" }]);
    assert.deepEqual(decodeAll(["\x1b[200~one\r\ntwo\r\n\x1b[201~"]), [{ type: "paste", text: "one\ntwo" }]);
  });

  it("ignores unknown escape sequences", () => {
    assert.deepEqual(decodeAll(["\x1b[99~", "\x1b[?1;2c"]), []);
  });

  it("binds keys to what they do", () => {
    assert.deepEqual(bindKey({ type: "key", name: "char", char: "3", alt: true }, false), {
      kind: "room-number",
      index: 2,
    });
    assert.deepEqual(bindKey({ type: "key", name: "char", char: "0", alt: true }, false), {
      kind: "room-number",
      index: 9,
    });
    assert.deepEqual(bindKey({ type: "key", name: "char", char: "n", ctrl: true }, false), {
      kind: "room",
      to: "next",
    });
    assert.deepEqual(bindKey({ type: "key", name: "char", char: "p", ctrl: true }, false), {
      kind: "room",
      to: "prev",
    });
    assert.deepEqual(bindKey({ type: "key", name: "pageup" }, false), { kind: "scroll", to: "page-up" });
    assert.deepEqual(bindKey({ type: "key", name: "f1" }, false), { kind: "help", open: "toggle" });
    assert.deepEqual(bindKey({ type: "key", name: "escape" }, true), { kind: "help", open: false });
    // q as the decoder gives it: typed text.
    const [q] = decodeAll(["q"]);
    assert.ok(q !== undefined);
    assert.deepEqual(bindKey(q, true), { kind: "help", open: false });
    assert.deepEqual(bindKey(q, false), { kind: "insert", text: "q" });
    assert.deepEqual(bindKey({ type: "text", text: "quit" }, true), { kind: "insert", text: "quit" });
    assert.deepEqual(bindKey({ type: "paste", text: "a\nb" }, false), { kind: "insert", text: "a\nb" });
    assert.deepEqual(bindKey({ type: "key", name: "enter" }, false), { kind: "submit" });
    assert.deepEqual(bindKey({ type: "key", name: "char", char: "c", ctrl: true }, false), { kind: "quit" });
  });
});
