import { ClientError } from "../errors.js";
import type { ClientStore } from "./store.js";

/** Every store method, by whether it writes (the compiler makes a new method pick a side). */
export const storeAccess = {
  identity: "read",
  saveIdentity: "write",
  groups: "read",
  cursor: "read",
  apply: "write",
  keyPackages: "read",
  addKeyPackages: "write",
  pinnedKey: "read",
  pin: "write",
  untrustedNames: "read",
  setTrusted: "write",
  history: "read",
  message: "read",
  nextOutbox: "read",
  outboxSize: "read",
  addOutbox: "write",
  close: "read",
} as const satisfies Record<keyof ClientStore, "read" | "write">;

/**
 * `store`, telling `failed` of every write that fails (a full disk), then failing on: the
 * client's memory may then be ahead of what is saved, wherever the write came from. While
 * `halted()` (from then until the client has reloaded its state) every write is refused
 * without touching the store: a later write that fits (a cursor, a sent message's state) would
 * otherwise save state that skips what failed.
 */
export function guardWrites(
  store: ClientStore,
  hooks: { failed(error: unknown): void; halted(): boolean },
): ClientStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function" || storeAccess[property as keyof ClientStore] !== "write") return value;
      return async (...args: unknown[]): Promise<unknown> => {
        if (hooks.halted()) {
          throw new ClientError(
            "RELOADING",
            "reloading the saved state after a failed write; try again in a few seconds",
          );
        }
        try {
          return await (value as (...args: unknown[]) => Promise<unknown>).apply(target, args);
        } catch (error) {
          hooks.failed(error);
          throw error;
        }
      };
    },
  });
}
