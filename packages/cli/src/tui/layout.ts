/**
 * Where each part of the screen goes, from the terminal size alone:
 *
 *   title bar                                  (1 row)
 *   room list | messages | member list         (the rest)
 *   status bar                                 (1 row)
 *   input line                                 (1 row)
 *
 * The frame is `rows - 1` lines: the last terminal row stays blank, so no character is ever
 * written to the bottom-right cell (where some terminals scroll the whole screen up).
 */
export interface Layout {
  cols: number;
  rows: number;
  /** Rows the frame has (frame.ts draws them). */
  frameRows: number;
  roomListWidth: number;
  memberListWidth: number;
  /** The message pane, between the side lists (separators excluded). */
  paneWidth: number;
  paneHeight: number;
}

export const MIN_COLS = 20;
export const MIN_ROWS = 6;

export function computeLayout(cols: number, rows: number): Layout {
  const c = Math.max(MIN_COLS, Math.floor(cols));
  const r = Math.max(MIN_ROWS, Math.floor(rows));
  const frameRows = r - 1;
  // Side lists shrink, then disappear, as the terminal gets narrow.
  const roomListWidth = c >= 100 ? 20 : c >= 60 ? 16 : 0;
  const memberListWidth = c >= 100 ? 18 : c >= 80 ? 14 : 0;
  // Each visible side list has a one-column separator next to the message pane.
  const separators = (roomListWidth > 0 ? 1 : 0) + (memberListWidth > 0 ? 1 : 0);
  return {
    cols: c,
    rows: r,
    frameRows,
    roomListWidth,
    memberListWidth,
    paneWidth: c - roomListWidth - memberListWidth - separators,
    paneHeight: frameRows - 3,
  };
}
