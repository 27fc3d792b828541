import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { labelNameFor, seriesNameFor } from "../src/ingest/otlp/attributes";
import { LabelTailCache } from "../src/ingest/otlp/label-tail-cache";
import { CumulativeState } from "../src/ingest/otlp/cumulative-state";
import { mapExportRequest } from "../src/ingest/otlp/map-request";
import { SeriesKeys } from "../src/ingest/otlp/series-keys";
import type { OtlpExportRequest, OtlpMetric } from "../src/ingest/otlp/model";
import { bucketQuantile, quantileSuffix } from "../src/ingest/otlp/quantiles";

const S = 1e9;
const T0 = 1_700_000_000 * S;
const opts = { nowMs: T0 / 1e6 + 3_600_000, maxFutureMs: 300_000 };

function one(metric: OtlpMetric, resource: Record<string, string> = {}): OtlpExportRequest {
  return {
    resourceMetrics: [
      {
        resource: { attributes: Object.entries(resource).map(([key, value]) => ({ key, value: { stringValue: value } })) },
        scopeMetrics: [{ metrics: [metric] }],
      },
    ],
  };
}

const base = { attributes: [], flags: 0 };
const counter = (value: number, startNs: number, timeNs: number): OtlpMetric => ({
  name: "c",
  description: "",
  unit: "",
  sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ ...base, startTimeUnixNano: startNs, timeUnixNano: timeNs, asDouble: value }] },
});

