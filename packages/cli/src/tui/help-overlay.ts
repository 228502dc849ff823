import { helpText } from "@secure-chat/client";
import { keyHelp } from "./key-bindings.js";
import type { StyledLine } from "./styled.js";
import { fit, wrapText } from "./text-width.js";

/** The help overlay: keys (from the key bindings) and commands (the line mode's /help text). */
export function helpLines(width: number, height: number): StyledLine[] {
  const keyWidth = Math.min(Math.max(...keyHelp.map(([key]) => key.length)) + 2, Math.floor(width / 2));
  const keyLines = keyHelp.flatMap(([key, what]): StyledLine[] =>
    wrapText(what, Math.max(8, width - keyWidth - 2)).map((text, i) => [
      { text: `  ${fit(i === 0 ? key : "", keyWidth)}`, color: "cyanBright" },
      { text },
    ]),
  );
  const lines: StyledLine[] = [
    [{ text: fit(" Help · Esc, F1 or q closes it", width), inverse: true, bold: true }],
    [{ text: fit(" Keys", width), bold: true }],
    ...keyLines,
    [{ text: fit(" Commands (type them in the input line)", width), bold: true }],
    ...helpText.map((line): StyledLine => [{ text: fit(`  ${line}`, width) }]),
  ];
  if (lines.length > height) {
    return [
      ...lines.slice(0, Math.max(0, height - 1)),
      [{ text: fit(" … (a taller terminal shows the rest)", width) }],
    ];
  }
  while (lines.length < height) lines.push([{ text: " " }]);
  return lines;
}
