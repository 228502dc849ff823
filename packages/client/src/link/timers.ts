/** The timers and randomness the link uses, injected so tests can drive time by hand. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
  /** A number in [0, 1), for jitter. */
  random(): number;
}

export type TimerHandle = { readonly __timer: unique symbol } | number;

export const realTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms) as unknown as TimerHandle,
  clearTimeout: (handle) => clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
  random: () => Math.random(),
};

export function sleep(timers: Timers, ms: number): Promise<void> {
  return new Promise((resolve) => timers.setTimeout(resolve, ms));
}