describe("OTLP mapping", () => {
  it("estimates quantiles from explicit buckets like histogram_quantile, closing the open ends with min/max", () => {
    const bounds = [0, 5, 10, 25, 50, 75, 100];
    const counts = [0, 5, 5, 15, 25, 25, 25, 0];
    expect(bucketQuantile(0.5, bounds, counts, 100)).toBe(50);
    expect(bucketQuantile(0.9, bounds, counts, 100)).toBe(90);
    // Everything in the +inf bucket: the highest finite bound without max, max with it.
    expect(bucketQuantile(0.5, [1, 2], [0, 0, 4], 4)).toBe(2);
    expect(bucketQuantile(0.5, [1, 2], [0, 0, 4], 4, 3, 11)).toBe(7);
    // First bucket (-inf, 10]: from 0 without min, from min with it; clamped to [min, max].
    expect(bucketQuantile(0.5, [10], [4, 0], 4)).toBe(5);
    expect(bucketQuantile(0.5, [10], [4, 0], 4, 6, 9)).toBe(7.5);
    expect(bucketQuantile(0.5, [1], [0, 0], 0)).toBeNaN();
    expect([0.5, 0.9, 0.99, 0.999, 1].map(quantileSuffix)).toEqual(["p50", "p90", "p99", "p99.9", "p100"]);
  });

  it("maps names and attribute keys onto the series and label charsets", () => {
    expect(seriesNameFor("http.server.request.duration")).toBe("http.server.request.duration");
    expect(seriesNameFor("ratio/%used")).toBe("ratio__used");
    expect(labelNameFor("http.route")).toBe("http_route");
    expect(labelNameFor("9lives")).toBe("_9lives");
    expect(labelNameFor("constructor")).toBe("constructor");
  });

  it("maps a key outside the BMP to one _ per character, as Influx tags do (an emoji made h__st here, h_st there)", () => {
    expect(labelNameFor("h\u{1F600}st")).toBe("h_st");
  });

  it("never gives two different attribute sets one cache key (separators inside keys and values poisoned the cache)", () => {
    const tails = new LabelTailCache<string>();
    const attr = (key: string, value: string) => ({ key, value: { stringValue: value } });
    const attacker = tails.keyOf("", [attr("a", "x\u0001b\u0000y")]);
    const victim = tails.keyOf("", [attr("a", "x"), attr("b", "y")]);
    expect(attacker).not.toBe(victim);
    expect(tails.keyOf("", [attr("h\u0000k\u0001b", "y")])).not.toBe(tails.keyOf("", [attr("h", "k"), attr("b", "y")]));
  });

  it("turns a cumulative counter into a per-second rate, with resets by start time and by a falling total", () => {
    const state = new CumulativeState(100);
    const start = T0;
    // First sample: the whole total since the start time.
    expect(mapExportRequest(one(counter(50, start, start + 10 * S)), state, opts).points.map((p) => p.value)).toEqual([5]);
    // Then the increase over the interval.
    expect(mapExportRequest(one(counter(80, start, start + 20 * S)), state, opts).points.map((p) => p.value)).toEqual([3]);
    // A resend of an older sample makes nothing and is not kept.
    expect(mapExportRequest(one(counter(70, start, start + 15 * S)), state, opts).points).toEqual([]);
    // The producer restarted: a new start time; the rate counts from it.
    expect(mapExportRequest(one(counter(8, start + 25 * S, start + 29 * S)), state, opts).points.map((p) => p.value)).toEqual([2]);
    // Without start times, the first sample makes nothing, a fall is a reset (Prometheus' rate()).
    const bare = new CumulativeState(100);
    expect(mapExportRequest(one(counter(100, 0, start + 10 * S)), bare, opts).points).toEqual([]);
    expect(mapExportRequest(one(counter(110, 0, start + 20 * S)), bare, opts).points.map((p) => p.value)).toEqual([1]);
    expect(mapExportRequest(one(counter(30, 0, start + 30 * S)), bare, opts).points.map((p) => p.value)).toEqual([3]);
  });

  it("keeps at most its capacity of series, the least recently updated dropped first", () => {
    const state = new CumulativeState(2);
    const sample = (timeNs: number) => ({ startNs: 0, timeNs, total: 1 });
    state.advance("a", sample(1));
    state.advance("b", sample(1));
    state.advance("a", sample(2));
    state.advance("c", sample(1));
    expect(state.size).toBe(2);
    // b was dropped: its next sample is a first one again (nothing to compare with, no start time).
    expect(state.advance("b", sample(5)).kind).toBe("none");
    // c was kept (a went to make room for b again).
    expect(state.advance("c", sample(6)).kind).toBe("interval");
    expect(state.advance("a", sample(7)).kind).toBe("none");
  });

  it("makes histogram quantiles from the buckets of the last interval, not of the whole life", () => {
    const state = new CumulativeState(100);
    const hist = (timeNs: number, bucketCounts: number[], sum: number): OtlpMetric => ({
      name: "lat",
      description: "",
      unit: "",
      histogram: {
        aggregationTemporality: 2,
        dataPoints: [{ ...base, startTimeUnixNano: T0, timeUnixNano: timeNs, count: bucketCounts.reduce((a, b) => a + b, 0), sum, bucketCounts, explicitBounds: [10, 20], min: 1, max: 30 }],
      },
    });
    const first = mapExportRequest(one(hist(T0 + 10 * S, [10, 0, 0], 50)), state, opts).points;
    expect(Object.fromEntries(first.map((p) => [p.series, p.value]))).toEqual({ "lat.count": 1, "lat.sum": 5, "lat.p50": 5.5, "lat.p90": 9.1, "lat.p99": 9.91 });
    // 10 more observations, all in (10, 20]: the quantiles of the interval are all there.
    const second = mapExportRequest(one(hist(T0 + 20 * S, [10, 10, 0], 200)), state, opts).points;
    expect(Object.fromEntries(second.map((p) => [p.series, p.value]))).toEqual({ "lat.count": 1, "lat.sum": 15, "lat.p50": 15, "lat.p90": 19, "lat.p99": 19.9 });
  });

  it("refuses a histogram whose buckets do not match its bounds, or that has too many", () => {
    const state = new CumulativeState(100);
    const hist = (bucketCounts: number[], explicitBounds: number[]): OtlpMetric => ({
      name: "bad",
      description: "",
      unit: "",
      histogram: { aggregationTemporality: 1, dataPoints: [{ ...base, startTimeUnixNano: T0, timeUnixNano: T0 + S, count: 1, bucketCounts, explicitBounds }] },
    });
    const mismatch = mapExportRequest(one(hist([1, 0], [1, 2])), state, opts);
    expect(mismatch.rejected).toBe(1);
    expect(mismatch.errors.items[0]!.message).toMatch(/bucketCounts has 2 entries; explicitBounds has 2, so it needs 3/);
    const many = mapExportRequest(one(hist(new Array<number>(300).fill(0), Array.from({ length: 299 }, (_, i) => i))), state, { ...opts, maxBuckets: 256 });
    expect(many.errors.items[0]!.message).toMatch(/300 buckets \(limit 256 per histogram\)/);
  });

  it("maps summaries to their quantiles and count/sum rates, and labels from resource and point attributes", () => {
    const state = new CumulativeState(100);
    const summary: OtlpMetric = {
      name: "rpc",
      description: "",
      unit: "",
      summary: {
        dataPoints: [{ attributes: [{ key: "method", value: { stringValue: "get" } }, { key: "service.name", value: { stringValue: "point-level" } }], flags: 0, startTimeUnixNano: T0, timeUnixNano: T0 + 4 * S, count: 8, sum: 2, quantileValues: [{ quantile: 0.5, value: 0.1 }, { quantile: 0.999, value: 0.9 }] }],
      },
    };
    const mapped = mapExportRequest(one(summary, { "service.name": "api", "telemetry.sdk.name": "opentelemetry" }), state, opts);
    // The point attribute service.name is the label service_name; the resource's service wins "service".
    const tail = '{method="get",service="api",service_name="point-level"}';
    expect(Object.fromEntries(mapped.points.map((p) => [p.series, p.value]))).toEqual({
      [`rpc.p50${tail}`]: 0.1,
      [`rpc.p99.9${tail}`]: 0.9,
      [`rpc.count${tail}`]: 2,
      [`rpc.sum${tail}`]: 0.5,
    });
  });

  it("keeps the millisecond of a nanosecond timestamp that a double cannot hold exactly", () => {
    // 1796522443002000000 ns is stored as a double just below it: dividing by 1e6 gives ...001.9998.
    const ms = 1_796_522_443_002;
    const timeNs = Number(BigInt(ms) * 1_000_000n);
    expect(timeNs / 1e6).toBeLessThan(ms);
    const metric: OtlpMetric = { name: "g", description: "", unit: "", gauge: { dataPoints: [{ ...base, startTimeUnixNano: 0, timeUnixNano: timeNs, asDouble: 1 }] } };
    const mapped = mapExportRequest(one(metric), new CumulativeState(10), { nowMs: ms, maxFutureMs: 300_000 });
    expect(mapped.points.map((p) => p.ts)).toEqual([ms]);
  });

  it("refuses a delta sum without a start time, a future point, and an unset temporality, each by name", () => {
    const state = new CumulativeState(100);
    const sum = (temporality: number, startNs: number, timeNs: number): OtlpMetric => ({
      name: "s",
      description: "",
      unit: "",
      sum: { aggregationTemporality: temporality, isMonotonic: true, dataPoints: [{ ...base, startTimeUnixNano: startNs, timeUnixNano: timeNs, asInt: 5 }] },
    });
    const messages = [sum(1, 0, T0), sum(2, T0, opts.nowMs * 1e6 + 3_600 * S), sum(0, T0, T0 + S)].map((m) => mapExportRequest(one(m), state, opts).errors.items[0]!.message);
    expect(messages[0]).toMatch(/a delta sum needs startTimeUnixNano before timeUnixNano/);
    expect(messages[1]).toMatch(/timeUnixNano: timestamp is 1 hour in the future \(limit 5m\)/);
    expect(messages[2]).toMatch(/aggregationTemporality 0 is neither delta \(1\) nor cumulative \(2\)/);
  });
});

describe("the generated protobuf code", () => {
  it("is exactly what scripts/gen-otlp-proto.sh makes from the vendored .proto files", () => {
    const out = mkdtempSync(join(tmpdir(), "otlp-gen-"));
    try {
      execFileSync("bash", ["scripts/gen-otlp-proto.sh"], { cwd: join(import.meta.dirname, ".."), env: { ...process.env, OTLP_GEN_OUT: out }, stdio: "pipe" });
      for (const file of ["otlp-metrics.js", "otlp-metrics.d.ts"]) {
        expect(readFileSync(join(out, file), "utf8"), file).toBe(readFileSync(join(import.meta.dirname, "../src/ingest/otlp/generated", file), "utf8"));
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("SeriesKeys", () => {
  it("answers name + tail whatever it holds, past its per-tail and tail bounds too", () => {
    const keys = new SeriesKeys(2, 2);
    for (let round = 0; round < 3; round++) {
      for (const tail of ['{a="1"}', '{a="2"}', '{a="3"}', ""]) {
        for (const name of ["m1", "m2", "m3"]) expect(keys.key(name, tail)).toBe(name + tail);
      }
    }
  });
});
