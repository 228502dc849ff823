import fc from "fast-check";

/** Up to four byte edits: flip a bit, set a byte, cut the rest off, or insert bytes. */
const edits = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 8 }) }),
    fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  ),
  { minLength: 1, maxLength: 4 },
);

/**
 * Valid inputs with a few byte edits each. `focus` (bytes from the start), when given, gets half
 * of the edits: where the fields a reader looks at are.
 */
export function mutationsOf(valid: fc.Arbitrary<Uint8Array>, focus?: number): fc.Arbitrary<Uint8Array> {
  return fc.tuple(valid, edits).map(([input, chosen]) => {
    let bytes = Uint8Array.from(input);
    for (const edit of chosen) {
      const span = focus !== undefined && edit.at % 2 === 0 ? Math.min(bytes.length, focus) : bytes.length;
      const at = span === 0 ? 0 : edit.at % span;
      if (edit.kind === "flip") bytes[at] = (bytes[at] ?? 0) ^ (1 << edit.bit);
      else if (edit.kind === "set") bytes[at] = edit.value;
      else if (edit.kind === "truncate") bytes = bytes.slice(0, at);
      else bytes = Uint8Array.from([...bytes.slice(0, at), ...edit.bytes, ...bytes.slice(at)]);
    }
    return bytes;
  });
}
