import fc from "fast-check";
import type { HistoryPoint, Point } from "@livedash/events";
import { describe, expect, it } from "vitest";
import { bucketIndex } from "../src/store/downsample";
import { createSeriesStore } from "../src/store/series-store";

const T0 = 1_700_000_000_000;

function points(series: string, samples: ReadonlyArray<readonly [number, number]>): Point[] {
  return samples.map(([ts, value]) => ({ series, ts, value }));
}

/** What a ring of `capacity` keeps: all points stably sorted by ts, the newest `capacity` (late ones dropped when older than all). */
function retained(samples: ReadonlyArray<readonly [number, number]>, capacity: number): Array<readonly [number, number]> {
  let kept: Array<readonly [number, number]> = [];
  for (const sample of samples) {
    let at = kept.length;
    while (at > 0 && (kept[at - 1] as readonly [number, number])[0] > sample[0]) at--;
    if (kept.length === capacity && at === 0) continue;
    kept.splice(at, 0, sample);
    if (kept.length > capacity) kept = kept.slice(kept.length - capacity);
  }
  return kept;
}

/** Brute force: filter, sort, group by bucket with plain arrays, then mean/min/max. */
function referenceHistory(
  samples: ReadonlyArray<readonly [number, number]>,
  from: number,
  to: number,
  maxPoints: number,
): HistoryPoint[] {
  const inRange = samples.filter(([ts]) => ts >= from && ts <= to).sort((a, b) => a[0] - b[0]);
  if (inRange.length <= maxPoints) return inRange.map(([ts, value]) => ({ ts, value, min: value, max: value }));
  const groups = new Map<number, Array<readonly [number, number]>>();
  for (const sample of inRange) {
    const b = bucketIndex(sample[0], from, to, maxPoints);
    groups.set(b, [...(groups.get(b) ?? []), sample]);
  }
  return [...groups.keys()]
    .sort((a, b) => a - b)
    .map((b) => {
      const group = groups.get(b) ?? [];
      const values = group.map(([, v]) => v);
      return {
        ts: group.reduce((s, [ts]) => s + ts, 0) / group.length,
        value: values.reduce((s, v) => s + v, 0) / values.length,
        min: Math.min(...values),
        max: Math.max(...values),
      };
    });
}

