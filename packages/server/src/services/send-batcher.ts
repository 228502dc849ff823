import type { AppendInput, AppendResult, Storage } from "../storage/storage.js";
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
    let results: AppendResult[];
    try {
      results = this.storage.appendMessages(batch.map((p) => p.input));
    } catch (error) {
      for (const p of batch) p.done({ kind: "failed", error });
      return;
    }
    this.durable.after((durable) => {
      batch.forEach((p, i) => p.done(durable ? { kind: "ok", result: results[i]! } : { kind: "unconfirmed" }));
    });
  }
}
