/** The test reader of Prometheus text refuses what Prometheus would (so the /metrics tests can fail). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseExposition, sampleValue } from "./prometheus-text.js";

const histogram = (plusInf: number, count: number, first = 1) =>
  "# TYPE h histogram\n" +
  `h_bucket{op="a",le="0.1"} ${first}\nh_bucket{op="a",le="1"} 2\nh_bucket{op="a",le="+Inf"} ${plusInf}\n` +
  `h_sum{op="a"} 1.5\nh_count{op="a"} ${count}\n`;

describe("parseExposition", () => {
  it("reads typed samples, labels with escapes, and consistent histograms", () => {
    const exposition = parseExposition(
      '# HELP c_total Counted.\n# TYPE c_total counter\nc_total{code="A\\"B\\\\\\n"} 3\n' + histogram(2, 2),
    );
    assert.equal(sampleValue(exposition, "c_total", { code: 'A"B\\\n' }), 3);
    assert.equal(sampleValue(exposition, "h_count", { op: "a" }), 2);
  });

  it("refuses what Prometheus would not ingest", () => {
    for (const [text, why] of [
      ["# TYPE c counter\nc 1", /newline/],
      ["c 1\n", /before its TYPE/],
      ["# TYPE c counter\nc 1\n# TYPE c counter\n", /typed twice/],
      ["# TYPE 1c counter\n", /bad TYPE/],
      ["# TYPE c counter\nc{a=1} 1\n", /unquoted/],
      ['# TYPE c counter\nc{a="1"} one\n', /bad value/],
      ['# TYPE c counter\nc{a="\\x"} 1\n', /bad escape/],
      [histogram(3, 2), /\+Inf bucket differs from count/],
      [histogram(2, 2, 3), /not cumulative/],
    ] as const) {
      assert.throws(() => parseExposition(text), why, JSON.stringify(text));
    }
  });
});
