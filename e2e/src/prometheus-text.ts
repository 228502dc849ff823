/**
 * A strict reader of the Prometheus text exposition format (0.0.4), for tests: it throws on
 * anything a Prometheus server would refuse (a bad name, label or value; samples before their
 * TYPE or of a family typed twice; histogram buckets that are not cumulative or disagree with
 * their count), so a scrape that parses here is one Prometheus can ingest. Stricter than
 * Prometheus, it also wants a TYPE for every sample (the server types all of its metrics).
 */

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  samples: PromSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function parseValue(text: string, line: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value in: ${line}`);
  return Number(text);
}

/** Reads `{a="x",b="y"}` from the start of `text`; answers the labels and what follows. */
function parseLabels(text: string, line: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1;
  for (;;) {
    if (text[i] === "}") return { labels, rest: text.slice(i + 1) };
    const eq = text.indexOf("=", i);
    if (eq < 0) throw new Error(`bad labels in: ${line}`);
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name) || Object.hasOwn(labels, name)) throw new Error(`bad label ${name} in: ${line}`);
    if (text[eq + 1] !== '"') throw new Error(`unquoted label value in: ${line}`);
    let value = "";
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === "\\") {
        const escaped = text[++j];
        if (escaped === "n") value += "\n";
        else if (escaped === "\\" || escaped === '"') value += escaped;
        else throw new Error(`bad escape in: ${line}`);
      } else {
        value += text[j];
      }
    }
    if (j >= text.length) throw new Error(`unterminated label value in: ${line}`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ",") i++;
    else if (text[i] !== "}") throw new Error(`bad labels in: ${line}`);
  }
}

/** The family a sample belongs to: a histogram's _bucket/_sum/_count belong to the histogram. */
function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, "");
  return types.get(base) === "histogram" || types.get(base) === "summary" ? base : undefined;
}

function checkHistograms(exposition: Exposition): void {
  for (const [family, type] of exposition.types) {
    if (type !== "histogram") continue;
    const series = new Map<string, { les: [number, number][]; count?: number }>();
    const names = [`${family}_bucket`, `${family}_sum`, `${family}_count`];
    for (const sample of exposition.samples) {
      if (!names.includes(sample.name)) continue;
      const { le, ...rest } = sample.labels;
      const key = JSON.stringify(rest);
      const entry = series.get(key) ?? { les: [] };
      series.set(key, entry);
      if (sample.name === `${family}_bucket`) {
        if (le === undefined) throw new Error(`${family}_bucket without le`);
        entry.les.push([parseValue(le, le), sample.value]);
      } else if (sample.name === `${family}_count`) {
        entry.count = sample.value;
      }
    }
    for (const [key, { les, count }] of series) {
      for (let i = 1; i < les.length; i++) {
        if (les[i]![0] <= les[i - 1]![0] || les[i]![1] < les[i - 1]![1]) {
          throw new Error(`${family}${key}: buckets not in order or not cumulative`);
        }
      }
      const last = les.at(-1);
      if (last?.[0] !== Infinity || last[1] !== count)
        throw new Error(`${family}${key}: +Inf bucket differs from count`);
    }
  }
}

export function parseExposition(text: string): Exposition {
  if (!text.endsWith("\n")) throw new Error("the exposition must end with a newline");
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: PromSample[] = [];
  for (const line of text.slice(0, -1).split("\n")) {
    if (line.startsWith("#")) {
      const [, keyword, name, ...rest] = line.split(" ");
      if (keyword === "TYPE") {
        const type = rest.join(" ");
        if (name === undefined || !NAME.test(name) || !TYPES.has(type)) throw new Error(`bad TYPE line: ${line}`);
        if (types.has(name)) throw new Error(`${name} typed twice`);
        if (samples.some((sample) => familyOf(sample.name, new Map([[name, type]])) === name)) {
          throw new Error(`TYPE of ${name} after its samples`);
        }
        types.set(name, type);
      } else if (keyword === "HELP") {
        if (name === undefined || !NAME.test(name) || helps.has(name)) throw new Error(`bad HELP line: ${line}`);
        helps.add(name);
      }
      continue;
    }
    if (line.trim() === "") continue;
    const nameEnd = line.search(/[{ ]/);
    if (nameEnd <= 0) throw new Error(`bad sample line: ${line}`);
    const name = line.slice(0, nameEnd);
    if (!NAME.test(name)) throw new Error(`bad metric name in: ${line}`);
    let rest = line.slice(nameEnd);
    let labels: Record<string, string> = {};
    if (rest.startsWith("{")) ({ labels, rest } = parseLabels(rest, line));
    const fields = rest.trim().split(/ +/);
    if (fields.length < 1 || fields.length > 2 || fields[0] === "") throw new Error(`bad sample line: ${line}`);
    if (familyOf(name, types) === undefined) throw new Error(`sample of ${name} before its TYPE`);
    samples.push({ name, labels, value: parseValue(fields[0]!, line) });
  }
  const exposition = { types, samples };
  checkHistograms(exposition);
  return exposition;
}

/** The value of the one sample of `name` with (at least) `labels`; throws if there is none. */
export function sampleValue(exposition: Exposition, name: string, labels: Record<string, string> = {}): number {
  const found = exposition.samples.find(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  if (found === undefined) throw new Error(`no sample ${name}${JSON.stringify(labels)}`);
  return found.value;
}
