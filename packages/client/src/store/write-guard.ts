import type { ClientStore } from "./store.js";

/** Every store method, by whether it writes (the compiler makes a new method pick a side). */
const access = {
  identity: "read",
  saveIdentity: "write",
  groups: "read",
  cursor: "read",
  apply: "write",
  keyPackages: "read",
  addKeyPackages: "write",
  pinnedKey: "read",
  pin: "write",
  history: "read",
  hasMessage: "read",
  nextOutbox: "read",
  outboxSize: "read",
  addOutbox: "write",
  close: "read",
} as const satisfies Record<keyof ClientStore, "read" | "write">;

/**
 * `store`, telling `failed` of every write that throws (a full disk), then throwing it on: the
 * client's memory may then be ahead of what is saved, wherever the write came from.
 */
export function guardWrites(store: ClientStore, failed: (error: unknown) => void): ClientStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function" || access[property as keyof ClientStore] !== "write") return value;
      return (...args: unknown[]) => {
        try {
          return (value as (...args: unknown[]) => unknown).apply(target, args);
        } catch (error) {
          failed(error);
          throw error;
        }
      };
    },
  });
}
