import stringWidth from "string-width";

/**
 * Terminal cell widths of text: graphemes (so an emoji with modifiers or a flag is one unit),
 * wide CJK and emoji count 2, combining marks 0. Everything the UI lays out goes through here,
 * so wrapping, truncation and the frame's padding agree.
 */

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** The text split into grapheme clusters. */
export function graphemes(text: string): string[] {
  if (PRINTABLE_ASCII.test(text)) return text.split("");
  return Array.from(segmenter.segment(text), (s) => s.segment);
}

/** How many terminal columns `text` takes. */
export function displayWidth(text: string): number {
  return PRINTABLE_ASCII.test(text) ? text.length : stringWidth(text);
}

export { sanitize } from "../terminal-safe.js";

/**
 * Wraps one line of text (no newlines) to `width` columns. Breaks after the last space that fits;
 * a word longer than the line is broken hard. A wide character never straddles the edge. Every
 * returned line is at most `width` columns (at least one grapheme per line, even if `width` < 2).
 */
export function wrapLine(text: string, width: number): string[] {
  const max = Math.max(1, width);
  if (PRINTABLE_ASCII.test(text) && text.length <= max) return [text];
  const units = graphemes(text);
  const lines: string[] = [];
  let line: string[] = [];
  let lineWidth = 0;
  let lastSpace = -1; // index in `line` of the last space
  for (const unit of units) {
    const w = displayWidth(unit);
    if (lineWidth + w > max && line.length > 0) {
      if (unit === " ") {
        // The space that would overflow becomes the break itself.
        lines.push(line.join(""));
        line = [];
        lineWidth = 0;
        lastSpace = -1;
        continue;
      }
      if (lastSpace > 0) {
        lines.push(line.slice(0, lastSpace).join(""));
        line = line.slice(lastSpace + 1);
      } else {
        lines.push(line.join(""));
        line = [];
      }
      lineWidth = line.reduce((sum, g) => sum + displayWidth(g), 0);
      lastSpace = line.lastIndexOf(" ");
      if (lineWidth + w > max && line.length > 0) {
        lines.push(line.join(""));
        line = [];
        lineWidth = 0;
        lastSpace = -1;
      }
    }
    line.push(unit);
    lineWidth += w;
    if (unit === " ") lastSpace = line.length - 1;
  }
  lines.push(line.join(""));
  return lines;
}

/** Wraps text that may contain newlines: each line is wrapped on its own. */
export function wrapText(text: string, width: number): string[] {
  return text.split("\n").flatMap((line) => wrapLine(line, width));
}

/** Cuts `text` to at most `width` columns, ending with `…` when something was cut. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return "";
  if (displayWidth(text) <= width) return text;
  let out = "";
  let used = 0;
  for (const unit of graphemes(text)) {
    const w = displayWidth(unit);
    if (used + w > width - 1) break;
    out += unit;
    used += w;
  }
  return `${out}…${" ".repeat(Math.max(0, width - 1 - used))}`;
}

/** `text` cut or padded with spaces to exactly `width` columns. */
export function fit(text: string, width: number, align: "left" | "right" = "left"): string {
  const cut = truncate(text, width);
  const pad = " ".repeat(Math.max(0, width - displayWidth(cut)));
  return align === "left" ? cut + pad : pad + cut;
}
