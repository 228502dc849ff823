/**
 * Terminal input to key events: raw stdin is split into tokens (a run of plain text, or one
 * escape sequence), and tokens are turned into keys. Bracketed paste is decoded here: a
 * multi-line paste must arrive as one `paste` event so it can be sent as one message.
 */
export type KeyName =
  | "enter"
  | "tab"
  | "backtab"
  | "backspace"
  | "delete"
  | "escape"
  | "up"
  | "down"
  | "left"
  | "right"
  | "home"
  | "end"
  | "pageup"
  | "pagedown"
  | "f1"
  | "char";

export type KeyEvent =
  | { type: "text"; text: string }
  | { type: "paste"; text: string }
  | { type: "key"; name: KeyName; char?: string; ctrl?: boolean; alt?: boolean; shift?: boolean };

export interface DecoderState {
  /** Inside a bracketed paste: what was pasted so far. */
  readonly paste: string | undefined;
}

export const initialDecoder: DecoderState = { paste: undefined };

const PASTE_START = "\x1b[200~";
const PASTE_END = "\x1b[201~";

/** Turns on bracketed paste (the terminal wraps pasted text in markers) / turns it off. */
export const enableBracketedPaste = "\x1b[?2004h";
export const disableBracketedPaste = "\x1b[?2004l";

const csiNames: Record<string, KeyName> = {
  A: "up",
  B: "down",
  C: "right",
  D: "left",
  H: "home",
  F: "end",
  P: "f1",
  Z: "backtab",
};

const tildeNames: Record<string, KeyName> = {
  "1": "home",
  "7": "home",
  "4": "end",
  "8": "end",
  "3": "delete",
  "5": "pageup",
  "6": "pagedown",
  "11": "f1",
};

function modifiers(param: string | undefined): { ctrl?: boolean; alt?: boolean; shift?: boolean } {
  const bits = (Number(param ?? "1") || 1) - 1;
  const out: { ctrl?: boolean; alt?: boolean; shift?: boolean } = {};
  if (bits & 1) out.shift = true;
  if (bits & 2) out.alt = true;
  if (bits & 4) out.ctrl = true;
  return out;
}

