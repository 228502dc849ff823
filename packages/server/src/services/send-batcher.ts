import { StorageFullError, type AppendInput, type AppendResult, type Storage } from "../storage/storage.js";
import type { DurabilityGate } from "./durability-gate.js";

export type SendOutcome =
  | { kind: "ok"; result: AppendResult }
  /** Not stored: the transaction failed. */
  | { kind: "failed"; error: unknown }
  /** Stored, but the disk did not confirm it (see DurabilityGate: nothing is acknowledged after that). */
  | { kind: "unconfirmed" };

interface Pending {
  input: AppendInput;
  done: (outcome: SendOutcome) => void;
}

/**
 * Messages that arrive in the same event-loop turn are stored in one transaction, and each is
 * answered once the durability gate has seen them on disk. Anything that must be ordered after
 * pending sends (a commit, which may change who receives them) calls `flush()` first.
 */
export class SendBatcher {
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly storage: Storage,
    private readonly durable: DurabilityGate,
  ) {}

  add(input: AppendInput, done: Pending["done"]): void {
    this.pending.push({ input, done });
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    let stored: { pending: Pending; result: AppendResult }[];
    try {
      const results = this.storage.appendMessages(batch.map((p) => p.input));
      stored = batch.map((pending, i) => ({ pending, result: results[i]! }));
    } catch (error) {
      if (!(error instanceof StorageFullError) || batch.length === 1) {
        for (const p of batch) p.done({ kind: "failed", error });
        return;
      }
      // Nearly full: one large message must not cost the others their place. Each alone, in order.
      stored = batch.flatMap((pending) => {
        try {
          return [{ pending, result: this.storage.appendMessages([pending.input])[0]! }];
        } catch (alone) {
          pending.done({ kind: "failed", error: alone });
          return [];
        }
      });
    }
    this.durable.after((durable) => {
      for (const { pending, result } of stored)
        pending.done(durable ? { kind: "ok", result } : { kind: "unconfirmed" });
    });
  }
}
