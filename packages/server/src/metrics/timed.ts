/**
 * Wraps every method of an adapter (its own and its prototypes') so each call's duration is
 * observed under the method's name: until its promise settles for an asynchronous method,
 * until it returns for a synchronous one. The adapter itself is called unchanged, as `this`.
 */
export function timed<T extends object>(target: T, observe: (operation: string, seconds: number) => void): T {
  const wrapped: Record<string, unknown> = {};
  for (
    let level: object | null = target;
    level !== null && level !== Object.prototype;
    level = Object.getPrototypeOf(level)
  ) {
    for (const name of Object.getOwnPropertyNames(level)) {
      if (name === "constructor" || Object.hasOwn(wrapped, name)) continue;
      // A getter is left out, not called: only methods are wrapped.
      const method: unknown = Object.getOwnPropertyDescriptor(level, name)?.value;
      if (typeof method !== "function") continue;
      wrapped[name] = (...args: unknown[]): unknown => {
        const start = performance.now();
        const elapsed = (): void => observe(name, (performance.now() - start) / 1000);
        const result: unknown = method.apply(target, args);
        if (result instanceof Promise) {
          // The caller gets the original promise; this branch only watches it.
          result.then(elapsed, elapsed);
        } else {
          elapsed();
        }
        return result;
      };
    }
  }
  return wrapped as T;
}
