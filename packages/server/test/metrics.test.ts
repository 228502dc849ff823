import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Counter, Histogram, LabelledCounter, Observed, Registry } from "../src/metrics/exposition.js";
import { timed } from "../src/metrics/timed.js";

describe("the Prometheus text exposition", () => {
  it("writes HELP and TYPE before the samples, and ends with a newline", () => {
    const registry = new Registry();
    const sent = registry.register(new Counter("sent_total", "Things sent."));
    registry.register(new Observed("open", "Open things.", "gauge", () => 3));
    sent.inc();
    sent.inc(2);
    assert.equal(
      registry.render(),
      "# HELP sent_total Things sent.\n# TYPE sent_total counter\nsent_total 3\n" +
        "# HELP open Open things.\n# TYPE open gauge\nopen 3\n",
    );
  });

  it("writes one sample per label value, sorted, with the value escaped", () => {
    const errors = new LabelledCounter("errors_total", "Errors.", "code");
    errors.inc("RATE_LIMITED");
    errors.inc("BAD_FRAME", 2);
    errors.inc('a"b\\c\nd');
    assert.deepEqual(errors.render().slice(2), [
      'errors_total{code="BAD_FRAME"} 2',
      'errors_total{code="RATE_LIMITED"} 1',
      'errors_total{code="a\\"b\\\\c\\nd"} 1',
    ]);
  });

  it("writes a histogram's buckets cumulatively, with +Inf, sum and count", () => {
    const histogram = new Histogram("took_seconds", "How long.", "operation", [0.1, 1]);
    histogram.observe("read", 0.05);
    histogram.observe("read", 0.5);
    histogram.observe("read", 5);
    assert.deepEqual(histogram.render(), [
      "# HELP took_seconds How long.",
      "# TYPE took_seconds histogram",
      'took_seconds_bucket{operation="read",le="0.1"} 1',
      'took_seconds_bucket{operation="read",le="1"} 2',
      'took_seconds_bucket{operation="read",le="+Inf"} 3',
      'took_seconds_sum{operation="read"} 5.55',
      'took_seconds_count{operation="read"} 3',
    ]);
  });

  it("refuses a second metric of the same name", () => {
    const registry = new Registry();
    registry.register(new Counter("x_total", "X."));
    assert.throws(() => registry.register(new Counter("x_total", "X again.")), /x_total twice/);
  });
});

describe("timed", () => {
  class Adapter {
    calls = 0;
    async slow(value: number): Promise<number> {
      this.calls++;
      await new Promise((resolve) => setImmediate(resolve));
      return value * 2;
    }
    fails(): Promise<never> {
      return Promise.reject(new Error("no"));
    }
    now(value: string): string {
      return `${value}!`;
    }
  }
  class Derived extends Adapter {
    own(): number {
      return this.calls;
    }
  }

  it("times every method, inherited ones too, and leaves results, errors and `this` as they were", async () => {
    const observed: string[] = [];
    const adapter = new Derived();
    const wrapped = timed(adapter, (operation, seconds) => {
      assert.ok(seconds >= 0);
      observed.push(operation);
    });
    const pending = wrapped.slow(21);
    assert.deepEqual(observed, [], "an asynchronous call is observed once it settles");
    assert.equal(await pending, 42);
    assert.equal(wrapped.now("x"), "x!");
    assert.equal(wrapped.own(), 1, "the method ran with the adapter as `this`");
    await assert.rejects(wrapped.fails(), /no/);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(observed, ["slow", "now", "own", "fails"]);
    assert.ok(wrapped instanceof Derived, "still an instance of its class");
    assert.equal(wrapped.calls, 1, "fields read through");
  });
});
