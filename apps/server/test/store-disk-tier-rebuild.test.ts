import type { Point } from "@livedash/events";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDiskStore } from "../src/store/disk/disk-store";
import type { DiskStorage } from "../src/store/disk/disk-store";
import { tempDataDir, tiers } from "./helpers/data-dir";

const MIN = 60_000;
const HOUR = 60 * MIN;
const NOW = Date.UTC(2026, 0, 31, 12, 0, 0);
let data: ReturnType<typeof tempDataDir>;

beforeEach(() => {
  data = tempDataDir();
});
afterEach(() => data.remove());

/** Flushes until the store says no tier is rebuilding (bounded: a flush does a bounded share of the work). */
function rebuildAll(disk: DiskStorage): number {
  let flushes = 0;
  while (disk.stats().tiersRebuilding > 0 && flushes < 1000) {
    expect(disk.flush()).toBe(true);
    flushes++;
  }
  expect(disk.stats().tiersRebuilding).toBe(0);
  return flushes;
}

/** What the new tier must hold: per bucket of `step`, min, max and mean of the points. */
function expected(points: readonly Point[], series: string, step: number) {
  const buckets = new Map<number, number[]>();
  for (const p of points) {
    if (p.series !== series) continue;
    const b = Math.floor(p.ts / step) * step;
    buckets.set(b, [...(buckets.get(b) ?? []), p.value]);
  }
  return [...buckets.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([ts, values]) => ({ ts, value: values.reduce((s, v) => s + v, 0) / values.length, min: Math.min(...values), max: Math.max(...values) }));
}

