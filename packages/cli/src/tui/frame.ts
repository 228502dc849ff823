import { statusLine, titleLine } from "./bars.js";
import type { Snapshot } from "./controller.js";
import { helpLines } from "./help-overlay.js";
import { inputLine } from "./input-line.js";
import { memberListLines } from "./member-list.js";
import { messagePaneLines } from "./message-pane.js";
import { roomListLines } from "./room-list.js";
import type { Segment, StyledLine } from "./styled.js";
import { displayWidth, truncate } from "./text-width.js";

/**
 * The whole screen as rows of terminal text, and the bytes that turn one frame into the next.
 * A frame is a pure function of the snapshot; a row is made once per line object (message
 * lines are memoized per entry, so a message is wrapped and styled once, not once per frame),
 * and only the rows that differ from what is on the screen are written.
 */

/** A screen: one string per row (escape codes included, each exactly `cols` columns wide) and the cursor. */
export interface Frame {
  readonly rows: readonly string[];
  readonly cursor: { readonly x: number; readonly y: number };
}

const ESC = "\x1b[";
const RESET = `${ESC}0m`;

const colorCodes: Record<string, number> = {
  black: 30,
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
  white: 37,
  gray: 90,
  grey: 90,
  redBright: 91,
  greenBright: 92,
  yellowBright: 93,
  blueBright: 94,
  magentaBright: 95,
  cyanBright: 96,
  whiteBright: 97,
};

function sgr(segment: Segment): string {
  const codes: number[] = [];
  if (segment.bold) codes.push(1);
  if (segment.dim) codes.push(2);
  if (segment.inverse) codes.push(7);
  const color = segment.color === undefined ? undefined : colorCodes[segment.color];
  if (color !== undefined) codes.push(color);
  return codes.length === 0 ? "" : `${ESC}${codes.join(";")}m`;
}

/** A line as terminal text, cut or padded to exactly `width` columns, ending with styles reset. */
function render(line: StyledLine, width: number): string {
  let out = "";
  let used = 0;
  for (const segment of line) {
    if (used >= width) break;
    const room = width - used;
    const w = displayWidth(segment.text);
    const text = w <= room ? segment.text : truncate(segment.text, room);
    const style = sgr(segment);
    out += style === "" ? text : `${style}${text}${RESET}`;
    used += w <= room ? w : displayWidth(text);
  }
  return used < width ? out + " ".repeat(width - used) : out;
}

const rendered = new WeakMap<StyledLine, { width: number; text: string }>();

/** `render`, once per line object and width: the message pane's lines are the same objects frame after frame. */
export function renderLine(line: StyledLine, width: number): string {
  const hit = rendered.get(line);
  if (hit !== undefined && hit.width === width) return hit.text;
  const text = render(line, width);
  rendered.set(line, { width, text });
  return text;
}

const RULE: StyledLine = [{ text: "│", color: "gray" }];

/** Every row of the screen for one snapshot (`layout.frameRows` of them) and where the cursor goes. */
export function frameOf(snapshot: Snapshot): Frame {
  const { view, editor } = snapshot;
  const layout = view.layout;
  const cols = layout.cols;
  const height = layout.paneHeight;
  const rows: string[] = [renderLine(titleLine(view, cols), cols)];
  if (view.help) {
    for (const line of helpLines(cols, height)) rows.push(renderLine(line, cols));
  } else {
    const rooms = layout.roomListWidth > 0 ? roomListLines(view, layout.roomListWidth, height) : [];
    const members = layout.memberListWidth > 0 ? memberListLines(view, layout.memberListWidth, height) : [];
    const pane = messagePaneLines(view);
    const rule = renderLine(RULE, 1);
    for (let i = 0; i < height; i++) {
      let row = "";
      if (layout.roomListWidth > 0) row += renderLine(rooms[i] ?? [], layout.roomListWidth) + rule;
      row += renderLine(pane[i] ?? [], layout.paneWidth);
      if (layout.memberListWidth > 0) row += rule + renderLine(members[i] ?? [], layout.memberListWidth);
      rows.push(row);
    }
  }
  rows.push(renderLine(statusLine(view, cols), cols));
  const input = inputLine(view.current, editor, cols);
  rows.push(renderLine([{ text: input.prompt, color: "cyanBright", bold: true }, { text: input.text }], cols));
  return { rows, cursor: { x: Math.min(input.cursorX, cols - 1), y: layout.frameRows - 1 } };
}

/**
 * What to write to go from `previous` (undefined: the screen is blank or unknown) to `next`:
 * each changed row is written whole at its position, the cursor hidden meanwhile and then
 * put on the input line.
 */
export function frameUpdate(previous: Frame | undefined, next: Frame): string {
  let out = "";
  next.rows.forEach((row, i) => {
    if (previous?.rows[i] !== row) out += `${ESC}${i + 1};1H${row}`;
  });
  const { cursor } = next;
  if (out === "" && previous?.cursor.x === cursor.x && previous.cursor.y === cursor.y) return "";
  return `${ESC}?25l${previous === undefined ? `${ESC}2J` : ""}${out}${ESC}${cursor.y + 1};${cursor.x + 1}H${ESC}?25h`;
}
