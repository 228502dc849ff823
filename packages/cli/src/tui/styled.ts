/** A run of text with one style, and a line made of runs: what frame.ts turns into terminal text. */
export interface Segment {
  readonly text: string;
  readonly color?: string;
  readonly bold?: boolean;
  readonly dim?: boolean;
  readonly inverse?: boolean;
}

export type StyledLine = readonly Segment[];

/** The plain text of a line (what a screen capture shows). */
export function plain(line: StyledLine): string {
  return line.map((s) => s.text).join("");
}

/** Exactly `height` lines: blank full-width lines below, anything beyond cut off. */
export function fillHeight(lines: StyledLine[], width: number, height: number): StyledLine[] {
  while (lines.length < height) lines.push([{ text: " ".repeat(width) }]);
  return lines.slice(0, height);
}
