import type { UserName } from "@secure-chat/protocol";
import type { Bus } from "./bus.js";

/** The single-node bus: a map from user to the delivery callbacks of their connections. */
export class MemoryBus implements Bus {
  private readonly subscribers = new Map<UserName, Set<(frame: Uint8Array) => void>>();

  publish(recipients: readonly UserName[], frame: Uint8Array): void {
    for (const name of recipients) {
      const callbacks = this.subscribers.get(name);
      if (callbacks === undefined) continue;
      for (const deliver of callbacks) deliver(frame);
    }
  }

  subscribe(name: UserName, deliver: (frame: Uint8Array) => void): () => void {
    let callbacks = this.subscribers.get(name);
    if (callbacks === undefined) {
      callbacks = new Set();
      this.subscribers.set(name, callbacks);
    }
    callbacks.add(deliver);
    return () => {
      callbacks.delete(deliver);
      if (callbacks.size === 0 && this.subscribers.get(name) === callbacks) this.subscribers.delete(name);
    };
  }

  close(): void {
    this.subscribers.clear();
  }
}
