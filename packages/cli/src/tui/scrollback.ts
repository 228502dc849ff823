import { shortId, type ReactionCount } from "@secure-chat/client";
import { nameColor, uiColors } from "./colors.js";
import type { Segment, StyledLine } from "./styled.js";
import { displayWidth, fit, sanitize, truncate, wrapText } from "./text-width.js";

/**
 * The message pane as lines: formatting of scrollback entries, wrapping to the pane width, the
 * "new messages" separator, and the window of lines that is visible at a scroll position.
 * Only the entries near the visible window are wrapped, so a room with 10,000 entries costs
 * the same to draw as one with 10. Wrapped lines are memoized per entry and geometry.
 */

export type EntryKind = "message" | "join" | "part" | "notice" | "error" | "warning" | "boundary";

export interface Entry {
  /** Position in its room: consecutive, increasing; scroll anchors and the read marker use it. */
  readonly n: number;
  readonly kind: EntryKind;
  /** Local clock (ms) for events; the server's time for messages. */
  readonly time: number;
  readonly text: string;
  readonly from?: string;
  readonly own?: boolean;
  readonly mention?: boolean;
  /** The message id, to drop duplicates (a message can come live and again from history). */
  readonly id?: string;
  /** A message answering another: that one's id, and the line quoted (`<bob> what it said`). */
  readonly replyTo?: string;
  readonly quote?: string;
  readonly edited?: boolean;
  /** A tombstone: its sender deleted it. */
  readonly deleted?: boolean;
  /** Who reacted with what, by emoji. */
  readonly reactions?: readonly ReactionCount[];
  /** Our last message the peer of a private conversation has been shown. */
  readonly seen?: boolean;
  /** Picked in select mode (its id shown, r / e / d / + act on it). */
  readonly selected?: boolean;
}

/** The bottom row of the pane shows wrapped line `line` of the block of entry `n`. */
export interface ScrollAnchor {
  readonly n: number;
  readonly line: number;
}

/** What the pane needs to know about a room. */
export interface PaneRoom {
  readonly entries: readonly Entry[];
  /** Entries with `n >= marker` arrived while the room was not shown: a separator goes before the first. */
  readonly marker: number | undefined;
  readonly scroll: ScrollAnchor | undefined;
}

export interface PaneGeometry {
  readonly width: number;
  readonly height: number;
  /** Columns for sender names. */
  readonly nickWidth: number;
}

export const SEPARATOR_TEXT = "new messages";

function clock(ms: number): string {
  const date = new Date(ms);
  return `${String(date.getHours()).padStart(2, "0")}:${String(date.getMinutes()).padStart(2, "0")}`;
}

function ruleLine(text: string, width: number, color: string): StyledLine {
  const label = ` ${truncate(text, Math.max(1, width - 6))} `;
  const left = Math.max(2, Math.floor((width - displayWidth(label)) / 2));
  const right = Math.max(0, width - left - displayWidth(label));
  return [{ text: `${"─".repeat(left)}${label}${"─".repeat(right)}`, color }];
}

const symbols: Record<Exclude<EntryKind, "message" | "boundary">, { mark: string; color: string; bold?: boolean }> = {
  join: { mark: "-->", color: uiColors.join },
  part: { mark: "<--", color: uiColors.part },
  notice: { mark: "--", color: uiColors.notice },
  error: { mark: "!!", color: uiColors.error },
  warning: { mark: "!!!", color: uiColors.warning, bold: true },
};