describe("createSeriesStore", () => {
  it("returns raw points (min = max = value) when they fit", () => {
    const store = createSeriesStore();
    store.append(points("a", [[T0, 1], [T0 + 1000, 2], [T0 + 2000, 3]]));
    expect(store.history("a", { from: T0, to: T0 + 2000, maxPoints: 10 })).toEqual([
      { ts: T0, value: 1, min: 1, max: 1 },
      { ts: T0 + 1000, value: 2, min: 2, max: 2 },
      { ts: T0 + 2000, value: 3, min: 3, max: 3 },
    ]);
  });

  it("keeps peaks through downsampling: mean, min and max per equal-width bucket", () => {
    const store = createSeriesStore();
    const samples: Array<[number, number]> = [];
    for (let i = 0; i < 100; i++) samples.push([T0 + i * 1000, i === 37 ? 1000 : 1]);
    store.append(points("cpu", samples));
    const history = store.history("cpu", { from: T0, to: T0 + 99_000, maxPoints: 10 });
    expect(history).toHaveLength(10);
    expect(Math.max(...history.map((p) => p.max))).toBe(1000);
    const peakBucket = history.find((p) => p.max === 1000);
    expect(peakBucket?.min).toBe(1);
    expect(peakBucket?.value).toBeCloseTo((9 + 1000) / 10, 10);
    for (let i = 1; i < history.length; i++) {
      expect((history[i] as HistoryPoint).ts).toBeGreaterThan((history[i - 1] as HistoryPoint).ts);
    }
  });

  it("maxPoints = 1 collapses the range into one bucket", () => {
    const store = createSeriesStore();
    store.append(points("a", [[T0, 2], [T0 + 10, 4], [T0 + 20, 9]]));
    expect(store.history("a", { from: T0, to: T0 + 20, maxPoints: 1 })).toEqual([{ ts: T0 + 10, value: 5, min: 2, max: 9 }]);
  });

  it("honours inclusive from/to bounds and answers empty ranges and unknown series with []", () => {
    const store = createSeriesStore();
    store.append(points("a", [[T0, 1], [T0 + 10, 2], [T0 + 20, 3], [T0 + 30, 4]]));
    expect(store.history("a", { from: T0 + 10, to: T0 + 20, maxPoints: 100 }).map((p) => p.value)).toEqual([2, 3]);
    expect(store.history("a", { from: T0 + 11, to: T0 + 19, maxPoints: 100 })).toEqual([]);
    expect(store.history("a", { from: T0 + 40, to: T0 + 90, maxPoints: 100 })).toEqual([]);
    expect(store.history("a", { from: T0 + 20, to: T0 + 20, maxPoints: 100 }).map((p) => p.value)).toEqual([3]);
    expect(store.history("nope", { from: 0, to: T0 * 2, maxPoints: 100 })).toEqual([]);
  });

  it("rejects a bad query naming the field", () => {
    const store = createSeriesStore();
    expect(() => store.history("a", { from: 10, to: 5, maxPoints: 1 })).toThrow(/from must not be after to/);
    expect(() => store.history("a", { from: 0, to: 5, maxPoints: 0 })).toThrow(/maxPoints must be at least 1/);
  });

  it("rejects bad options naming the field", () => {
    expect(() => createSeriesStore({ capacityPerSeries: 0 })).toThrow(/capacityPerSeries must be at least 1/);
    expect(() => createSeriesStore({ resolutionMs: -1 })).toThrow(/resolutionMs must be positive/);
  });

  it("sizes rings from retentionMs / resolutionMs and wraps", () => {
    const store = createSeriesStore({ retentionMs: 10_000, resolutionMs: 1000 });
    store.append(points("a", Array.from({ length: 25 }, (_, i) => [T0 + i * 1000, i] as const)));
    const history = store.history("a", { from: 0, to: T0 * 2, maxPoints: 100 });
    expect(history.map((p) => p.value)).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
  });

  it("keeps late points in ts order and reports the newest as last", () => {
    const store = createSeriesStore();
    store.append(points("a", [[T0 + 2000, 2], [T0, 0], [T0 + 1000, 1]]));
    expect(store.history("a", { from: 0, to: T0 * 2, maxPoints: 10 }).map((p) => p.ts)).toEqual([T0, T0 + 1000, T0 + 2000]);
    expect(store.catalog()[0]?.last).toEqual({ ts: T0 + 2000, value: 2 });
  });

  it("catalogs every known series with defaults, and describe() merges metadata", () => {
    const store = createSeriesStore();
    store.append(points("b.pushed", [[T0, 7]]));
    store.describe([{ series: "a.described", unit: "percent", kind: "gauge", description: "CPU", thresholds: { warn: 80 } }]);
    store.describe([{ series: "a.described", description: "CPU busy" }]);
    store.describe([{ series: "b.pushed", kind: "rate" }]);
    expect(store.size()).toBe(2);
    expect(store.has("a.described")).toBe(true);
    expect(store.has("c")).toBe(false);
    expect(store.catalog()).toEqual([
      { name: "a.described", unit: "percent", kind: "gauge", description: "CPU busy", thresholds: { warn: 80 }, last: null },
      { name: "b.pushed", unit: "none", kind: "rate", description: "", last: { ts: T0, value: 7 } },
    ]);
  });

  it("applies a name's metadata to every labelled key of that name, and lists the described name alone only until a key of it exists", () => {
    const store = createSeriesStore();
    store.describe([{ series: "host.cpu.total", unit: "percent", description: "CPU busy", thresholds: { warn: 80 } }]);
    expect(store.catalog().map((s) => s.name)).toEqual(["host.cpu.total"]);
    store.append([
      { series: 'host.cpu.total{cpu="0",host="a"}', ts: T0, value: 12 },
      { series: 'host.cpu.total{host="a"}', ts: T0, value: 7 },
      { series: 'other{host="a"}', ts: T0, value: 1 },
    ]);
    expect(store.catalog()).toEqual([
      { name: 'host.cpu.total{cpu="0",host="a"}', unit: "percent", kind: "gauge", description: "CPU busy", thresholds: { warn: 80 }, last: { ts: T0, value: 12 } },
      { name: 'host.cpu.total{host="a"}', unit: "percent", kind: "gauge", description: "CPU busy", thresholds: { warn: 80 }, last: { ts: T0, value: 7 } },
      { name: 'other{host="a"}', unit: "none", kind: "gauge", description: "", last: { ts: T0, value: 1 } },
    ]);
    // A point under the bare name makes it a series of its own again.
    store.append([{ series: "host.cpu.total", ts: T0, value: 3 }]);
    expect(store.catalog().map((s) => s.name)).toEqual(["host.cpu.total", 'host.cpu.total{cpu="0",host="a"}', 'host.cpu.total{host="a"}', 'other{host="a"}']);
  });

  it("matches a brute-force reference for any data and query (property)", () => {
    // `+ 0` turns -0 into 0: Math.min in the reference and `<` in the store disagree only on the zero sign.
    const sample = fc.tuple(
      fc.integer({ min: 0, max: 5000 }),
      fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((v) => v + 0),
    );
    fc.assert(
      fc.property(
        fc.array(sample, { maxLength: 300 }),
        fc.integer({ min: -100, max: 5100 }),
        fc.integer({ min: 0, max: 5200 }),
        fc.integer({ min: 1, max: 50 }),
        // Small capacities make the ring wrap and drop late points; 1000 keeps everything.
        fc.oneof(fc.integer({ min: 1, max: 200 }), fc.constant(1000)),
        (samples, a, span, maxPoints, capacity) => {
          const store = createSeriesStore({ capacityPerSeries: capacity, initialCapacity: 4 });
          const shifted = samples.map(([ts, v]) => [T0 + ts, v] as const);
          store.append(points("s", shifted));
          const from = T0 + a;
          const to = from + span;
          const got = store.history("s", { from, to, maxPoints });
          const want = referenceHistory(retained(shifted, capacity), from, to, maxPoints);
          expect(got.length).toBeLessThanOrEqual(maxPoints);
          expect(got).toHaveLength(want.length);
          got.forEach((p, i) => {
            const w = want[i] as HistoryPoint;
            expect(p.min).toBe(w.min);
            expect(p.max).toBe(w.max);
            expect(p.value).toBeCloseTo(w.value, 6);
            expect(p.ts).toBeCloseTo(w.ts, 6);
            expect(p.ts).toBeGreaterThanOrEqual(from);
            expect(p.ts).toBeLessThanOrEqual(to);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
