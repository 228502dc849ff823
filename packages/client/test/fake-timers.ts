import type { TimerHandle, Timers } from "../src/link/timers.js";

/** Lets every pending promise callback run (the fakes never use real timers). */
export async function flush(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
}

/** Timers driven by hand: `advance` runs what falls due, in order of due time, then of scheduling. */
export class FakeTimers implements Timers {
  now = 0;
  /** What `random` returns once `randoms` is used up. */
  randomValue = 0;
  /** Values `random` returns first, one per call. */
  randoms: number[] = [];
  private nextId = 1;
  private pending: { id: number; at: number; callback: () => void }[] = [];

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.pending.push({ id, at: this.now + ms, callback });
    return id;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    this.pending = this.pending.filter((timer) => timer.id !== handle);
  }

  /** An own property: the link passes `timers.random` around unbound. */
  readonly random = (): number => this.randoms.shift() ?? this.randomValue;

  /** Moves time on to the next timer due and runs what is due then; false if none is pending. */
  async next(): Promise<boolean> {
    const at = Math.min(...this.pending.map((timer) => timer.at));
    if (!Number.isFinite(at)) return false;
    await this.advance(at - this.now);
    return true;
  }

  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      await flush();
      const due = this.pending.filter((timer) => timer.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (due === undefined) break;
      this.pending = this.pending.filter((timer) => timer !== due);
      this.now = due.at;
      due.callback();
    }
    this.now = end;
    await flush();
  }
}
