import type { ServerKind } from "../load/worker.js";

/** One scenario on one server: named numbers, plus notes (e.g. why something is n/a). */
export interface ScenarioResult {
  scenario: string;
  server: ServerKind;
  metrics: Record<string, number>;
  notes: string[];
}
