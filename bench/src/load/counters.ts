import { bucketOf, newHistogram } from "../stats.js";

/** What one generator process has seen since the last reset. */
export class Counters {
  /** Application messages received, summed over this process's connections. */
  deliveries = 0;
  /** Other frames (commits, Welcomes, presence, joins...). */
  other = 0;
  sent = 0;
  acked = 0;
  /** Acks over the whole run (never reset): the durability check compares it with the database. */
  ackedTotal = 0;
  /**
   * Deliveries whose seq was not above every seq before it on their connection, delivered or
   * accepted (a duplicate or a reordering, which the real client would drop as already seen;
   * secure-chat only, the references have no seq), over the whole run: must stay 0.
   */
  misorderedTotal = 0;
  histogram = newHistogram();
  since = 0;

  /** Records one delivery whose sender stamped it at `sentMs` (same monotonic clock). */
  delivered(arrivalMs: number, sentMs: number): void {
    this.deliveries++;
    this.histogram[bucketOf((arrivalMs - sentMs) * 1000)]!++;
  }

  reset(now: number): void {
    this.deliveries = 0;
    this.other = 0;
    this.sent = 0;
    this.acked = 0;
    this.histogram = newHistogram();
    this.since = now;
  }
}
