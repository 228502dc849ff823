/** Every byte array reachable from `root` (to check which secrets a state still holds). */
export function byteArrays(root: unknown): Set<Uint8Array> {
  const found = new Set<Uint8Array>();
  const seen = new Set<object>();
  const walk = (value: unknown): void => {
    if (value === null || typeof value !== "object" || seen.has(value)) return;
    seen.add(value);
    if (value instanceof Uint8Array) found.add(value);
    else if (value instanceof Map) for (const entry of value.values()) walk(entry);
    else for (const entry of Object.values(value)) walk(entry);
  };
  walk(root);
  return found;
}
