import { describe, expect, it } from "vitest";
import { CumulativeState } from "../src/ingest/otlp/cumulative-state";
import { exponentialQuantile, layoutIncrease, type ExponentialLayout } from "../src/ingest/otlp/exponential-histogram";
import { mapExportRequest } from "../src/ingest/otlp/map-request";
import type { OtlpExponentialHistogramPoint, OtlpExportRequest } from "../src/ingest/otlp/model";

const S = 1e9;
const T0 = 1_700_000_000 * S;
const opts = { nowMs: T0 / 1e6 + 3_600_000, maxFutureMs: 300_000 };

/**
 * Buckets `values` as the OTel SDK does (the reference here, written independently of the code under
 * test): |v| goes to index ceil(log2(|v|) * 2^scale) - 1, so bucket i holds (base^i, base^(i+1)].
 */
function bucketize(values: readonly number[], scale: number, zeroThreshold = 0): ExponentialLayout {
  const side = (indexes: number[]) => {
    if (indexes.length === 0) return { offset: 0, counts: [] as number[] };
    const offset = Math.min(...indexes);
    const counts = new Array<number>(Math.max(...indexes) - offset + 1).fill(0);
    for (const i of indexes) counts[i - offset]! += 1;
    return { offset, counts };
  };
  const index = (v: number) => Math.ceil(Math.log2(Math.abs(v)) * 2 ** scale) - 1;
  const positive = values.filter((v) => v > zeroThreshold).map(index);
  const negative = values.filter((v) => v < -zeroThreshold).map(index);
  const zeroCount = values.filter((v) => Math.abs(v) <= zeroThreshold).length;
  return { scale, zeroCount, zeroThreshold, positive: side(positive), negative: side(negative) };
}

/** The layout without empty buckets at either end of each side (the same distribution, offsets moved). */
function trimmed(layout: ExponentialLayout): ExponentialLayout {
  const trim = (side: ExponentialLayout["positive"]) => {
    const first = side.counts.findIndex((c) => c > 0);
    if (first === -1) return { offset: 0, counts: [] };
    let end = side.counts.length;
    while (side.counts[end - 1] === 0) end--;
    return { offset: side.offset + first, counts: side.counts.slice(first, end) };
  };
  return { ...layout, positive: trim(layout.positive), negative: trim(layout.negative) };
}

/** The exact q-quantile of sorted values (nearest rank). */
function exact(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** A deterministic pseudo-random stream (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("exponential histogram quantiles", () => {
  const distributions: [string, (r: () => number) => number][] = [
    ["uniform 1..1000", (r) => 1 + 999 * r()],
    ["exponential, mean 50 ms", (r) => -50 * Math.log(1 - r())],
    ["log-normal (latencies)", (r) => Math.exp(3 + 1.2 * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()))],
  ];

  it.each(distributions)("are within one bucket of the exact quantiles of %s (scale 4 and 8)", (_name, draw) => {
    const r = random(42);
    const values = Array.from({ length: 20_000 }, () => draw(r));
    const sorted = [...values].sort((a, b) => a - b);
    for (const scale of [4, 8]) {
      const layout = bucketize(values, scale);
      const growth = 2 ** 2 ** -scale; // a bucket's upper bound over its lower
      for (const q of [0.5, 0.9, 0.99]) {
        const estimate = exponentialQuantile(q, layout);
        const truth = exact(sorted, q);
        expect(estimate / truth, `q=${q} scale=${scale}`).toBeGreaterThanOrEqual(1 / growth);
        expect(estimate / truth, `q=${q} scale=${scale}`).toBeLessThanOrEqual(growth);
      }
    }
  });

  it("orders negative buckets, the zero bucket and positive buckets from the most negative value up", () => {
    const values = [-80, -40, -20, -10, 0, 0, 0.0005, 10, 20, 40, 80];
    const layout = bucketize(values, 0, 0.001);
    expect(layout.zeroCount).toBe(3);
    // Scale 0: bucket i is (2^i, 2^(i+1)]; -80 is in [-128, -64), the rank 0.5 * 11 = 5.5 falls in the zero bucket.
    expect(exponentialQuantile(0, layout)).toBe(-128);
    expect(exponentialQuantile(0.5, layout)).toBeGreaterThanOrEqual(-0.001);
    expect(exponentialQuantile(0.5, layout)).toBeLessThanOrEqual(0.001);
    expect(exponentialQuantile(1, layout)).toBe(128);
    // min and max close the outer buckets.
    expect(exponentialQuantile(0, layout, -80, 80)).toBe(-80);
    expect(exponentialQuantile(1, layout, -80, 80)).toBe(80);
    // Only zeros, threshold 0: every quantile is 0. Nothing counted: NaN.
    expect(exponentialQuantile(0.99, bucketize([0, 0, 0], 3))).toBe(0);
    expect(exponentialQuantile(0.5, bucketize([], 3))).toBeNaN();
  });

  it("takes the increase between two cumulative layouts, folding the earlier one into a coarser scale", () => {
    const r = random(7);
    const before = Array.from({ length: 5000 }, () => 1 + 99 * r());
    const after = Array.from({ length: 5000 }, () => 1000 + 9000 * r());
    // The SDK rescales from 5 to 2 when the range grows: the earlier counts fold into the wider buckets.
    const prev = bucketize(before, 5);
    const next = bucketize([...before, ...after], 2);
    const increase = layoutIncrease(prev, next)!;
    expect(trimmed(increase)).toEqual(trimmed(bucketize(after, 2)));
    // The interval's quantiles are those of what was observed in it, not of the whole life.
    expect(exponentialQuantile(0.5, increase)).toBeGreaterThan(1000);
    // A finer scale than before cannot be a continuation: a restart.
    expect(layoutIncrease(bucketize(before, 2), bucketize(before, 5))).toBeNull();
  });
});

function exponentialRequest(points: OtlpExponentialHistogramPoint[], temporality = 2): OtlpExportRequest {
  return {
    resourceMetrics: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: "svc" } }] },
        scopeMetrics: [{ metrics: [{ name: "rpc.duration", description: "", unit: "ms", exponentialHistogram: { aggregationTemporality: temporality, dataPoints: points } }] }],
      },
    ],
  };
}

