import type { ServerKind } from "../load/worker.js";

/** One scenario on one server: named numbers, plus notes (e.g. why something is n/a). */
export interface ScenarioResult {
  scenario: string;
  server: ServerKind;
  metrics: Record<string, number>;
  notes: string[];
  /** Top functions of the server's CPU profile in the measured window (--cpu-prof). */
  profile?: string[];
}

/** The monotonic clock in microseconds: the clock of V8 CPU profile timestamps. */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** secure-chat receivers' count of deliveries the client would drop (see Counters.misorderedTotal), as notes. */
export function orderNotes(misordered: number): string[] {
  return misordered > 0 ? [`ORDER: ${misordered} deliveries came as duplicates or out of seq order`] : [];
}