/** The lines of one entry at this geometry (without the separator). */
function formatEntry(entry: Entry, geometry: PaneGeometry): StyledLine[] {
  const { width, nickWidth } = geometry;
  if (entry.kind === "boundary") return [ruleLine(entry.text, width, uiColors.boundary)];
  const time: Segment = { text: `${clock(entry.time)} `, color: "gray" };
  const prefixWidth = 6 + 1 + nickWidth + 3;
  const textWidth = Math.max(4, width - prefixWidth);
  const shown =
    entry.deleted === true ? "(message deleted)" : `${entry.text}${entry.edited === true ? " (edited)" : ""}`;
  const body = wrapText(
    sanitize(entry.selected === true && entry.id !== undefined ? `[${shortId(entry.id)}] ${shown}` : shown),
    textWidth,
  );
  let head: Segment[];
  let style: Omit<Segment, "text">;
  if (entry.kind === "message") {
    const from = entry.from ?? "?";
    head = [
      time,
      entry.own ? { text: "›", bold: true } : { text: " " },
      { text: fit(from, nickWidth, "right"), color: nameColor(from), bold: entry.own === true },
      { text: " │ ", color: "gray" },
    ];
    style = entry.mention ? { color: uiColors.highlight, bold: true } : {};
    if (entry.deleted === true) style = { color: "gray" };
    if (entry.selected === true) style = { ...style, inverse: true };
  } else {
    const symbol = symbols[entry.kind];
    head = [time, { text: " " }, { text: fit(symbol.mark, nickWidth, "right"), color: symbol.color, bold: true }];
    head.push({ text: " │ ", color: "gray" });
    style = { color: symbol.color, bold: symbol.bold };
  }
  const indent: Segment[] = [{ text: " ".repeat(prefixWidth - 3) }, { text: " │ ", color: "gray" }];
  const lines = body.map((text, i): StyledLine => [...(i === 0 ? head : indent), { ...style, text }]);
  // The quoted message above, the reactions below, each one row, in grey.
  const aside = (text: string): StyledLine => [...indent, { text: truncate(sanitize(text), textWidth), color: "gray" }];
  const reactions = entry.reactions ?? [];
  return [
    ...(entry.quote === undefined
      ? []
      : [[...head, { text: truncate(`↪ ${sanitize(entry.quote)}`, textWidth), color: "gray" }]]),
    ...(entry.quote === undefined
      ? lines
      : lines.map((line, i) => (i === 0 ? [...indent, ...line.slice(head.length)] : line))),
    ...(reactions.length === 0 ? [] : [aside(reactions.map((r) => `${r.emoji} ${r.from.length}`).join("  "))]),
    ...(entry.seen === true ? [aside("seen")] : []),
  ];
}

const memo = new WeakMap<Entry, { key: string; lines: readonly StyledLine[] }>();

/** Wrapped lines of an entry, memoized. */
export function entryLines(entry: Entry, geometry: PaneGeometry): readonly StyledLine[] {
  const key = `${geometry.width}/${geometry.nickWidth}`;
  const hit = memo.get(entry);
  if (hit !== undefined && hit.key === key) return hit.lines;
  const lines = formatEntry(entry, geometry);
  memo.set(entry, { key, lines });
  return lines;
}

/** The lines of the entry at `index`, with the "new messages" separator above it if it is the first new one. */
export function blockLines(room: PaneRoom, index: number, geometry: PaneGeometry): readonly StyledLine[] {
  const entry = room.entries[index];
  if (entry === undefined) return [];
  const lines = entryLines(entry, geometry);
  const firstNew =
    room.marker !== undefined &&
    entry.n >= room.marker &&
    (index === 0 || (room.entries[index - 1]?.n ?? 0) < room.marker);
  return firstNew ? [ruleLine(SEPARATOR_TEXT, geometry.width, uiColors.separator), ...lines] : lines;
}

function indexOf(room: PaneRoom, n: number): number {
  const first = room.entries[0];
  if (first === undefined) return -1;
  return Math.min(room.entries.length - 1, Math.max(0, n - first.n));
}

/** Where the bottom row is: the anchor, or the last line when following the end. */
function bottom(room: PaneRoom, geometry: PaneGeometry): { index: number; line: number } | undefined {
  if (room.entries.length === 0) return undefined;
  if (room.scroll === undefined) {
    const index = room.entries.length - 1;
    return { index, line: blockLines(room, index, geometry).length - 1 };
  }
  const index = indexOf(room, room.scroll.n);
  const count = blockLines(room, index, geometry).length;
  return { index, line: Math.min(count - 1, Math.max(0, room.scroll.line)) };
}

