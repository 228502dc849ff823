import type { GroupId, UserName } from "@secure-chat/protocol";
import { StorageFullError, type AppendInput, type AppendResult, type Storage } from "../storage/storage.js";
import type { DurabilityGate } from "./durability-gate.js";

export type SendOutcome =
  /** Stored and on disk; `recipients` are the group's members when it was stored. */
  | { kind: "ok"; result: AppendResult; recipients: ReadonlySet<UserName> }
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
 * answered once the durability gate has seen them on disk. A write that may change who receives
 * them (a commit) runs through `exclusive`, between two batches.
 */
export class SendBatcher {
  private pending: Pending[] = [];
  private scheduled = false;
  /** The end of the last exclusive write (never rejects); batches wait for it. */
  private exclusiveEnd: Promise<void> | undefined;

  constructor(
    private readonly storage: Storage,
    private readonly durable: DurabilityGate,
    /** The group's current members, as the server has them. */
    private readonly membersOf: (groupId: GroupId) => ReadonlySet<UserName>,
  ) {}

  add(input: AppendInput, done: Pending["done"]): void {
    this.pending.push({ input, done });
    this.schedule();
  }

  /**
   * Runs `write` once the messages pending now are stored (they get lower seqs), with no batch
   * stored until it has finished: messages that come meanwhile are stored after it, and go to
   * the members it leaves. Exclusive writes run one after another, in the order called.
   */
  exclusive<T>(write: () => Promise<T>): Promise<T> {
    const run = (this.exclusiveEnd ?? Promise.resolve()).then(async () => {
      await this.storePending();
      return write();
    });
    const end = run.then(
      () => undefined,
      () => undefined,
    );
    this.exclusiveEnd = end;
    void end.then(() => {
      if (this.exclusiveEnd !== end) return;
      this.exclusiveEnd = undefined;
      // What came meanwhile waited long enough: stored now, not a turn later.
      void this.storePending();
    });
    return run;
  }

  /** Stores what is pending, after any exclusive write under way (the server's last step). */
  flush(): Promise<void> {
    return this.exclusive(() => Promise.resolve());
  }

  private schedule(): void {
    if (this.scheduled || this.pending.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      // An exclusive write is under way: its end stores what is pending.
      if (this.exclusiveEnd === undefined) void this.storePending();
    });
  }

  /** Stores the pending batch; settles (never rejects) once its answers are queued behind the disk sync. */
  private async storePending(): Promise<void> {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    const recipients = batch.map((p) => this.membersOf(p.input.groupId));
    let stored: { index: number; result: AppendResult }[];
    try {
      const results = await this.storage.appendMessages(batch.map((p) => p.input));
      stored = batch.map((_, index) => ({ index, result: results[index]! }));
    } catch (error) {
      if (!(error instanceof StorageFullError) || batch.length === 1) {
        for (const p of batch) p.done({ kind: "failed", error });
        return;
      }
      // Nearly full: one large message must not cost the others their place. Each alone, in
      // order: called together, so no other write comes in between (writes apply in call order).
      const alone = await Promise.allSettled(batch.map((p) => this.storage.appendMessages([p.input])));
      stored = [];
      alone.forEach((outcome, index) => {
        if (outcome.status === "fulfilled") stored.push({ index, result: outcome.value[0]! });
        else batch[index]!.done({ kind: "failed", error: outcome.reason });
      });
    }
    this.durable.after((durable) => {
      for (const { index, result } of stored) {
        const { done } = batch[index]!;
        done(durable ? { kind: "ok", result, recipients: recipients[index]! } : { kind: "unconfirmed" });
      }
    });
  }
}
