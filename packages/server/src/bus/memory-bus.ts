import type { UserName } from "@secure-chat/protocol";
import type { Bus } from "./bus.js";

type Deliver = (frame: Uint8Array) => void;

/**
 * The single-node bus: a map from user to the delivery callbacks of their connections. Arrays,
 * not Sets: publishing walks them once per recipient, and iterating an array allocates nothing.
 */
export class MemoryBus implements Bus {
  private readonly subscribers = new Map<UserName, Deliver[]>();

  publish(recipients: Iterable<UserName>, frame: Uint8Array, except?: UserName): void {
    for (const name of recipients) {
      if (name === except) continue;
      const callbacks = this.subscribers.get(name);
      if (callbacks === undefined) continue;
      for (let i = 0; i < callbacks.length; i++) callbacks[i]!(frame);
    }
  }

  subscribe(name: UserName, deliver: Deliver): () => void {
    // Copy on write, here and below: a publish walking the old array finishes on it unchanged.
    this.subscribers.set(name, [...(this.subscribers.get(name) ?? []), deliver]);
    return () => {
      const current = this.subscribers.get(name);
      if (current === undefined) return;
      const remaining = current.filter((callback) => callback !== deliver);
      if (remaining.length === 0) this.subscribers.delete(name);
      else this.subscribers.set(name, remaining);
    };
  }

  close(): void {
    this.subscribers.clear();
  }
}
