import type { AppendInput, AppendResult, Storage } from "../storage/storage.js";

interface Pending {
  input: AppendInput;
  done: (outcome: { kind: "ok"; result: AppendResult } | { kind: "failed"; error: unknown }) => void;
}

/**
 * Group commit: messages that arrive in the same event-loop turn are stored in one
 * transaction, so one disk sync covers them all, and each is answered only after it. Anything
 * that must be ordered after pending sends (a commit, a new group) calls `flush()` first.
 */
export class SendBatcher {
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(private readonly storage: Storage) {}

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
    batch.forEach((p, i) => p.done({ kind: "ok", result: results[i]! }));
  }
}
