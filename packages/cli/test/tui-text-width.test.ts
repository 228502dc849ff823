import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { displayWidth, fit, graphemes, sanitize, truncate, wrapLine, wrapText } from "../src/tui/text-width.js";

describe("tui text width", () => {
  it("measures ASCII, CJK, emoji and combining marks in terminal columns", () => {
    assert.equal(displayWidth("hello"), 5);
    assert.equal(displayWidth("漢字"), 4);
    assert.equal(displayWidth("🔐"), 2);
    assert.equal(displayWidth("👍🏽"), 2, "emoji with skin tone is one wide glyph");
    assert.equal(displayWidth("🇫🇷"), 2, "a flag is one wide glyph");
    assert.equal(displayWidth("e\u0301"), 1, "combining accent takes no column");
  });

  it("splits into graphemes so an emoji sequence is one unit", () => {
    assert.deepEqual(graphemes("a👨‍👩‍👧b"), ["a", "👨‍👩‍👧", "b"]);
    assert.deepEqual(graphemes("e\u0301x"), ["e\u0301", "x"]);
  });

  it("wraps at the last space that fits and breaks long words hard", () => {
    assert.deepEqual(wrapLine("the quick brown fox", 10), ["the quick", "brown fox"]);
    assert.deepEqual(wrapLine("abcdefghijklmnop", 5), ["abcde", "fghij", "klmno", "p"]);
    assert.deepEqual(wrapLine("short", 10), ["short"]);
  });

  it("never splits a wide character across the edge", () => {
    assert.deepEqual(wrapLine("a漢字漢字", 4), ["a漢", "字漢", "字"]);
    assert.deepEqual(wrapLine("🔐🔐🔐", 3), ["🔐", "🔐", "🔐"]);
  });

  it("keeps explicit line breaks", () => {
    assert.deepEqual(wrapText("one\ntwo three", 5), ["one", "two", "three"]);
  });

  it("property: no wrapped line is wider than the width, and no visible character is lost", () => {
    const unit = fc.constantFrom("a", "b", " ", "漢", "🔐", "👍🏽", "é", "x");
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 200 }), fc.integer({ min: 2, max: 50 }), (units, width) => {
        const text = units.join("");
        const lines = wrapLine(text, width);
        for (const line of lines) assert.ok(displayWidth(line) <= width, `${JSON.stringify(line)} > ${width}`);
        assert.equal(lines.join("").replace(/ /g, ""), text.replace(/ /g, ""));
      }),
    );
  });

  it("wraps a 100,000-character line into lines of the width", () => {
    const lines = wrapLine("x".repeat(100_000), 80);
    assert.equal(lines.length, 1250);
    assert.ok(lines.every((l) => l.length === 80));
  });

  it("truncates with an ellipsis and pads to an exact width", () => {
    assert.equal(truncate("abcdefgh", 5), "abcd…");
    assert.equal(truncate("abc", 5), "abc");
    assert.equal(fit("ab", 5), "ab   ");
    assert.equal(fit("ab", 5, "right"), "   ab");
    assert.equal(displayWidth(fit("漢字漢字", 5)), 5);
  });

  it("makes untrusted text harmless on a terminal", () => {
    const evil = "hi\x1b[2J\x1b]0;pwned\x07\rX\u202eevil\tend";
    const safe = sanitize(evil);
    // eslint-disable-next-line no-control-regex -- checking that no control character is left
    assert.ok(!/[\x00-\x09\x0b-\x1f\x7f-\x9f]/.test(safe), JSON.stringify(safe));
    assert.ok(!safe.includes("\u202e"));
    assert.ok(safe.includes("hi") && safe.includes("end"));
    assert.equal(sanitize("a\nb"), "a\nb");
  });
});
