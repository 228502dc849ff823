/**
 * `FUZZ_RUNS` overrides the number of cases of every property-based test in this package.
 * (The protocol package has the same rule for its own tests; packages share no test code.)
 */
export function fuzzRuns(defaultRuns: number): number {
  const raw = process.env["FUZZ_RUNS"];
  if (raw === undefined || raw === "") return defaultRuns;
  const runs = Number(raw);
  if (!Number.isSafeInteger(runs) || runs <= 0) throw new Error(`FUZZ_RUNS must be a positive integer, got ${raw}`);
  return runs;
}
