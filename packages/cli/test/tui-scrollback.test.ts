import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  SEPARATOR_TEXT,
  atTop,
  entriesBelow,
  scrollBy,
  scrollToTop,
  visibleLines,
  type Entry,
  type PaneGeometry,
  type PaneRoom,
} from "../src/tui/scrollback.js";
import { plain } from "../src/tui/styled.js";
import { displayWidth } from "../src/tui/text-width.js";

const geometry: PaneGeometry = { width: 60, height: 10, nickWidth: 8 };

function entries(count: number, text = (i: number) => `message ${i}`): Entry[] {
  return Array.from({ length: count }, (_, i) => ({
    n: i,
    kind: "message" as const,
    time: 0,
    text: text(i),
    from: i % 2 === 0 ? "bob" : "alice",
    own: i % 2 === 1,
  }));
}

function pane(list: Entry[], extra: Partial<PaneRoom> = {}): PaneRoom {
  return { entries: list, marker: undefined, scroll: undefined, ...extra };
}

const texts = (room: PaneRoom, g = geometry): string[] => visibleLines(room, g).map(plain);

describe("tui scrollback", () => {
  it("fills the pane from the bottom with the newest lines", () => {
    const lines = texts(pane(entries(3)));
    assert.equal(lines.length, 10);
    assert.deepEqual(lines.slice(0, 7), Array(7).fill(""));
    assert.match(lines[9] ?? "", /bob │ message 2$/);
    assert.match(lines[7] ?? "", /bob │ message 0/);
  });

  it("marks your own messages and aligns sender names", () => {
    const [own, other] = texts(pane(entries(2)))
      .slice(-2)
      .reverse();
    assert.match(own ?? "", /^\d\d:\d\d › {3}alice │ message 1$/);
    assert.match(other ?? "", /^\d\d:\d\d {7}bob │ message 0$/);
  });

  it("wraps long lines under the text column; no line is wider than the pane", () => {
    const long = "word ".repeat(60) + "漢字🔐".repeat(20);
    const lines = texts(pane(entries(1, () => long)), { ...geometry, height: 20 });
    const used = lines.filter((l) => l !== "");
    assert.ok(used.length > 3);
    for (const line of used) assert.ok(displayWidth(line) <= geometry.width, `${line} is too wide`);
    assert.match(used[1] ?? "", /^ {15} │ /, "continuation lines are indented under the text");
  });

  it("draws the new-messages separator before the first new entry", () => {
    const lines = texts(pane(entries(5), { marker: 3 }));
    const at = lines.findIndex((l) => l.includes(SEPARATOR_TEXT));
    assert.ok(at >= 0);
    assert.match(lines[at + 1] ?? "", /message 3/);
    assert.match(lines[at - 1] ?? "", /message 2/);
  });

  it("pages up and down, stops at the top, and follows the end again at the bottom", () => {
    let room = pane(entries(50));
    room = { ...room, scroll: scrollBy(room, -8, geometry) };
    assert.match(texts(room).at(-1) ?? "", /message 41/);
    assert.equal(entriesBelow(room), 8);
    room = { ...room, scroll: scrollBy(room, -1000, geometry) };
    assert.match(texts(room)[0] ?? "", /message 0/, "the first line at the top");
    assert.ok(atTop(room, geometry));
    room = { ...room, scroll: scrollBy(room, 3, geometry) };
    assert.match(texts(room)[0] ?? "", /message 3/);
    room = { ...room, scroll: scrollBy(room, 1000, geometry) };
    assert.equal(room.scroll, undefined, "back to following new messages");
    assert.equal(scrollToTop(pane(entries(3)), geometry), undefined, "everything fits: nothing to scroll");
  });

  it("keeps the view still while new messages arrive when scrolled back", () => {
    const list = entries(100);
    let room = pane(list);
    room = { ...room, scroll: scrollBy(room, -20, geometry) };
    const before = texts(room);
    const grown = { ...room, entries: [...list, ...entries(10).map((e) => ({ ...e, n: e.n + 100 }))] };
    assert.deepEqual(texts(grown), before);
    assert.equal(entriesBelow(grown), 30);
  });

  it("touches only the entries near the window: 10,000 messages cost what a screenful does", () => {
    const list = entries(10_000);
    let reads = 0;
    const counted = new Proxy(list, {
      get(target, key, receiver) {
        if (typeof key === "string" && /^\d+$/.test(key)) reads++;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    const room = pane(counted);
    const lines = texts(room, { width: 80, height: 40, nickWidth: 8 });
    assert.match(lines.at(-1) ?? "", /message 9999/);
    assert.ok(reads < 200, `read ${reads} entries to draw one screen`);
    reads = 0;
    const up = scrollBy(room, -35, { width: 80, height: 40, nickWidth: 8 });
    assert.ok(reads < 400, `read ${reads} entries to scroll a page`);
    assert.equal(up?.n, 9999 - 35);
  });
});
