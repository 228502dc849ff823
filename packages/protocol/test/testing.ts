/// <reference types="node" />
/**
 * Fuzzing support every package's tests share (exported as `@secure-chat/protocol/testing`):
 * the FUZZ_RUNS rule and byte edits of valid inputs.
 */
import fc from "fast-check";

/** `FUZZ_RUNS` overrides the number of cases of every property-based test. */
export function fuzzRuns(defaultRuns: number): number {
  const raw = process.env["FUZZ_RUNS"];
  if (raw === undefined || raw === "") return defaultRuns;
  const runs = Number(raw);
  if (!Number.isSafeInteger(runs) || runs <= 0) throw new Error(`FUZZ_RUNS must be a positive integer, got ${raw}`);
  return runs;
}

export type ByteEdit =
  | { kind: "flip"; at: number; bit: number }
  | { kind: "truncate"; at: number }
  | { kind: "insert"; at: number; bytes: Uint8Array }
  | { kind: "set"; at: number; value: number };

/** Up to four byte edits: flip a bit, set a byte, cut the rest off, or insert bytes. */
export const byteEdits: fc.Arbitrary<ByteEdit[]> = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 8 }) }),
    fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  ),
  { minLength: 1, maxLength: 4 },
);

/**
 * `input` with `edits` applied (a copy). `focus` (bytes from the start), when given, gets half of
 * the edits: where the fields a reader looks at are.
 */
export function applyEdits(input: Uint8Array, edits: readonly ByteEdit[], focus?: number): Uint8Array {
  let bytes = Uint8Array.from(input);
  for (const edit of edits) {
    const span = focus !== undefined && edit.at % 2 === 0 ? Math.min(bytes.length, focus) : bytes.length;
    const at = span === 0 ? 0 : edit.at % span;
    if (edit.kind === "flip") bytes[at] = (bytes[at] ?? 0) ^ (1 << edit.bit);
    else if (edit.kind === "set") bytes[at] = edit.value;
    else if (edit.kind === "truncate") bytes = bytes.slice(0, at);
    else bytes = Uint8Array.from([...bytes.slice(0, at), ...edit.bytes, ...bytes.slice(at)]);
  }
  return bytes;
}

/** Valid inputs with a few byte edits each (see applyEdits for `focus`). */
export function mutationsOf(valid: fc.Arbitrary<Uint8Array>, focus?: number): fc.Arbitrary<Uint8Array> {
  return fc.tuple(valid, byteEdits).map(([input, edits]) => applyEdits(input, edits, focus));
}
