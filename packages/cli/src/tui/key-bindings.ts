import type { KeyEvent } from "./keys.js";

/**
 * What each key does. Pure: a key event in, an intent out; the controller carries intents out.
 * The help overlay lists `keyHelp`, so the two can't drift apart.
 */
export type EditOp =
  | "backspace"
  | "delete"
  | "left"
  | "right"
  | "home"
  | "end"
  | "word-left"
  | "word-right"
  | "kill-to-start"
  | "kill-to-end"
  | "delete-word";

export type Intent =
  | { kind: "insert"; text: string }
  | { kind: "edit"; op: EditOp }
  | { kind: "submit" }
  | { kind: "complete"; reverse: boolean }
  | { kind: "history"; direction: "prev" | "next" }
  | { kind: "room"; to: "next" | "prev" | "activity" }
  | { kind: "room-number"; index: number }
  | { kind: "scroll"; to: "page-up" | "page-down" | "top" | "bottom" }
  | { kind: "help"; open: boolean | "toggle" }
  | { kind: "redraw" }
  | { kind: "quit-if-empty" }
  | { kind: "quit" }
  /** Select mode: pick a message of the shown room (`clear` leaves the mode). */
  | { kind: "select"; move: "older" | "newer" | "clear" }
  /** Select mode: start the command for the picked message in the input line. */
  | { kind: "select-act"; act: "reply" | "edit" | "delete" | "react" }
  | { kind: "none" };

export const keyHelp: readonly (readonly [string, string])[] = [
  ["Alt+1..9, Alt+0", "go to room 1-9, 10"],
  ["Ctrl+N / Ctrl+P", "next / previous room (also Alt+Right / Alt+Left)"],
  ["Alt+A", "next room with activity (mentions first)"],
  ["PgUp / PgDn", "scroll back / forward a page"],
  ["Alt+Home / Alt+End", "top of scrollback / back to the newest line"],
  ["Tab / Shift+Tab", "complete a name, room or command; again for the next"],
  ["Up / Down", "input history"],
  ["Alt+Up", "select mode: Up/Down pick a message; r reply, e edit, d delete, + react; Esc leaves"],
  ["Left Right Home End", "move (also Ctrl+A / Ctrl+E; Ctrl+Left/Right by word)"],
  ["Ctrl+W / Ctrl+U / Ctrl+K", "delete word / to line start / to line end"],
  ["Enter", "send; a multi-line paste is sent as one message"],
  ["Alt+Enter", "insert a line break"],
  ["F1 or Alt+H", "this help; Esc, F1 or q closes it"],
  ["Ctrl+L", "redraw the screen"],
  ["Ctrl+C, or Ctrl+D on an empty line", "quit (like /quit)"],
];

export function bindKey(event: KeyEvent, helpOpen: boolean): Intent {
  // A typed q arrives as text, not as a key: over the help it closes it, as the overlay says.
  if (event.type === "text" && helpOpen && event.text === "q") return { kind: "help", open: false };
  if (event.type === "text") return { kind: "insert", text: event.text };
  if (event.type === "paste") return { kind: "insert", text: event.text };
  const { name, ctrl = false, alt = false } = event;
  if (helpOpen && (name === "escape" || name === "f1")) return { kind: "help", open: false };
  switch (name) {
    case "enter":
      return alt ? { kind: "insert", text: "\n" } : { kind: "submit" };
    case "tab":
      return { kind: "complete", reverse: false };
    case "backtab":
      return { kind: "complete", reverse: true };
    case "backspace":
      return { kind: "edit", op: alt || ctrl ? "delete-word" : "backspace" };
    case "delete":
      return { kind: "edit", op: "delete" };
    case "escape":
      return helpOpen ? { kind: "help", open: false } : { kind: "none" };
    case "up":
      return alt ? { kind: "select", move: "older" } : { kind: "history", direction: "prev" };
    case "down":
      return { kind: "history", direction: "next" };
    case "left":
      if (alt) return { kind: "room", to: "prev" };
      return { kind: "edit", op: ctrl ? "word-left" : "left" };
    case "right":
      if (alt) return { kind: "room", to: "next" };
      return { kind: "edit", op: ctrl ? "word-right" : "right" };
    case "home":
      return alt || ctrl ? { kind: "scroll", to: "top" } : { kind: "edit", op: "home" };
    case "end":
      return alt || ctrl ? { kind: "scroll", to: "bottom" } : { kind: "edit", op: "end" };
    case "pageup":
      return { kind: "scroll", to: "page-up" };
    case "pagedown":
      return { kind: "scroll", to: "page-down" };
    case "f1":
      return { kind: "help", open: "toggle" };
    case "char":
      return charKey(event.char ?? "", ctrl, alt);
  }
}

/**
 * Keys while a message is selected; undefined for any other key, which leaves select mode and
 * then does what it always does.
 */
export function bindSelectKey(event: KeyEvent): Intent | undefined {
  if (event.type === "text") {
    const act = ({ r: "reply", e: "edit", d: "delete", "+": "react" } as const)[event.text];
    return act === undefined ? undefined : { kind: "select-act", act };
  }
  if (event.type !== "key") return undefined;
  switch (event.name) {
    case "up":
      return { kind: "select", move: "older" };
    case "down":
      return { kind: "select", move: "newer" };
    case "escape":
      return { kind: "select", move: "clear" };
    case "char": {
      const act = ({ r: "reply", e: "edit", d: "delete", "+": "react" } as const)[event.char ?? ""];
      return act === undefined || event.ctrl === true || event.alt === true ? undefined : { kind: "select-act", act };
    }
    default:
      return undefined;
  }
}

function charKey(char: string, ctrl: boolean, alt: boolean): Intent {
  if (alt && !ctrl) {
    if (/^[0-9]$/.test(char)) return { kind: "room-number", index: char === "0" ? 9 : Number(char) - 1 };
    switch (char.toLowerCase()) {
      case "a":
        return { kind: "room", to: "activity" };
      case "h":
        return { kind: "help", open: "toggle" };
      case "b":
        return { kind: "edit", op: "word-left" };
      case "f":
        return { kind: "edit", op: "word-right" };
      case "n":
        return { kind: "room", to: "next" };
      case "p":
        return { kind: "room", to: "prev" };
    }
    return { kind: "none" };
  }
  if (!ctrl) return { kind: "insert", text: char };
  switch (char) {
    case "a":
      return { kind: "edit", op: "home" };
    case "e":
      return { kind: "edit", op: "end" };
    case "b":
      return { kind: "edit", op: "left" };
    case "f":
      return { kind: "edit", op: "right" };
    case "h":
      return { kind: "edit", op: "backspace" };
    case "w":
      return { kind: "edit", op: "delete-word" };
    case "u":
      return { kind: "edit", op: "kill-to-start" };
    case "k":
      return { kind: "edit", op: "kill-to-end" };
    case "n":
      return { kind: "room", to: "next" };
    case "p":
      return { kind: "room", to: "prev" };
    case "l":
      return { kind: "redraw" };
    case "c":
      return { kind: "quit" };
    case "d":
      return { kind: "quit-if-empty" };
  }
  return { kind: "none" };
}
