/**
 * Just enough of `node:test` to run a suite written for it inside a web page: describe/it
 * register, `runRegistered` runs the tests one after another and reports each. The store
 * contract (packages/client/test/store-contract.ts) is bundled against this for chromium.
 */
export interface TestResult {
  name: string;
  outcome: "pass" | "fail" | "skip";
  detail?: string;
}
export interface TestContext {
  skip(message?: string): void;
}
type Body = (t: TestContext) => unknown;

const registered: { name: string; body: Body }[] = [];
const prefix: string[] = [];

export function describe(name: string, body: () => void): void {
  prefix.push(name);
  try {
    body();
  } finally {
    prefix.pop();
  }
}

export function it(name: string, body: Body): void {
  registered.push({ name: [...prefix, name].join(" > "), body });
}

export async function runRegistered(): Promise<TestResult[]> {
  const results: TestResult[] = [];
  for (const { name, body } of registered) {
    let skipped: string | undefined;
    try {
      await body({ skip: (message) => void (skipped = message ?? "skipped") });
      results.push(skipped === undefined ? { name, outcome: "pass" } : { name, outcome: "skip", detail: skipped });
    } catch (error) {
      results.push({
        name,
        outcome: "fail",
        detail: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    }
  }
  return results;
}
