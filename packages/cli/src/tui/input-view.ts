import { displayWidth, graphemes } from "./text-width.js";

/**
 * What the input line shows: the part of the text around the cursor that fits, with line breaks
 * (from a multi-line paste) shown as `↵`, and the cursor's column in it.
 */
export function inputWindow(text: string, cursor: number, width: number): { text: string; cursorColumn: number } {
  const units = graphemes(text).map((g) => (g === "\n" ? "↵" : g));
  const widths = units.map(displayWidth);
  // The cursor's index in graphemes.
  let at = 0;
  let offset = 0;
  for (const unit of graphemes(text)) {
    if (offset >= cursor) break;
    offset += unit.length;
    at++;
  }
  const room = Math.max(1, width - 1); // keep a column for the cursor after the last character
  let start = 0;
  let columns = widths.slice(0, at).reduce((a, b) => a + b, 0);
  while (columns > room && start < at) {
    columns -= widths[start] ?? 0;
    start++;
  }
  let shown = "";
  let used = 0;
  for (let i = start; i < units.length; i++) {
    const w = widths[i] ?? 0;
    if (used + w > width) break;
    shown += units[i] ?? "";
    used += w;
  }
  return { text: shown, cursorColumn: columns };
}
