import type { EditorState } from "./line-editor.js";
import { inputWindow } from "./input-view.js";
import { displayWidth, fit } from "./text-width.js";

/** The prompt before the text: the room that Enter sends to. */
export function prompt(room: string, cols: number): string {
  return `[${fit(room, Math.min(room.length, Math.max(4, Math.floor(cols / 3))))}] `;
}

/** The input line's text and where the terminal cursor goes on it. */
export function inputLine(
  room: string,
  editor: EditorState,
  cols: number,
): { prompt: string; text: string; cursorX: number } {
  const before = prompt(room, cols);
  const width = Math.max(1, cols - displayWidth(before));
  const window = inputWindow(editor.text, editor.cursor, width);
  return { prompt: before, text: fit(window.text, width), cursorX: displayWidth(before) + window.cursorColumn };
}
