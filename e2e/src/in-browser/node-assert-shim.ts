/**
 * Just enough of `node:assert/strict` for the store contract in a web page: equal (Object.is),
 * deepEqual (own keys, arrays and typed arrays element by element, same kind of object) and
 * rejects.
 */
class AssertionError extends Error {}

function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    const [x, y] = [
      new Uint8Array(a.buffer, a.byteOffset, a.byteLength),
      new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
    ];
    return x.length === y.length && x.every((value, i) => value === y[i]);
  }
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  return keysA.every(
    (key) => Object.hasOwn(b, key) && same((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
  );
}

const show = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => (ArrayBuffer.isView(v) ? `bytes(${Array.from(v as Uint8Array)})` : v));

function equal(actual: unknown, expected: unknown, message?: string): void {
  if (!Object.is(actual, expected)) throw new AssertionError(message ?? `${show(actual)} !== ${show(expected)}`);
}

function deepEqual(actual: unknown, expected: unknown, message?: string): void {
  if (!same(actual, expected)) throw new AssertionError(message ?? `${show(actual)} is not ${show(expected)}`);
}

async function rejects(promise: Promise<unknown>): Promise<void> {
  const outcome = await promise.then(
    () => "resolved",
    () => "rejected",
  );
  if (outcome !== "rejected") throw new AssertionError("expected a rejection");
}

// The suite does `import assert from "node:assert/strict"`: it needs a default export.
// eslint-disable-next-line no-restricted-syntax
export default { equal, deepEqual, rejects };
