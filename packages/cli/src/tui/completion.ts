import { helpText } from "@secure-chat/client";

/**
 * Tab completion: commands at the start of the line, rooms after `#`, `+`, `/join` or `/say`, names
 * elsewhere (members of the shown room first). Pure: the candidates for a word, and the cycle
 * that repeated Tab presses walk through.
 */

/** Every command the line mode knows, read from its help text (plus the /exit alias). */
export const commandNames: readonly string[] = [
  ...new Set([...helpText.flatMap((line) => /^(\/[a-z]+)/.exec(line)?.[1] ?? []), "/exit"]),
].sort();

export interface CompletionContext {
  /** Room labels you are in (`#lobby`, `+team`, `@bob`). */
  readonly rooms: readonly string[];
  /** The server's open rooms (`#ops`), offered after yours. */
  readonly serverRooms: readonly string[];
  /** Members of the shown room, in the order to offer them. */
  readonly members: readonly string[];
  /** Every other name seen (members of other rooms, online users). */
  readonly names: readonly string[];
  readonly self: string;
}

export interface Completion {
  /** Where the completed word starts; it ends at the cursor. */
  readonly start: number;
  readonly candidates: readonly string[];
  /** Appended after the chosen candidate. */
  readonly suffix: string;
  /** The candidates are rooms. */
  readonly rooms: boolean;
}

const nameCommands = new Set(["/msg", "/invite", "/kick", "/fingerprint", "/trust"]);

function uniq(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** The completions for the word before `cursor`, or undefined if there are none. */
export function completionsAt(text: string, cursor: number, context: CompletionContext): Completion | undefined {
  const before = text.slice(0, cursor);
  const start = before.search(/\S*$/);
  const word = before.slice(start);
  const firstWord = /^\S*/.exec(before)?.[0] ?? "";
  const atLineStart = before.slice(0, start).trim() === "";
  const lower = word.toLowerCase();
  const pick = (pool: readonly string[]): string[] => uniq(pool).filter((c) => c.toLowerCase().startsWith(lower));
  let candidates: string[];
  let suffix = " ";
  let rooms = false;
  // Where a room is expected: /join's argument, and /say's first one.
  const roomSlot =
    !atLineStart && (firstWord === "/join" || (firstWord === "/say" && before.slice(0, start).trim() === "/say"));
  const people = uniq([...context.members, ...context.names]).filter((n) => n !== context.self);
  if (atLineStart && word.startsWith("/")) {
    candidates = pick(commandNames);
  } else if (word.startsWith("#") || word.startsWith("+") || roomSlot) {
    rooms = true;
    candidates = pick([
      ...context.rooms.filter((r) => !r.startsWith("@")),
      ...context.serverRooms,
      ...people.map((n) => `@${n}`),
    ]);
  } else if (word.startsWith("@")) {
    candidates = pick(people.map((n) => `@${n}`));
  } else {
    candidates = pick(people);
    // At the start of a message a name is an address: "bob: ".
    if (atLineStart) suffix = ": ";
    if (nameCommands.has(firstWord)) suffix = " ";
  }
  // Tab on nothing offers something only where an argument is expected (/msg , /join ).
  const argumentSlot = roomSlot || (!atLineStart && nameCommands.has(firstWord));
  if (candidates.length === 0 || (word === "" && !argumentSlot)) return undefined;
  return { start, candidates, suffix, rooms };
}

/** State of repeated Tab presses: which candidate is inserted now. */
export interface CompletionCycle {
  readonly completion: Completion;
  readonly index: number;
  /** The text and cursor after the last insertion: any other edit ends the cycle. */
  readonly text: string;
  readonly cursor: number;
}

/** The text to insert for candidate `index`. */
export function candidateText(completion: Completion, index: number): string {
  const n = completion.candidates.length;
  return `${completion.candidates[((index % n) + n) % n] ?? ""}${completion.suffix}`;
}