function escapeSequence(token: string): KeyEvent | undefined {
  // ESC ESC [ A: some terminals send Alt+arrow like this.
  const altPrefix = token.startsWith("\x1b\x1b");
  const seq = altPrefix ? token.slice(1) : token;
  const alt = altPrefix ? { alt: true } : {};
  // eslint-disable-next-line no-control-regex -- terminal escape sequences are made of control characters
  let match = /^\x1b\[(?:1;(\d+))?([A-DHFPZ])$/.exec(seq) ?? /^\x1bO(\d*)([A-DHFP])$/.exec(seq);
  if (match !== null) {
    const name = csiNames[match[2] ?? ""];
    return name === undefined ? undefined : { type: "key", name, ...modifiers(match[1] || undefined), ...alt };
  }
  // eslint-disable-next-line no-control-regex -- as above
  match = /^\x1b\[(\d+)(?:;(\d+))?~$/.exec(seq);
  if (match !== null) {
    const name = tildeNames[match[1] ?? ""];
    return name === undefined ? undefined : { type: "key", name, ...modifiers(match[2]), ...alt };
  }
  if (seq === "\x1b") return { type: "key", name: "escape" };
  if (token === "\x1b\x7f" || token === "\x1b\b") return { type: "key", name: "backspace", alt: true };
  if (token === "\x1b\r") return { type: "key", name: "enter", alt: true };
  // Alt+key: ESC followed by the key.
  const rest = token.slice(1);
  if (token.length >= 2 && !rest.startsWith("[") && !rest.startsWith("O") && [...rest].length === 1) {
    const code = rest.charCodeAt(0);
    if (code >= 1 && code <= 26) {
      return { type: "key", name: "char", char: String.fromCharCode(code + 96), ctrl: true, alt: true };
    }
    return { type: "key", name: "char", char: rest, alt: true };
  }
  if (token.length === 2 && (rest === "[" || rest === "O")) return { type: "key", name: "char", char: rest, alt: true };
  return undefined;
}

function controlKey(ch: string): KeyEvent {
  switch (ch) {
    case "\r":
    case "\n":
      return { type: "key", name: "enter" };
    case "\t":
      return { type: "key", name: "tab" };
    case "\x7f":
    case "\b":
      return { type: "key", name: "backspace" };
    default:
      return { type: "key", name: "char", char: String.fromCharCode(ch.charCodeAt(0) + 96), ctrl: true };
  }
}

/** Plain text with control characters in it: text runs and one key per control character. */
function textRun(token: string): KeyEvent[] {
  const events: KeyEvent[] = [];
  let text = "";
  for (const ch of token) {
    const code = ch.charCodeAt(0);
    if (code < 0x20 || code === 0x7f) {
      if (text !== "") events.push({ type: "text", text });
      text = "";
      // Ctrl+Space and other NULs are ignored.
      if (code !== 0) events.push(controlKey(ch));
    } else {
      text += ch;
    }
  }
  if (text !== "") events.push({ type: "text", text });
  return events;
}

/**
 * Pasted text with line breaks normalised to `\n`, without the line break(s) a copied block
 * usually ends with, which would send a trailing empty line.
 */
function pastedText(raw: string): string {
  return raw.replace(/\r\n?/g, "\n").replace(/\n+$/, "");
}

const isFinal = (code: number): boolean => code >= 0x40 && code <= 0x7e;

/**
 * Where the escape sequence starting at `at` ends (the index after it), or "pending" when the
 * input stops inside it: CSI (ESC [ parameters intermediates final), SS3 (ESC O final),
 * either after a second ESC (Alt), else ESC and one character.
 */
function sequenceEnd(input: string, at: number): number | "pending" {
  let i = at + 1;
  if (input[i] === "\x1b" && (input[i + 1] === "[" || input[i + 1] === "O")) i++;
  const kind = input[i];
  if (kind === undefined) return "pending";
  if (kind === "O") {
    if (i + 1 >= input.length) return "pending";
    return isFinal(input.charCodeAt(i + 1)) ? i + 2 : i + 1;
  }
  if (kind === "[") {
    // ESC [ [ A: the Linux console's function keys.
    let j = input[i + 1] === "[" ? i + 2 : i + 1;
    for (; j < input.length; j++) {
      const code = input.charCodeAt(j);
      if (code >= 0x20 && code <= 0x3f) continue;
      return isFinal(code) ? j + 1 : j;
    }
    return "pending";
  }
  const code = input.codePointAt(i) ?? 0;
  return i + (code > 0xffff ? 2 : 1);
}

/**
 * Splits terminal input into tokens. A sequence cut off at the end of a read is kept in
 * `pending` for the next read (a lone ESC there is the Escape key: `flushPending` gives it
 * once no more input follows).
 */
export function splitInput(pending: string, chunk: string): { tokens: string[]; pending: string } {
  const input = pending + chunk;
  const tokens: string[] = [];
  let at = 0;
  while (at < input.length) {
    const esc = input.indexOf("\x1b", at);
    if (esc === -1) {
      tokens.push(input.slice(at));
      break;
    }
    if (esc > at) tokens.push(input.slice(at, esc));
    const end = sequenceEnd(input, esc);
    if (end === "pending") return { tokens, pending: input.slice(esc) };
    tokens.push(input.slice(esc, end));
    at = end;
  }
  return { tokens, pending: "" };
}

/** Decodes one token of `splitInput`. */
export function decodeToken(state: DecoderState, token: string): { state: DecoderState; events: KeyEvent[] } {
  if (state.paste !== undefined) {
    const endAt = token.indexOf(PASTE_END);
    if (endAt === -1) return { state: { paste: state.paste + token }, events: [] };
    const text = pastedText(state.paste + token.slice(0, endAt));
    const after = decodeToken(initialDecoder, token.slice(endAt + PASTE_END.length));
    return { state: after.state, events: [{ type: "paste", text }, ...after.events] };
  }
  if (token === "") return { state, events: [] };
  if (token.startsWith(PASTE_START)) return decodeToken({ paste: "" }, token.slice(PASTE_START.length));
  if (token.startsWith("\x1b")) {
    const event = escapeSequence(token);
    return { state, events: event === undefined ? [] : [event] };
  }
  return { state, events: textRun(token) };
}