describe("a tier added to LIVEDASH_RETENTION is rebuilt from the data already stored (#11: it started empty)", () => {
  it("a new 1h tier is filled from the 1m tier, a bounded share per flush, and answers for the time before the change", () => {
    const clock = { now: NOW - 3 * HOUR };
    const first = openDiskStore({ dataDir: data.dir, tiers: tiers("1s:1h,1m:1d"), now: () => clock.now, log: () => undefined, flushIntervalMs: 3_600_000 });
    const points: Point[] = [];
    for (let i = 0; i < 3 * 360; i++) {
      for (const series of ["a", "b", "c"]) points.push({ series, ts: NOW - 3 * HOUR + i * 10_000, value: (i * 7) % 23 });
    }
    for (let i = 0; i < points.length; i += 300) {
      clock.now = (points[i] as Point).ts;
      first.store.append(points.slice(i, i + 300));
    }
    clock.now = NOW;
    first.close();

    const lines: string[] = [];
    const second = openDiskStore({ dataDir: data.dir, tiers: tiers("1s:1h,1m:1d,1h:30d"), now: () => clock.now, log: (line) => lines.push(line), flushIntervalMs: 3_600_000 });
    try {
      expect(second.stats().tiersRebuilding).toBe(1);
      // Live points keep arriving while it rebuilds (the current hour is the new tier's own).
      second.store.append([{ series: "a", ts: NOW, value: 1000 }]);
      rebuildAll(second);
      expect(lines.some((line) => /1h tier/.test(line) && /rebuil/.test(line))).toBe(true);
      // A 10-day window at 100 points reads the 1h tier: the 3 hours before the change are there.
      for (const series of ["a", "b", "c"]) {
        const history = second.store.history(series, { from: NOW - 10 * 24 * HOUR, to: NOW - 1, maxPoints: 100 });
        expect(history).toEqual(expected(points, series, HOUR));
      }
      const withLive = second.store.history("a", { from: NOW - 10 * 24 * HOUR, to: NOW, maxPoints: 100 });
      expect(withLive.at(-1)).toEqual({ ts: NOW, value: 1000, min: 1000, max: 1000 });
    } finally {
      second.close();
    }
    // Done once: the next start has nothing to rebuild, and nothing is counted twice.
    const third = openDiskStore({ dataDir: data.dir, tiers: tiers("1s:1h,1m:1d,1h:30d"), now: () => clock.now, log: () => undefined });
    try {
      expect(third.stats().tiersRebuilding).toBe(0);
      expect(third.store.history("b", { from: NOW - 10 * 24 * HOUR, to: NOW - 1, maxPoints: 100 })).toEqual(expected(points, "b", HOUR));
    } finally {
      third.close();
    }
  });

  it("a new 1m tier is rebuilt from raw points, also when the server stops half way", () => {
    const clock = { now: NOW - HOUR / 2 };
    const first = openDiskStore({ dataDir: data.dir, tiers: tiers("1s:1h"), now: () => clock.now, log: () => undefined, flushIntervalMs: 3_600_000 });
    const points: Point[] = [];
    for (let i = 0; i < 1800; i++) for (let s = 0; s < 4; s++) points.push({ series: `s${s}`, ts: NOW - HOUR / 2 + i * 1000, value: Math.sin(i + s) });
    first.store.append(points);
    clock.now = NOW;
    first.close();

    // A budget of one series per flush, and a stop after the first: the next start goes on where it was.
    const partial = openDiskStore({ dataDir: data.dir, tiers: tiers("1s:1h,1m:1d"), now: () => clock.now, log: () => undefined, rebuildSeriesPerFlush: 1 });
    expect(partial.stats().tiersRebuilding).toBe(1);
    expect(partial.flush()).toBe(true);
    partial.close();
    const second = openDiskStore({ dataDir: data.dir, tiers: tiers("1s:1h,1m:1d"), now: () => clock.now, log: () => undefined, rebuildSeriesPerFlush: 1 });
    try {
      expect(second.stats().tiersRebuilding).toBe(1);
      expect(rebuildAll(second)).toBeGreaterThanOrEqual(3);
      for (let s = 0; s < 4; s++) {
        // 6 h at 100 points reads the 1m tier.
        const history = second.store.history(`s${s}`, { from: NOW - 6 * HOUR, to: NOW - 1, maxPoints: 100 });
        const want = expected(points, `s${s}`, MIN);
        expect(history.map((p) => p.ts)).toEqual(want.map((p) => p.ts));
        history.forEach((p, i) => {
          expect(p.min).toBe(want[i]?.min);
          expect(p.max).toBe(want[i]?.max);
          expect(p.value).toBeCloseTo(want[i]?.value as number, 12);
        });
      }
    } finally {
      second.close();
    }
  });

  it("a window the new tier would answer, asked while it is still rebuilding, returned only the rows since the cutoff", () => {
    const DAY = 24 * HOUR;
    const clock = { now: NOW - 30 * DAY };
    const first = openDiskStore({ dataDir: data.dir, tiers: tiers("1s:1d,1m:30d,1h:365d"), now: () => clock.now, log: () => undefined, flushIntervalMs: 3_600_000 });
    // Two series, one point a minute for 30 days, value = hours since the start.
    for (let h = 0; h < 30 * 24; h++) {
      clock.now = NOW - 30 * DAY + h * HOUR;
      first.store.append(Array.from({ length: 120 }, (_, i) => ({ series: i % 2 === 0 ? "a" : "b", ts: clock.now + Math.floor(i / 2) * MIN, value: h })));
    }
    clock.now = NOW;
    first.close();

    const second = openDiskStore({ dataDir: data.dir, tiers: tiers("1s:1d,1m:30d,15m:90d,1h:365d"), now: () => clock.now, log: () => undefined, rebuildSeriesPerFlush: 1 });
    try {
      expect(second.stats().tiersRebuilding).toBe(1);
      // 30 days at 2000 points is the 15-minute tier's window (2 880 rows); until a series is rebuilt
      // the hourly tier answers it (the 1-minute tier's 43 200 rows are over the row budget).
      const window = { from: NOW - 30 * DAY, to: NOW - 1, maxPoints: 2000 };
      const hourly = Array.from({ length: 720 }, (_, h) => ({ ts: NOW - 30 * DAY + h * HOUR, value: h, min: h, max: h }));
      expect(second.store.history("a", window)).toEqual(hourly);
      expect(second.flush()).toBe(true);
      expect(second.stats().tiersRebuilding).toBe(1);
      // "a" is rebuilt (ids in order), "b" not yet: each answers the whole window.
      expect(second.store.history("a", window)).toHaveLength(2000);
      expect(second.store.history("b", window)).toEqual(hourly);
      rebuildAll(second);
      const rebuilt = second.store.history("b", window);
      expect(rebuilt).toHaveLength(2000);
      expect(rebuilt[0]).toMatchObject({ min: 0 });
      expect(rebuilt.at(-1)).toMatchObject({ max: 30 * 24 - 1 });
    } finally {
      second.close();
    }
  });
});
