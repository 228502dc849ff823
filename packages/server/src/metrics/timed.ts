/**
 * The adapter, with every method call's duration observed under the method's name: until its
 * promise settles for an asynchronous method, until it returns for a synchronous one. A proxy,
 * so everything else (fields, getters, `instanceof`) is the adapter's own, and methods run with
 * the adapter itself as `this`.
 */
export function timed<T extends object>(target: T, observe: (operation: string, seconds: number) => void): T {
  const wrappers = new WeakMap<object, unknown>();
  const wrap = (name: string, method: (...args: unknown[]) => unknown) =>
    function timedCall(...args: unknown[]): unknown {
      const start = performance.now();
      const elapsed = (): void => observe(name, (performance.now() - start) / 1000);
      const result = method.apply(target, args);
      // The caller gets the original promise; this only watches it.
      if (result instanceof Promise) result.then(elapsed, elapsed);
      else elapsed();
      return result;
    };
  // The proxy stands on an empty object inheriting from the adapter: a proxy of the adapter itself
  // would have to return the very function of each read-only method (the Proxy invariants).
  return new Proxy(Object.create(target) as T, {
    get(_, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function" || typeof property !== "string") return value;
      let wrapper = wrappers.get(value);
      if (wrapper === undefined) {
        wrapper = wrap(property, value as (...args: unknown[]) => unknown);
        wrappers.set(value, wrapper);
      }
      return wrapper;
    },
    set: (_, property, value) => Reflect.set(target, property, value, target),
  });
}
