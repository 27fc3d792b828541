import { readFileSync, truncateSync, writeFileSync, statSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import type { Point } from "@livedash/events";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDiskStore } from "../src/store/disk/disk-store";
import type { DiskStorage, DiskStoreOptions } from "../src/store/disk/disk-store";
import { DEFAULT_RETENTION, parseRetention } from "../src/store/disk/retention";
import { FULL_FLOOR_SERIES, RAW_ROWS_FLOOR, ROLLUP_ROWS_FLOOR } from "../src/store/disk/history-query";
import { StorageError } from "../src/store/disk/sqlite";
import { createSeriesStore } from "../src/store/series-store";
import { copyDataDir, tempDataDir, tiers } from "./helpers/data-dir";

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** A round "now" so bucket boundaries are easy to reason about. */
const NOW = Date.UTC(2026, 0, 31, 12, 0, 0);

let data: ReturnType<typeof tempDataDir>;
const opened: DiskStorage[] = [];
let clock = NOW;

function open(overrides: Partial<DiskStoreOptions> = {}): DiskStorage {
  const disk = openDiskStore({ dataDir: data.dir, tiers: tiers("1s:1h,1m:1d,1h:30d"), now: () => clock, flushIntervalMs: 60_000, log: () => undefined, ...overrides });
  opened.push(disk);
  return disk;
}

beforeEach(() => {
  data = tempDataDir();
  clock = NOW;
});
afterEach(() => {
  for (const disk of opened.splice(0)) disk.close();
  data.remove();
});

const series = (name: string, samples: readonly (readonly [number, number])[]): Point[] => samples.map(([ts, value]) => ({ series: name, ts, value }));

