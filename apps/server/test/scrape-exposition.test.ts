import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { labelValueProblem } from "@livedash/events";
import { parseConfig } from "../src/config";
import { parseExposition } from "../src/scrape/exposition-parser";
import { samplesToPoints } from "../src/scrape/to-points";

const TEXT = { openMetrics: false, maxSamples: 1_000 };
const OM = { openMetrics: true, maxSamples: 1_000 };

describe("text exposition parser", () => {
  it("reads 0.0.4: labels with escapes, special values, millisecond timestamps, comments and blank lines", () => {
    const body = [
      "# HELP http_requests_total The total number of HTTP requests.",
      "# TYPE http_requests_total counter",
      'http_requests_total{method="post",code="200"} 1027 1395066363000',
      'http_requests_total{ method = "post" , code="400", } 3',
      "",
      'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
      "metric_without_labels +Inf",
      "nan_metric NaN",
      "something_weird{problem=\"division by zero\"} -Inf -3982045",
      "# a free comment",
    ].join("\n");
    const parsed = parseExposition(body, TEXT);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.types.get("http_requests_total")).toBe("counter");
    expect(parsed.samples.map((s) => [s.name, s.labels, s.value, s.timestampMs])).toEqual([
      ["http_requests_total", { method: "post", code: "200" }, 1027, 1395066363000],
      ["http_requests_total", { method: "post", code: "400" }, 3, null],
      ["msdos_file_access_time_seconds", { path: "C:\\DIR\\FILE.TXT", error: 'Cannot find file:\n"FILE.TXT"' }, 1.458255915e9, null],
      ["metric_without_labels", {}, Number.POSITIVE_INFINITY, null],
      ["nan_metric", {}, Number.NaN, null],
      ["something_weird", { problem: "division by zero" }, Number.NEGATIVE_INFINITY, -3982045],
    ]);
  });

  it("reads OpenMetrics: timestamps in seconds, exemplars ignored, nothing after # EOF", () => {
    const body = [
      "# TYPE acme_http_router_request_seconds summary",
      "# UNIT acme_http_router_request_seconds seconds",
      'acme_http_router_request_seconds_sum{path="/api/v1",method="GET"} 9036.32 1520879607.789',
      "# TYPE foo histogram",
      'foo_bucket{le="0.1"} 8 # {trace_id="KOO5S4vxi0o"} 0.067 1520879607.789',
      'foo_bucket{le="+Inf"} 17',
      "foo_created 1520430000.123",
      "# EOF",
      "after_eof 1",
    ].join("\n");
    const parsed = parseExposition(body, OM);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.samples.map((s) => [s.name, s.value, s.timestampMs])).toEqual([
      ["acme_http_router_request_seconds_sum", 9036.32, 1520879607789],
      ["foo_bucket", 8, null],
      ["foo_bucket", 17, null],
      ["foo_created", 1520430000.123, null],
    ]);
  });

  it.each([
    ["a value that is not a number", "a 12x", 1, /a: value '12x' is not a number/],
    ["a missing value", "\n\nb{x=\"1\"}", 3, /b: missing value/],
    ["an unquoted label value", "c{x=1} 1", 1, /label x: value must be in double quotes/],
    ["an unclosed label value", 'd{x="1} 1', 1, /label x: value has no closing quote/],
    ["a bad escape", 'e{x="\\t"} 1', 1, /label x: bad escape/],
    ["a repeated label", 'f{x="1",x="2"} 1', 1, /label x appears twice/],
    ["a name starting with a digit", "1abc 1", 1, /expected a metric name/],
    ["text after the timestamp", "g 1 2 3", 1, /unexpected text after the value/],
    ["an unknown type", "# TYPE h histogramm", 1, /unknown type 'histogramm'/],
  ])("refuses %s, naming the line", (_name, body, line, message) => {
    const parsed = parseExposition(body, TEXT);
    expect(parsed).toMatchObject({ ok: false, line });
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });

  it("fails past maxSamples (the scrape's sample limit)", () => {
    const body = Array.from({ length: 11 }, (_, i) => `m${i} ${i}`).join("\n");
    expect(parseExposition(body, { openMetrics: false, maxSamples: 10 })).toMatchObject({ ok: false, line: 11, message: "more than 10 samples (the scrape's sample limit)" });
  });

  it("is total on hostile lines: long digit runs, long label lists, unclosed quotes (property)", () => {
    const hostile = fc.oneof(
      fc.integer({ min: 1, max: 200_000 }).map((n) => `x ${"1".repeat(n)}e`),
      fc.integer({ min: 1, max: 20_000 }).map((n) => `x{${'a="b",'.repeat(n)}`),
      fc.integer({ min: 1, max: 200_000 }).map((n) => `x{a="${"\\\\".repeat(n)}`),
      fc.string({ maxLength: 200 }),
    );
    fc.assert(
      fc.property(hostile, (body) => {
        const parsed = parseExposition(body, TEXT);
        expect(typeof parsed.ok).toBe("boolean");
      }),
      { numRuns: 60 },
    );
  });

  it("parses back what it is given, for any series (property)", () => {
    const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/);
    const sampleArb = fc.record({
      name: fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,12}$/),
      labels: fc.dictionary(labelName, fc.string({ maxLength: 12 }).filter((v) => labelValueProblem(v) === null), { maxKeys: 5 }),
      value: fc.double({ noNaN: true }),
      timestampMs: fc.option(fc.integer({ min: 0, max: 2_000_000_000_000 }), { nil: null }),
    });
    const escape = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
    const render = (v: number) => (v === Number.POSITIVE_INFINITY ? "+Inf" : v === Number.NEGATIVE_INFINITY ? "-Inf" : Object.is(v, -0) ? "-0" : String(v));
    fc.assert(
      fc.property(fc.array(sampleArb, { maxLength: 10 }), (samples) => {
        const body = samples
          .map((s) => `${s.name}{${Object.entries(s.labels).map(([k, v]) => `${k}="${escape(v)}"`).join(",")}} ${render(s.value)}${s.timestampMs === null ? "" : ` ${s.timestampMs}`}`)
          .join("\n");
        const parsed = parseExposition(body, TEXT);
        expect(parsed.ok).toBe(true);
        if (parsed.ok) expect(parsed.samples).toEqual(samples);
      }),
      { numRuns: 200 },
    );
  });
});

