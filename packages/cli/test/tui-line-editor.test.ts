import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as ed from "../src/tui/line-editor.js";
import { inputWindow } from "../src/tui/input-view.js";

const typed = (text: string): ed.EditorState => ed.insert(ed.emptyEditor, text);

describe("tui line editor", () => {
  it("inserts at the cursor and moves by graphemes", () => {
    let s = typed("hllo");
    s = ed.home(s);
    s = ed.right(s);
    s = ed.insert(s, "e");
    assert.equal(s.text, "hello");
    assert.equal(s.cursor, 2);
  });

  it("deletes an emoji or an accented letter as one character", () => {
    assert.equal(ed.backspace(typed("ok👍🏽")).text, "ok");
    assert.equal(ed.backspace(typed("cafe\u0301")).text, "caf");
    const s = ed.deleteForward(ed.home(typed("🇫🇷x")));
    assert.equal(s.text, "x");
  });

  it("edits words and kills to either end", () => {
    assert.equal(ed.deleteWordBack(typed("hello big world")).text, "hello big ");
    const middle = ed.wordLeft(typed("hello big world"));
    assert.equal(middle.cursor, 10);
    assert.equal(ed.killToEnd(middle).text, "hello big ");
    assert.equal(ed.killToStart(middle).text, "world");
    assert.equal(ed.wordRight(ed.home(typed("ab cd"))).cursor, 2);
  });

  it("walks input history with Up/Down and keeps the draft", () => {
    let s = ed.emptyEditor;
    for (const line of ["one", "two", "two", "three"]) s = ed.submit(ed.insert(s, line)).state;
    assert.deepEqual(s.history, ["one", "two", "three"], "no repeats in a row");
    s = ed.insert(s, "draft");
    s = ed.historyPrev(s);
    assert.equal(s.text, "three");
    s = ed.historyPrev(ed.historyPrev(ed.historyPrev(s)));
    assert.equal(s.text, "one", "stops at the oldest");
    s = ed.historyNext(ed.historyNext(s));
    assert.equal(s.text, "three");
    s = ed.historyNext(s);
    assert.equal(s.text, "draft");
    assert.equal(s.historyIndex, undefined);
  });

  it("submits the line and empties the editor; blank lines stay out of the history", () => {
    const { state, line } = ed.submit(typed("hi"));
    assert.equal(line, "hi");
    assert.equal(state.text, "");
    assert.deepEqual(ed.submit(typed("  ")).state.history, []);
  });

  it("caps the input history", () => {
    let s = ed.emptyEditor;
    for (let i = 0; i < ed.MAX_INPUT_HISTORY + 10; i++) s = ed.submit(ed.insert(s, `line ${i}`)).state;
    assert.equal(s.history.length, ed.MAX_INPUT_HISTORY);
    assert.equal(s.history.at(-1), `line ${ed.MAX_INPUT_HISTORY + 9}`);
  });

  it("shows the part of a long line around the cursor, line breaks as ↵", () => {
    const long = "x".repeat(100);
    const end = inputWindow(long, 100, 20);
    assert.equal(end.cursorColumn, 19);
    assert.equal(end.text.length, 19);
    const start = inputWindow(long, 0, 20);
    assert.equal(start.cursorColumn, 0);
    assert.equal(start.text.length, 20);
    assert.deepEqual(inputWindow("a\nb", 3, 20), { text: "a↵b", cursorColumn: 3 });
    assert.equal(inputWindow("漢字漢字", 2, 20).cursorColumn, 4, "wide characters take two columns");
  });
});