describe("disk store: raw tier", () => {
  it.each([
    ["late points included", false],
    // In ts order (equal ts too) a query reduces the decoded chunks directly, without the row copy.
    ["points in order", true],
  ])("answers raw windows exactly like the memory store, %s", (_, inOrder) => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 600 }), fc.double({ min: -1e6, max: 1e6, noNaN: true })), { minLength: 1, maxLength: 400 }),
        // Over a 10-minute window, more than 20 points keeps the query on the raw tier (11 one-minute
        // rows are fewer than maxPoints); the rollup tiers have their own tests below.
        fc.integer({ min: 21, max: 500 }),
        (samples, maxPoints) => {
          // A fresh directory per run, also when a run fails (shrinking reruns the property).
          opened.splice(0).forEach((d) => d.close());
          data.remove();
          data = tempDataDir();
          const disk = open();
          const memory = createSeriesStore({ retentionMs: HOUR });
          // Offsets are seconds before NOW, in random order: late points take the late path.
          const ordered = inOrder ? [...samples].sort((a, b) => a[0] - b[0]) : samples;
          const points = series("a", ordered.map(([s, v]) => [NOW - 600_000 + s * 1000, v] as const));
          disk.store.append(points);
          memory.append(points);
          const query = { from: NOW - 600_000, to: NOW, maxPoints };
          // Before the flush (late points in memory), after it (late chunks on disk), after a reopen.
          expect(disk.store.history("a", query)).toEqual(memory.history("a", query));
          disk.flush();
          expect(disk.store.history("a", query)).toEqual(memory.history("a", query));
          disk.close();
          expect(open().store.history("a", query)).toEqual(memory.history("a", query));
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe("disk store: restart", () => {
  it("keeps history, catalog, metadata and the last value across close and reopen", () => {
    const disk = open();
    const samples = Array.from({ length: 1000 }, (_, i) => [NOW - 1000_000 + i * 1000, Math.sin(i / 10)] as const);
    disk.store.append(series("host.cpu.user", samples));
    disk.store.describe([{ series: "host.cpu.user", unit: "percent", description: "user CPU", thresholds: { warn: 80 } }]);
    const query = { from: NOW - 1000_000, to: NOW, maxPoints: 2000 };
    const before = disk.store.history("host.cpu.user", query);
    expect(before).toHaveLength(1000);
    const catalog = disk.store.catalog();
    disk.close();

    const again = open();
    expect(again.store.history("host.cpu.user", query)).toEqual(before);
    expect(again.store.catalog()).toEqual(catalog);
    expect(again.store.catalog()[0]).toMatchObject({ unit: "percent", thresholds: { warn: 80 }, last: { ts: NOW - 1000, value: Math.sin(99.9) } });
    // Appending after the reopen continues the same chunks.
    again.store.append(series("host.cpu.user", [[NOW, 5]]));
    expect(again.store.history("host.cpu.user", query).at(-1)).toEqual({ ts: NOW, value: 5, min: 5, max: 5 });
  });

  it("applies a name's metadata to its labelled keys across close and reopen", () => {
    const disk = open();
    disk.store.describe([{ series: "host.net.rx_bytes_per_s", unit: "bytes_per_second", kind: "rate" }]);
    disk.store.append(series('host.net.rx_bytes_per_s{host="a",interface="lo"}', [[NOW - 1000, 10]]));
    const want = [{ name: 'host.net.rx_bytes_per_s{host="a",interface="lo"}', unit: "bytes_per_second", kind: "rate", description: "", last: { ts: NOW - 1000, value: 10 } }];
    expect(disk.store.catalog()).toEqual(want);
    disk.close();
    expect(open().store.catalog()).toEqual(want);
  });

  it("keeps what was flushed when the process never closes (the state a kill -9 leaves)", () => {
    const disk = open();
    disk.store.append(series("a", [[NOW - 2000, 1], [NOW - 1000, 2]]));
    disk.flush();
    disk.store.append(series("a", [[NOW, 3]]));
    // The files as a kill -9 leaves them (the writer holds an exclusive lock, so a second connection
    // cannot read them in place): only committed data is there, the unflushed point is what is lost.
    const copy = copyDataDir(data.dir);
    const other = openDiskStore({ dataDir: copy.dir, tiers: tiers("1s:1h,1m:1d,1h:30d"), now: () => clock, flushIntervalMs: 60_000, log: () => undefined });
    try {
      expect(other.store.history("a", { from: NOW - 10_000, to: NOW, maxPoints: 100 }).map((p) => p.value)).toEqual([1, 2]);
    } finally {
      other.close();
      copy.remove();
    }
  });
});

describe("disk store: tiers", () => {
  it("answers a window across raw and 1-minute data as one continuous series (tier boundary)", () => {
    const disk = open();
    // 3 hours at 1 s: the oldest 2 hours are past the raw tier's 1 h retention by the time we query.
    clock = NOW - 3 * HOUR;
    const start = NOW - 3 * HOUR;
    for (let s = 0; s < 3 * 3600; s += 60) {
      clock = start + s * 1000;
      disk.store.append(series("a", Array.from({ length: 60 }, (_, i) => [start + (s + i) * 1000, (s + i) % 60] as const)));
    }
    clock = NOW;
    disk.flush();
    const points = disk.store.history("a", { from: NOW - 3 * HOUR, to: NOW, maxPoints: 100_000 });
    // Strictly increasing ts, no gap larger than one minute, no overlap at the boundary.
    for (let i = 1; i < points.length; i++) {
      expect(points[i]!.ts).toBeGreaterThan(points[i - 1]!.ts);
      expect(points[i]!.ts - points[i - 1]!.ts).toBeLessThanOrEqual(MIN);
    }
    const boundary = Math.ceil((NOW - HOUR) / MIN) * MIN;
    const rollups = points.filter((p) => p.ts < boundary);
    const raw = points.filter((p) => p.ts >= boundary);
    // 2 hours of 1-minute rollups (mean 29.5, min 0, max 59 of 0..59), then 1 hour of raw seconds.
    expect(rollups).toHaveLength(120);
    for (const p of rollups) expect(p).toMatchObject({ value: 29.5, min: 0, max: 59 });
    expect(raw).toHaveLength(3600);
    expect(raw[0]).toEqual({ ts: boundary, value: 0, min: 0, max: 0 });
  });

  it("a window older than every finer tier's retention returns no points after `to` (upper bound clamped)", () => {
    const disk = open();
    const start = NOW - 10 * DAY;
    // One point a minute for the whole 10 days, so every tier has rows after the window too.
    for (let h = 0; h < 10 * 24; h++) {
      clock = start + h * HOUR;
      disk.store.append(series("a", Array.from({ length: 60 }, (_, m) => [clock + m * MIN, h] as const)));
    }
    clock = NOW;
    disk.flush();
    for (const [from, to] of [
      [start + 2 * HOUR, start + 2 * HOUR + 10 * MIN],
      [start + 5 * DAY, start + 5 * DAY + 3 * HOUR],
      [NOW - DAY - 30 * MIN, NOW - DAY + 30 * MIN],
    ] as const) {
      const points = disk.store.history("a", { from, to, maxPoints: 1000 });
      expect(points.length).toBeGreaterThan(0);
      for (const p of points) {
        expect(p.ts).toBeGreaterThanOrEqual(Math.floor(from / HOUR) * HOUR);
        expect(p.ts).toBeLessThanOrEqual(to);
      }
    }
    // Exactly the hour the 10-minute window falls in: value h = 2, nothing folded in from later hours.
    expect(disk.store.history("a", { from: start + 2 * HOUR, to: start + 2 * HOUR + 10 * MIN, maxPoints: 1000 })).toEqual([{ ts: start + 2 * HOUR, value: 2, min: 2, max: 2 }]);
  });

  it("accepts backfill as old as the longest retention into the tiers that keep it, and drops older points", () => {
    const disk = open();
    disk.store.append(series("a", [[NOW, 1]]));
    // 10 days old: past raw (1h) and 1-minute (1d) retention, inside the hourly tier's 30 days.
    const old = NOW - 10 * DAY;
    disk.store.append(series("a", [[old, 10], [old + MIN, 20], [old + 2 * MIN, 30]]));
    disk.store.append(series("a", [[NOW - 40 * DAY, 99]]));
    disk.flush();
    const answer = disk.store.history("a", { from: NOW - 31 * DAY, to: NOW, maxPoints: 10 });
    expect(answer[0]).toEqual({ ts: Math.floor(old / HOUR) * HOUR, value: 20, min: 10, max: 30 });
    expect(answer.some((p) => p.value === 99)).toBe(false);
    expect(disk.stats().droppedTooOld).toBe(1);
  });

  it("deletes chunks past their tier's retention", () => {
    const disk = open({ expiryIntervalMs: 0 });
    clock = NOW - 2 * HOUR;
    disk.store.append(series("a", Array.from({ length: 600 }, (_, i) => [clock + i * 1000, i] as const)));
    disk.flush();
    // Read once while the raw chunks exist, so decoded chunks sit in the cache when they expire.
    expect(disk.store.history("a", { from: clock, to: clock + 600_000, maxPoints: 100_000 })).toHaveLength(600);
    clock = NOW;
    disk.flush();
    // The raw points are gone from the raw tier; the window is still answered from rollups.
    const answer = disk.store.history("a", { from: NOW - 2 * HOUR, to: NOW - 2 * HOUR + 600_000, maxPoints: 100_000 });
    expect(answer).toHaveLength(10);
  });
});

describe("disk store: rows a history query reads", () => {
  const scanned = (disk: DiskStorage, run: () => void) => {
    const before = disk.stats().historyRowsScanned;
    run();
    return disk.stats().historyRowsScanned - before;
  };

  it("a raw window worth more than 2x maxPoints rows is answered from the 1-minute tier (history blocked the loop)", () => {
    const disk = open({ tiers: tiers("1s:1d,1m:30d,1h:365d") });
    const start = NOW - 6 * HOUR;
    for (let m = 0; m < 6 * 60; m++) {
      clock = start + m * MIN;
      disk.store.append(series("a", Array.from({ length: 60 }, (_, s) => [clock + s * 1000, s] as const)));
    }
    clock = NOW;
    disk.flush();
    // 6 h at 1 s is 21 600 raw rows; at maxPoints 5000 the 360 one-minute rows answer (mean of 0..59).
    let points: ReturnType<typeof disk.store.history> = [];
    const rows = scanned(disk, () => (points = disk.store.history("a", { from: start, to: NOW, maxPoints: 5000 })));
    expect(rows).toBeLessThanOrEqual(10_000);
    expect(points).toHaveLength(360);
    for (const p of points) expect(p).toMatchObject({ value: 29.5, min: 0, max: 59 });
    // A window the raw tier answers within budget still reads raw rows.
    expect(disk.store.history("a", { from: NOW - 10 * MIN, to: NOW, maxPoints: 1000 })).toHaveLength(600);
  });

  it("raw data denser than its nominal step counts by rows, not by window: 10 points a second", () => {
    const disk = open({ tiers: tiers("1s:1d,1m:30d,1h:365d") });
    const start = NOW - 30 * MIN;
    for (let s = 0; s < 30 * 60; s++) {
      clock = start + s * 1000;
      disk.store.append(series("a", Array.from({ length: 10 }, (_, i) => [clock + i * 100, i] as const)));
    }
    clock = NOW;
    disk.flush();
    // 30 min is 1800 nominal rows (inside the raw budget) but 18 000 real ones: the 30 one-minute rows answer.
    let points: ReturnType<typeof disk.store.history> = [];
    const rows = scanned(disk, () => (points = disk.store.history("a", { from: start, to: NOW - 1, maxPoints: 1000 })));
    expect(rows).toBeLessThanOrEqual(10_000);
    expect(points).toHaveLength(30);
    for (const p of points) expect(p).toMatchObject({ value: 4.5, min: 0, max: 9 });
  });
});

describe("disk store: which tier answers a long window (#11: 50 series x 1000 points over 30 days)", () => {
  const scanned = (disk: DiskStorage, run: () => void) => {
    const before = disk.stats().historyRowsScanned;
    run();
    return disk.stats().historyRowsScanned - before;
  };
  /** One point a minute for `days` days up to NOW, value = hours since the start. */
  function fillMinutes(disk: DiskStorage, days: number): number {
    const start = NOW - days * DAY;
    for (let h = 0; h < days * 24; h++) {
      clock = start + h * HOUR;
      disk.store.append(series("a", Array.from({ length: 60 }, (_, m) => [clock + m * MIN, h] as const)));
    }
    clock = NOW;
    disk.flush();
    return start;
  }

  it("a 30-day query at maxPoints 1000 returned 720 points: the default tiers answer it with 1000, from 15-minute rows", () => {
    const defaults = parseRetention(DEFAULT_RETENTION);
    if (!defaults.ok) throw new Error(defaults.message);
    const disk = open({ tiers: defaults.tiers });
    const start = fillMinutes(disk, 30);
    let points: ReturnType<typeof disk.store.history> = [];
    const rows = scanned(disk, () => (points = disk.store.history("a", { from: start, to: NOW, maxPoints: 1000 })));
    expect(points).toHaveLength(1000);
    // 2 880 rows of 15 minutes (plus the open buckets), not 43 200 minutes.
    expect(rows).toBeLessThanOrEqual(2 * 2880);
    expect(rows).toBeGreaterThanOrEqual(2880);
    // Each bucket is the mean of the minutes it holds: values are hours, so within [0, 720).
    for (let i = 1; i < points.length; i++) expect(points[i]!.ts).toBeGreaterThan(points[i - 1]!.ts);
    expect(points[0]!.min).toBe(0);
    expect(points.at(-1)!.max).toBe(30 * 24 - 1);
  });

  it("picks the coarsest tier that gives at least maxPoints rows", () => {
    const disk = open();
    const start = fillMinutes(disk, 10);
    // 10 days at 500 points: hourly rows (240) are fewer than 500, so 1-minute rows (the last day,
    // the older days from the hourly tier), reduced to 500.
    const tenDays = disk.store.history("a", { from: start, to: NOW, maxPoints: 500 });
    expect(tenDays.length).toBeLessThanOrEqual(500);
    expect(tenDays.length).toBeGreaterThan(240);
    // At 240 points, 240 hourly rows are enough: the answer is exactly one row per hour, whose mean is h.
    const hourly = disk.store.history("a", { from: start, to: NOW - 1, maxPoints: 240 });
    expect(hourly).toHaveLength(240);
    hourly.forEach((p, h) => expect(p).toEqual({ ts: start + h * HOUR, value: h, min: h, max: h }));
  });

  it("without an intermediate tier, a 30-day window at maxPoints 5000 reads hourly rows, not 43 200 minutes per series", () => {
    const disk = open({ tiers: tiers("1s:1d,1m:30d,1h:365d") });
    const start = fillMinutes(disk, 30);
    for (const maxPoints of [1000, 5000]) {
      let points: ReturnType<typeof disk.store.history> = [];
      const rows = scanned(disk, () => (points = disk.store.history("a", { from: start, to: NOW - 1, maxPoints })));
      expect(rows).toBeLessThanOrEqual(ROLLUP_ROWS_FLOOR);
      expect(points).toHaveLength(720);
      points.forEach((p, h) => expect(p).toEqual({ ts: start + h * HOUR, value: h, min: h, max: h }));
    }
  });

  it("a request for 1000 series shrinks the per-series row floors (1000 x 7 200 raw rows at maxPoints 200 was 7.2 M rows)", () => {
    const disk = open({ tiers: tiers("1s:1d,1m:30d,1h:365d") });
    // "a": 2 hours at 1 s; "b": a week at one point a minute.
    for (let m = 0; m < 7 * 24 * 60; m++) {
      clock = NOW - 7 * DAY + m * MIN;
      const points = series("b", [[clock, m % 60]]);
      if (clock >= NOW - 2 * HOUR) points.push(...series("a", Array.from({ length: 60 }, (_, s) => [clock + s * 1000, s] as const)));
      disk.store.append(points);
    }
    clock = NOW;
    disk.flush();
    const ask = (name: string, from: number, seriesInRequest: number) => {
      let points: ReturnType<typeof disk.store.history> = [];
      const rows = scanned(disk, () => (points = disk.store.history(name, { from, to: NOW - 1, maxPoints: 200, seriesInRequest })));
      return { rows, points: points.length };
    };
    // Alone (or among up to 200), the floors hold: 7 200 raw rows, 10 080 one-minute rows.
    expect(ask("a", NOW - 2 * HOUR, 1)).toEqual({ rows: 7200, points: 200 });
    expect(ask("b", NOW - 7 * DAY, 200)).toMatchObject({ points: 200 });
    // Among 1000 the floors are a fifth: the 1-minute and hourly tiers answer.
    expect(ask("a", NOW - 2 * HOUR, 1000)).toEqual({ rows: expect.any(Number), points: 120 });
    expect(ask("a", NOW - 2 * HOUR, 1000).rows).toBeLessThanOrEqual((RAW_ROWS_FLOOR * FULL_FLOOR_SERIES) / 1000);
    const week = ask("b", NOW - 7 * DAY, 1000);
    expect(week.points).toBe(168);
    expect(week.rows).toBeLessThanOrEqual((ROLLUP_ROWS_FLOOR * FULL_FLOOR_SERIES) / 1000);
  });

  it.each(["1s:1d,1m:30d,1h:365d", DEFAULT_RETENTION])("a week at maxPoints 1000 still reads 1-minute rows with %s (the dashboard's 7 d window keeps 1000 points)", (text) => {
    const disk = open({ tiers: tiers(text) });
    const start = fillMinutes(disk, 7);
    expect(disk.store.history("a", { from: start, to: NOW, maxPoints: 1000 })).toHaveLength(1000);
  });
});

describe("disk store: damaged files and a full disk", () => {
  it("refuses a corrupt data file with an error naming the file and what to do", () => {
    writeFileSync(join(data.dir, "livedash.db"), Buffer.alloc(8192, 7));
    expect(() => open()).toThrow(StorageError);
    expect(() => open()).toThrow(new RegExp(`data file ${join(data.dir, "livedash.db")} is not a SQLite database.*move the file aside`, "s"));
  });

  it("refuses a truncated data file", () => {
    const disk = open();
    for (let i = 0; i < 200; i++) disk.store.append(series(`s${i}`, Array.from({ length: 300 }, (_, j) => [NOW - 300_000 + j * 1000, Math.random()] as const)));
    disk.close();
    opened.length = 0;
    const file = join(data.dir, "livedash.db");
    truncateSync(file, Math.floor(statSync(file).size / 2));
    expect(() => open()).toThrow(/data file .*livedash\.db is (truncated|corrupt)/);
    expect(readFileSync(file).length).toBeGreaterThan(0);
  });

  it("on a full disk refuses writes with a clear reason, serves reads, and recovers when space returns", () => {
    const disk = open();
    disk.store.append(series("a", [[NOW - 1000, 1]]));
    expect(disk.flush()).toBe(true);
    disk.limitPages(1); // SQLite raises it to the current size: the file cannot grow any more
    for (let i = 0; i < 100; i++) disk.store.append(series(`new${i}`, Array.from({ length: 240 }, (_, j) => [NOW - 240_000 + j * 1000, Math.random()] as const)));
    expect(disk.flush()).toBe(false);
    expect(disk.store.writeBlocked?.()).toMatch(/storage is full: the data file .*livedash\.db cannot grow; free disk space/);
    expect(disk.store.history("a", { from: NOW - 10_000, to: NOW, maxPoints: 10 })).toHaveLength(1);
    expect(disk.store.history("new5", { from: NOW - 300_000, to: NOW, maxPoints: 1000 })).toHaveLength(240);
    disk.limitPages(null);
    expect(disk.flush()).toBe(true);
    expect(disk.store.writeBlocked?.()).toBeNull();
    disk.close();
    expect(open().store.history("new5", { from: NOW - 300_000, to: NOW, maxPoints: 1000 })).toHaveLength(240);
  });

  it("close on a full disk names how many accepted points it could not write", () => {
    const disk = open({ closeRetryMs: 0 });
    disk.store.append(series("a", [[NOW - 1000, 1]]));
    expect(disk.flush()).toBe(true);
    disk.limitPages(1);
    for (let i = 0; i < 100; i++) disk.store.append(series(`new${i}`, Array.from({ length: 240 }, (_, j) => [NOW - 240_000 + j * 1000, Math.random()] as const)));
    expect(disk.flush()).toBe(false);
    expect(() => disk.close()).toThrow(/^24000 accepted points were not written to .*livedash\.db at shutdown \(disk full\); they are lost$/);
  });
});

describe("LIVEDASH_RETENTION", () => {
  it.each([
    ["", /at least one tier/],
    ["1s", /"1s" is not <step>:<retention>/],
    ["1s:24x", /retention "24x" is not a duration/],
    ["1m:24h,1s:30d", /steps must grow/],
    ["1s:24h,1m:1h", /coarser tier must keep at least as long/],
    ["1s:24h,1m:30d,90s:365d", /multiple of the previous rollup step/],
    ["1s:11000d", /longer than 10 years/],
  ])("rejects %j naming the variable", (text, message) => {
    const parsed = parseRetention(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.message).toMatch(/^LIVEDASH_RETENTION: /);
      expect(parsed.message).toMatch(message);
    }
  });

  it("accepts the default tier list", () => {
    expect(parseRetention("1s:24h,1m:30d,1h:365d")).toEqual({
      ok: true,
      tiers: [
        { stepMs: 1000, retentionMs: DAY },
        { stepMs: MIN, retentionMs: 30 * DAY },
        { stepMs: HOUR, retentionMs: 365 * DAY },
      ],
    });
  });
});
