import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { UserName } from "@secure-chat/protocol";
import type { Snapshot } from "../src/tui/controller.js";
import { frameOf, frameUpdate } from "../src/tui/frame.js";
import { emptyEditor, insert } from "../src/tui/line-editor.js";
import { displayWidth } from "../src/tui/text-width.js";
import { reduce, type TuiState } from "../src/tui/view-model.js";
import { ev, message, run, started } from "./tui-fixtures.js";

const snapshot = (state: TuiState, text = ""): Snapshot => ({
  view: state,
  editor: insert(emptyEditor, text),
  generation: 0,
});

/* eslint-disable no-control-regex -- the frame's styles and moves are escape sequences */
const plainText = (row: string): string => row.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");

/** The screen as a terminal shows it: the frame's rows without their styles. */
function screen(state: TuiState, text = ""): string[] {
  return frameOf(snapshot(state, text)).rows.map(plainText);
}

function busy(size = { cols: 120, rows: 40 }): TuiState {
  return run(
    [
      ev(message("#lobby", "bob", "hello alice, welcome 🔐 漢字")),
      ev(message("#lobby", "alice", "thanks bob")),
      ev(message("#dev", "bob", "build is green")),
      ev(message("#dev", "bob", "alice: can you review?")),
      ev({ type: "presence", name: "bob" as UserName, online: true }),
    ],
    started(size),
  );
}

describe("tui screen rendering", () => {
  it("draws rooms with unread counts, messages, members, status bar and input line", () => {
    const lines = screen(busy(), "typing…");
    assert.equal(lines.length, 39, "rows - 1 lines");
    const all = lines.join("\n");
    assert.match(lines[0] ?? "", /#lobby · open room · 2 members, 2 online/);
    assert.match(all, / 1 #lobby/);
    assert.match(all, / 2 #dev +2!/, "unread count with the mention mark");
    assert.match(all, / 3 @bob/);
    assert.match(all, /bob │ hello alice, welcome 🔐 漢字/);
    assert.match(all, /› +alice │ thanks bob/);
    assert.match(all, /Members \(2\)/);
    assert.match(all, /● bob/);
    assert.match(
      lines.at(-2) ?? "",
      /\[connected\] ws:\/\/127\.0\.0\.1:7447 \[alice aaaa bbbb\] \[#lobby: E2EE MLS X-Wing\] \[act: 2!\]/,
    );
    assert.match(lines.at(-1) ?? "", /^\[#lobby\] typing…/);
    for (const line of lines) assert.ok(displayWidth(line) <= 120, `too wide: ${line}`);
  });

  it("shows the new-messages separator and reads the room when switched to", () => {
    const s = reduce(busy(), { type: "select", room: "#dev" });
    const all = screen(s).join("\n");
    assert.match(all, /new messages/);
    assert.match(all, /can you review\?/);
    assert.doesNotMatch(all, / 2 #dev +2/);
  });

  it("fits a small terminal: side lists go away, lines still fit", () => {
    for (const [cols, rows] of [
      [80, 24],
      [50, 12],
    ] as const) {
      const s = reduce(busy(), { type: "resize", cols, rows });
      const lines = screen(s);
      assert.equal(lines.length, rows - 1);
      for (const line of lines) assert.ok(displayWidth(line) <= cols, `too wide at ${cols}: ${line}`);
      assert.match(lines.join("\n"), /thanks bob/);
    }
    const narrow = screen(reduce(busy(), { type: "resize", cols: 50, rows: 12 })).join("\n");
    assert.doesNotMatch(narrow, /Members/);
  });

  it("shows reconnecting in the status bar", () => {
    const s = run([ev({ type: "link", state: "offline", reason: "closed with code 1006" })], busy());
    assert.match(screen(s).at(-2) ?? "", /\[RECONNECTING…\]/);
  });

  it("draws the help overlay over the panes", () => {
    const all = screen(reduce(busy(), { type: "help", open: true })).join("\n");
    assert.match(all, /Help · Esc, F1 or q closes it/);
    assert.match(all, /Alt\+1\.\.9, Alt\+0/);
    assert.match(all, /\/join #room/);
  });

  it("makes every row exactly as wide as the terminal, styles included", () => {
    for (const row of screen(busy())) assert.equal(displayWidth(row), 120, row);
    const rows = frameOf(snapshot(busy())).rows;
    assert.match(rows.join("\n"), /\x1b\[1m/, "bold, for the current room's title");
  });

  it("writes only the rows that changed, and everything after a redraw", () => {
    const before = frameOf(snapshot(busy()));
    const after = frameOf(snapshot(run([ev(message("#lobby", "bob", "one more line"))], busy())));
    const changed = after.rows.flatMap((row, i) => (row === before.rows[i] ? [] : [i + 1]));
    const update = frameUpdate(before, after);
    const written = [...update.matchAll(/\x1b\[(\d+);1H/g)].map((m) => Number(m[1]));
    assert.deepEqual(written, changed);
    assert.ok(changed.length > 0 && changed.length < after.rows.length / 2, `rows changed: ${changed.join(",")}`);
    assert.match(update, /one more line/);
    assert.equal(frameUpdate(after, after), "", "nothing to write when nothing changed");
    const whole = frameUpdate(undefined, after);
    assert.match(whole, /\x1b\[2J/, "a redraw clears the screen first");
    assert.equal([...whole.matchAll(/\x1b\[(\d+);1H/g)].length, after.rows.length);
  });

  it("moves the cursor on the input line when only the cursor moved", () => {
    const typed = frameOf(snapshot(busy(), "abc"));
    const moved = { ...typed, cursor: { ...typed.cursor, x: typed.cursor.x - 1 } };
    assert.equal(frameUpdate(typed, moved), `\x1b[?25l\x1b[39;${moved.cursor.x + 1}H\x1b[?25h`);
  });
});
