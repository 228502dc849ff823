/**
 * Counters, gauges and histograms, written out in the Prometheus text exposition format
 * (version 0.0.4): small enough to write here instead of depending on a client library.
 * Label values come from fixed sets chosen by the server (operations, error codes), never
 * from what clients send, so nothing here needs escaping beyond what `labels` does.
 */

type Labels = Readonly<Record<string, string>>;

/** `{a="1",b="2"}`, or "" without labels; escapes as the format requires. */
function labels(values: Labels): string {
  const entries = Object.entries(values);
  if (entries.length === 0) return "";
  const escaped = entries.map(
    ([name, value]) => `${name}="${value.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`))}"`,
  );
  return `{${escaped.join(",")}}`;
}

/** A number as the format writes it (integers without a fraction, infinities as +Inf/-Inf). */
function sample(value: number): string {
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/** Series in the order of their label values, by code point: the same text whatever the locale. */
function byLabel([a]: [string, unknown], [b]: [string, unknown]): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface Metric {
  readonly name: string;
  render(): string[];
}

function header(name: string, help: string, type: string): string[] {
  return [`# HELP ${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${name} ${type}`];
}

/** A value that only goes up. */
export class Counter implements Metric {
  private value = 0;

  constructor(
    readonly name: string,
    private readonly help: string,
  ) {}

  inc(by = 1): void {
    this.value += by;
  }

  render(): string[] {
    return [...header(this.name, this.help, "counter"), `${this.name} ${sample(this.value)}`];
  }
}

/** Counters told apart by the value of one label; a value appears once first counted. */
export class LabelledCounter implements Metric {
  private readonly values = new Map<string, number>();

  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly label: string,
  ) {}

  inc(labelValue: string, by = 1): void {
    this.values.set(labelValue, (this.values.get(labelValue) ?? 0) + by);
  }

  render(): string[] {
    const lines = header(this.name, this.help, "counter");
    for (const [value, count] of [...this.values].sort(byLabel)) {
      lines.push(`${this.name}${labels({ [this.label]: value })} ${sample(count)}`);
    }
    return lines;
  }
}

/** A value read when scraped (`read` answers it then); a counter read so is typed as one. */
export class Observed implements Metric {
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly type: "gauge" | "counter",
    private readonly read: () => number,
  ) {}

  render(): string[] {
    return [...header(this.name, this.help, this.type), `${this.name} ${sample(this.read())}`];
  }
}

/** Upper bounds in seconds: 50 µs (an in-memory publish) to 10 s (a database that stalls). */
export const LATENCY_BUCKETS = [0.00005, 0.0002, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.25, 1, 2.5, 10] as const;

class Series {
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(buckets: number) {
    this.counts = new Array<number>(buckets).fill(0);
  }
}

/** Observations in buckets (cumulative when written), one series per value of its one label. */
export class Histogram implements Metric {
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly label: string,
    private readonly buckets: readonly number[] = LATENCY_BUCKETS,
  ) {}

  observe(labelValue: string, value: number): void {
    let series = this.series.get(labelValue);
    if (series === undefined) {
      series = new Series(this.buckets.length);
      this.series.set(labelValue, series);
    }
    series.sum += value;
    series.count++;
    const index = this.buckets.findIndex((bound) => value <= bound);
    if (index >= 0) series.counts[index]!++;
  }

  render(): string[] {
    const lines = header(this.name, this.help, "histogram");
    for (const [value, series] of [...this.series].sort(byLabel)) {
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += series.counts[i] ?? 0;
        lines.push(`${this.name}_bucket${labels({ [this.label]: value, le: sample(bound) })} ${cumulative}`);
      });
      lines.push(`${this.name}_bucket${labels({ [this.label]: value, le: "+Inf" })} ${series.count}`);
      lines.push(`${this.name}_sum${labels({ [this.label]: value })} ${sample(series.sum)}`);
      lines.push(`${this.name}_count${labels({ [this.label]: value })} ${series.count}`);
    }
    return lines;
  }
}

/** The metrics of one process, in the order registered. */
export class Registry {
  private readonly metrics: Metric[] = [];

  register<M extends Metric>(metric: M): M {
    if (this.metrics.some((other) => other.name === metric.name)) throw new Error(`metric ${metric.name} twice`);
    this.metrics.push(metric);
    return metric;
  }

  /** The exposition text, ending with a newline as the format asks. */
  render(): string {
    return `${this.metrics.flatMap((metric) => metric.render()).join("\n")}\n`;
  }
}

/** The Content-Type of `Registry.render`'s text. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
