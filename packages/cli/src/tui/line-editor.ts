import { graphemes } from "./text-width.js";

/**
 * The input line: text, cursor, editing, and input history. Pure functions over an immutable
 * state. The cursor is a string index that always sits on a grapheme boundary, so an emoji or
 * a letter with accents is moved over and deleted as one.
 */
export interface EditorState {
  readonly text: string;
  readonly cursor: number;
  /** Lines sent, oldest first. */
  readonly history: readonly string[];
  /** Position while browsing history with Up/Down; undefined when editing a fresh line. */
  readonly historyIndex: number | undefined;
  /** The line being typed before history browsing started, restored by Down past the end. */
  readonly draft: string;
}

export const MAX_INPUT_HISTORY = 500;

export const emptyEditor: EditorState = { text: "", cursor: 0, history: [], historyIndex: undefined, draft: "" };

function boundaries(text: string): number[] {
  const out = [0];
  let at = 0;
  for (const g of graphemes(text)) {
    at += g.length;
    out.push(at);
  }
  return out;
}

function prevBoundary(text: string, cursor: number): number {
  return boundaries(text)
    .filter((b) => b < cursor)
    .reduce((a, b) => Math.max(a, b), 0);
}

function nextBoundary(text: string, cursor: number): number {
  return boundaries(text).find((b) => b > cursor) ?? text.length;
}

const isWordChar = (ch: string): boolean => !/\s/.test(ch);

function wordStart(text: string, cursor: number): number {
  let i = cursor;
  while (i > 0 && !isWordChar(text[i - 1] ?? "")) i--;
  while (i > 0 && isWordChar(text[i - 1] ?? "")) i--;
  return i;
}

function wordEnd(text: string, cursor: number): number {
  let i = cursor;
  while (i < text.length && !isWordChar(text[i] ?? "")) i++;
  while (i < text.length && isWordChar(text[i] ?? "")) i++;
  return i;
}

function edit(state: EditorState, text: string, cursor: number): EditorState {
  return { ...state, text, cursor };
}

export function insert(state: EditorState, input: string): EditorState {
  const text = state.text.slice(0, state.cursor) + input + state.text.slice(state.cursor);
  return edit(state, text, state.cursor + input.length);
}

export function backspace(state: EditorState): EditorState {
  if (state.cursor === 0) return state;
  const at = prevBoundary(state.text, state.cursor);
  return edit(state, state.text.slice(0, at) + state.text.slice(state.cursor), at);
}

export function deleteForward(state: EditorState): EditorState {
  if (state.cursor >= state.text.length) return state;
  const end = nextBoundary(state.text, state.cursor);
  return edit(state, state.text.slice(0, state.cursor) + state.text.slice(end), state.cursor);
}

export const left = (s: EditorState): EditorState => ({ ...s, cursor: prevBoundary(s.text, s.cursor) });
export const right = (s: EditorState): EditorState => ({ ...s, cursor: nextBoundary(s.text, s.cursor) });
export const home = (s: EditorState): EditorState => ({ ...s, cursor: 0 });
export const end = (s: EditorState): EditorState => ({ ...s, cursor: s.text.length });
export const wordLeft = (s: EditorState): EditorState => ({ ...s, cursor: wordStart(s.text, s.cursor) });
export const wordRight = (s: EditorState): EditorState => ({ ...s, cursor: wordEnd(s.text, s.cursor) });

/** Ctrl+U: delete everything before the cursor. */
export const killToStart = (s: EditorState): EditorState => edit(s, s.text.slice(s.cursor), 0);
/** Ctrl+K: delete everything after the cursor. */
export const killToEnd = (s: EditorState): EditorState => edit(s, s.text.slice(0, s.cursor), s.cursor);

/** Ctrl+W / Alt+Backspace: delete the word before the cursor. */
export function deleteWordBack(state: EditorState): EditorState {
  const at = wordStart(state.text, state.cursor);
  return edit(state, state.text.slice(0, at) + state.text.slice(state.cursor), at);
}

/** Up: the previous line sent (the line being typed is kept as the draft). */
export function historyPrev(state: EditorState): EditorState {
  if (state.history.length === 0) return state;
  const index = state.historyIndex === undefined ? state.history.length - 1 : Math.max(0, state.historyIndex - 1);
  const text = state.history[index] ?? "";
  const draft = state.historyIndex === undefined ? state.text : state.draft;
  return { ...state, text, cursor: text.length, historyIndex: index, draft };
}

/** Down: the next line sent, and past the newest one the draft again. */
export function historyNext(state: EditorState): EditorState {
  if (state.historyIndex === undefined) return state;
  const index = state.historyIndex + 1;
  if (index >= state.history.length) {
    return { ...state, text: state.draft, cursor: state.draft.length, historyIndex: undefined, draft: "" };
  }
  const text = state.history[index] ?? "";
  return { ...state, text, cursor: text.length, historyIndex: index };
}

/** Enter: returns the line and an empty editor; the line joins the history (no repeats in a row). */
export function submit(state: EditorState): { state: EditorState; line: string } {
  const line = state.text;
  const history =
    line.trim() === "" || state.history.at(-1) === line
      ? state.history
      : [...state.history, line].slice(-MAX_INPUT_HISTORY);
  return { state: { text: "", cursor: 0, history, historyIndex: undefined, draft: "" }, line };
}

/** Replaces the characters from `start` to the cursor (a completion). */
export function replaceBeforeCursor(state: EditorState, start: number, replacement: string): EditorState {
  const text = state.text.slice(0, start) + replacement + state.text.slice(state.cursor);
  return edit(state, text, start + replacement.length);
}