describe("scrape samples to points", () => {
  const target = { url: "http://127.0.0.1:9100/metrics", instance: "127.0.0.1:9100", job: "node" };

  it("labels every sample with instance and job, keeps the target's own as exported_*, drops _created and non-finite values", () => {
    const body = [
      "# TYPE reqs counter",
      'reqs_total{instance="inner",code="200"} 5',
      "reqs_created 1700000000",
      "nan_gauge NaN",
      'temp{job="other"} 21.5 1700000000.123',
    ].join("\n");
    const parsed = parseExposition(body, OM);
    if (!parsed.ok) throw new Error(parsed.message);
    const mapped = samplesToPoints(parsed.samples, parsed.types, target, 1_700_000_100_000, 300_000);
    expect(mapped).toEqual({
      ok: true,
      skipped: 1,
      points: [
        { series: 'reqs_total{code="200",exported_instance="inner",instance="127.0.0.1:9100",job="node"}', ts: 1_700_000_100_000, value: 5 },
        { series: 'temp{exported_job="other",instance="127.0.0.1:9100",job="node"}', ts: 1_700_000_000_123, value: 21.5 },
      ],
      // The sample names that gave points: the names HELP/TYPE/UNIT describe (not nan_gauge, not _created).
      names: new Set(["reqs_total", "temp"]),
    });
  });

  it("fails the scrape on a series Livedash refuses, naming the label", () => {
    const parsed = parseExposition('m{__secret="1"} 1', TEXT);
    if (!parsed.ok) throw new Error(parsed.message);
    expect(samplesToPoints(parsed.samples, parsed.types, target, 1_700_000_000_000, 300_000)).toEqual({ ok: false, message: "m: label __secret: label names starting with __ are reserved" });
  });
});

describe("LIVEDASH_SCRAPE and LIVEDASH_SCRAPE_INTERVAL_MS", () => {
  const config = (env: Record<string, string>) => parseConfig({ LIVEDASH_STORAGE: "memory", ...env });

  it("takes comma-separated URLs, instance host:port (default port explicit), job from #job= or livedash-scrape", () => {
    const { scrape } = config({ LIVEDASH_SCRAPE: " http://127.0.0.1:9100/metrics#job=node , https://example.test/metrics,http://[::1]:9090/metrics", LIVEDASH_SCRAPE_INTERVAL_MS: "5000" });
    expect(scrape).toEqual({
      intervalMs: 5000,
      targets: [
        { url: "http://127.0.0.1:9100/metrics", instance: "127.0.0.1:9100", job: "node" },
        { url: "https://example.test/metrics", instance: "example.test:443", job: "livedash-scrape" },
        { url: "http://[::1]:9090/metrics", instance: "[::1]:9090", job: "livedash-scrape" },
      ],
    });
    expect(config({}).scrape).toEqual({ intervalMs: 15_000, targets: [] });
  });

  it.each([
    [{ LIVEDASH_SCRAPE: "not a url" }, /^LIVEDASH_SCRAPE: 'not a url' is not a URL/],
    [{ LIVEDASH_SCRAPE: "ftp://x/metrics" }, /^LIVEDASH_SCRAPE: 'ftp:\/\/x\/metrics': only http:\/\/ and https:\/\//],
    [{ LIVEDASH_SCRAPE: "http://u:p@x/metrics" }, /^LIVEDASH_SCRAPE: .*user:password@/],
    [{ LIVEDASH_SCRAPE: "http://x/metrics#nojob" }, /^LIVEDASH_SCRAPE: .*#job=<name>/],
    [{ LIVEDASH_SCRAPE: "http://x/metrics,http://x/metrics" }, /^LIVEDASH_SCRAPE: 'http:\/\/x\/metrics' is listed twice/],
    [{ LIVEDASH_SCRAPE_INTERVAL_MS: "50" }, /^LIVEDASH_SCRAPE_INTERVAL_MS: LIVEDASH_SCRAPE_INTERVAL_MS must be an integer from 100 to 3600000, got "50"/],
  ])("refuses %j, naming the variable", (env, message) => {
    expect(() => config(env)).toThrow(message);
  });
});
