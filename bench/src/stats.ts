export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function timeIt<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await run();
  return { ms: performance.now() - start, value };
}

export async function median(runs: number, run: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push((await timeIt(run)).ms);
  return percentile(times, 50);
}

/**
 * Latency histogram in microseconds: 10 us buckets below 1 ms, then 2 % steps up to minutes.
 * Plain arrays of counts, so worker processes can send them to the parent and be summed.
 */
const LINEAR = 100;
const STEP = Math.log(1.02);
export const HISTOGRAM_BUCKETS = 800;

export function bucketOf(us: number): number {
  if (us < 1000) return us < 0 ? 0 : Math.floor(us / 10);
  return Math.min(HISTOGRAM_BUCKETS - 1, LINEAR + Math.floor(Math.log(us / 1000) / STEP));
}

function bucketValueUs(index: number): number {
  if (index < LINEAR) return index * 10 + 5;
  return 1000 * Math.exp((index - LINEAR + 0.5) * STEP);
}

export function newHistogram(): number[] {
  return new Array<number>(HISTOGRAM_BUCKETS).fill(0);
}

export function addHistograms(into: number[], from: readonly number[]): void {
  for (let i = 0; i < into.length; i++) into[i]! += from[i] ?? 0;
}

/** The p-th percentile in ms, or NaN for an empty histogram. */
export function histogramPercentileMs(histogram: readonly number[], p: number): number {
  const total = histogram.reduce((a, b) => a + b, 0);
  if (total === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * total);
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i]!;
    if (seen >= rank) return bucketValueUs(i) / 1000;
  }
  return bucketValueUs(histogram.length - 1) / 1000;
}