function point(layout: ExponentialLayout, values: readonly number[], startNs: number, timeNs: number): OtlpExponentialHistogramPoint {
  return {
    attributes: [],
    flags: 0,
    startTimeUnixNano: startNs,
    timeUnixNano: timeNs,
    count: values.length,
    sum: values.reduce((a, b) => a + b, 0),
    scale: layout.scale,
    zeroCount: layout.zeroCount,
    zeroThreshold: layout.zeroThreshold,
    positive: { offset: layout.positive.offset, bucketCounts: [...layout.positive.counts] },
    negative: { offset: layout.negative.offset, bucketCounts: [...layout.negative.counts] },
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

describe("OTLP exponential histograms as series", () => {
  it("make .count, .sum and the same quantile series as explicit histograms, per interval for cumulative points", () => {
    const state = new CumulativeState(100);
    const first = Array.from({ length: 100 }, (_, i) => i + 1);
    const second = Array.from({ length: 100 }, (_, i) => 1001 + i * 10);
    const mapped1 = mapExportRequest(exponentialRequest([point(bucketize(first, 3), first, T0, T0 + 10 * S)]), state, opts);
    const byName1 = Object.fromEntries(mapped1.points.map((p) => [p.series, p.value]));
    expect(Object.keys(byName1).sort()).toEqual(["count", "p50", "p90", "p99", "sum"].map((s) => `rpc.duration.${s}{service="svc"}`));
    expect(byName1['rpc.duration.count{service="svc"}']).toBe(10); // 100 over 10 s since the start
    const growth = 2 ** 2 ** -3;
    expect(byName1['rpc.duration.p50{service="svc"}']! / 50).toBeGreaterThan(1 / growth);
    expect(byName1['rpc.duration.p50{service="svc"}']! / 50).toBeLessThan(growth);
    // First sample since the start: min and max describe the window, so p99 is at most 100.
    expect(byName1['rpc.duration.p99{service="svc"}']).toBeLessThanOrEqual(100);

    // The next export is cumulative at a coarser scale (the SDK rescaled): the quantiles are the interval's.
    const all = [...first, ...second];
    const mapped2 = mapExportRequest(exponentialRequest([point(bucketize(all, 1), all, T0, T0 + 20 * S)]), state, opts);
    const byName2 = Object.fromEntries(mapped2.points.map((p) => [p.series, p.value]));
    expect(byName2['rpc.duration.count{service="svc"}']).toBe(10);
    expect(byName2['rpc.duration.p50{service="svc"}']).toBeGreaterThan(1000);
    expect(byName2['rpc.duration.p50{service="svc"}']).toBeLessThan(2 * 1500);
  });

  it("takes delta points as they are, and refuses bad layouts naming the field and the limit", () => {
    const values = [1, 2, 3, 4];
    const delta = mapExportRequest(exponentialRequest([point(bucketize(values, 0), values, T0, T0 + 2 * S)], 1), new CumulativeState(10), opts);
    expect(delta.points.find((p) => p.series.startsWith("rpc.duration.count"))!.value).toBe(2);
    expect(delta.points.some((p) => p.series.startsWith("rpc.duration.p50"))).toBe(true);

    const bad = (patch: Partial<OtlpExponentialHistogramPoint>) =>
      mapExportRequest(exponentialRequest([{ ...point(bucketize(values, 0), values, T0, T0 + 2 * S), ...patch }], 1), new CumulativeState(10), opts);
    expect(bad({ scale: 21 }).errors.items[0]!.message).toMatch(/dataPoints\[0\]: scale 21 is outside -10\.\.20/);
    expect(bad({ positive: { offset: 0, bucketCounts: new Array(257).fill(1) } }).errors.items[0]!.message).toMatch(/positive\.bucketCounts has 257 buckets \(limit 256 per side\)/);
    expect(bad({ negative: { offset: 2 ** 40, bucketCounts: [1] } }).errors.items[0]!.message).toMatch(/negative\.offset .* int32/);
    expect(bad({ zeroThreshold: -1 }).errors.items[0]!.message).toMatch(/zeroThreshold -1/);
    expect(bad({ scale: 21 }).rejected).toBe(1);
    expect(bad({ scale: 21 }).points).toEqual([]);
  });
});