/**
 * Exactly `geometry.height` lines: the visible window, bottom-aligned (empty lines on top when
 * there is not enough to fill the pane).
 */
export function visibleLines(room: PaneRoom, geometry: PaneGeometry): StyledLine[] {
  const out: StyledLine[] = [];
  const start = bottom(room, geometry);
  if (start !== undefined) {
    let index = start.index;
    let lines: readonly StyledLine[] = blockLines(room, index, geometry);
    let at = start.line;
    while (out.length < geometry.height) {
      const line = lines[at];
      if (line !== undefined) {
        out.push(line);
        at--;
        continue;
      }
      index--;
      if (index < 0) break;
      lines = blockLines(room, index, geometry);
      at = lines.length - 1;
    }
  }
  while (out.length < geometry.height) out.push([]);
  return out.reverse();
}

/**
 * The anchor after moving the view `delta` lines (negative: back in time). Moving past the end
 * returns `undefined` (follow new messages); moving past the start stops with the first line at
 * the top of the pane.
 */
export function scrollBy(room: PaneRoom, delta: number, geometry: PaneGeometry): ScrollAnchor | undefined {
  const start = bottom(room, geometry);
  if (start === undefined) return undefined;
  let { index, line } = start;
  let count = blockLines(room, index, geometry).length;
  let left = Math.abs(delta);
  if (delta > 0) {
    for (;;) {
      const steps = Math.min(left, count - 1 - line);
      line += steps;
      left -= steps;
      if (left === 0) break;
      if (index + 1 >= room.entries.length) return undefined;
      index++;
      count = blockLines(room, index, geometry).length;
      line = 0;
      left--;
    }
  } else {
    for (;;) {
      const steps = Math.min(left, line);
      line -= steps;
      left -= steps;
      if (left === 0 || index === 0) break;
      index--;
      count = blockLines(room, index, geometry).length;
      line = count - 1;
      left--;
    }
    // Never leave the top of the content below the top of the pane.
    const top = topAnchor(room, geometry);
    if (top !== undefined && (index < top.index || (index === top.index && line < top.line))) {
      ({ index, line } = top);
      count = blockLines(room, index, geometry).length;
    }
  }
  const entry = room.entries[index];
  if (entry === undefined) return undefined;
  if (index === room.entries.length - 1 && line >= count - 1) return undefined;
  return { n: entry.n, line };
}

/** The anchor that puts the very first line at the top of the pane (or undefined if all fits). */
function topAnchor(room: PaneRoom, geometry: PaneGeometry): { index: number; line: number } | undefined {
  let remaining = geometry.height;
  for (let index = 0; index < room.entries.length; index++) {
    const count = blockLines(room, index, geometry).length;
    if (count >= remaining) return { index, line: remaining - 1 };
    remaining -= count;
  }
  return undefined;
}

/** The anchor that shows the start of the room's scrollback. */
export function scrollToTop(room: PaneRoom, geometry: PaneGeometry): ScrollAnchor | undefined {
  const top = topAnchor(room, geometry);
  const entry = top === undefined ? undefined : room.entries[top.index];
  if (top === undefined || entry === undefined) return undefined;
  if (top.index === room.entries.length - 1 && top.line >= blockLines(room, top.index, geometry).length - 1) {
    return undefined;
  }
  return { n: entry.n, line: top.line };
}

/** True when the first line of the scrollback is on screen. */
export function atTop(room: PaneRoom, geometry: PaneGeometry): boolean {
  const top = topAnchor(room, geometry);
  if (top === undefined) return true;
  const start = bottom(room, geometry);
  return start !== undefined && (start.index < top.index || (start.index === top.index && start.line <= top.line));
}

/** How many entries are below the visible window (0 when following the end). */
export function entriesBelow(room: PaneRoom): number {
  if (room.scroll === undefined) return 0;
  const last = room.entries.at(-1);
  return last === undefined ? 0 : Math.max(0, last.n - room.scroll.n);
}
