import Database from "better-sqlite3";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDiskStore } from "../src/store/disk/disk-store";
import type { DiskStorage } from "../src/store/disk/disk-store";
import { tempDataDir, tiers } from "./helpers/data-dir";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 0, 31, 12, 0, 0);
/** Scaled default tiers: 1m keeps a day, so a rebuilt 15m tier can only get that day from it. */
const OLD_TIERS = "1s:1h,1m:1d,1h:30d";
const NEW_TIERS = "1s:1h,1m:1d,15m:3d,1h:30d";
let data: ReturnType<typeof tempDataDir>;

beforeEach(() => {
  data = tempDataDir();
});
afterEach(() => data.remove());

function rebuildAll(disk: DiskStorage): void {
  for (let i = 0; i < 1000 && disk.stats().tiersRebuilding > 0; i++) expect(disk.flush()).toBe(true);
  expect(disk.stats().tiersRebuilding).toBe(0);
}

/** `days` of live data for series a and b, a point every 5 minutes, value = hours since the first point. */
function seed(tierList: string, days: number): void {
  const start = NOW - days * DAY;
  const clock = { now: start };
  const first = openDiskStore({ dataDir: data.dir, tiers: tiers(tierList), now: () => clock.now, log: () => undefined, flushIntervalMs: 3_600_000 });
  for (let t = start; t < NOW; t += 5 * MIN) {
    clock.now = t;
    const value = Math.floor((t - start) / HOUR);
    first.store.append([{ series: "a", ts: t, value }, { series: "b", ts: t, value }]);
    if (t % HOUR === 0) first.flush();
  }
  clock.now = NOW;
  first.close();
}

const open = (clock: { now: number }, perFlush?: number) =>
  openDiskStore({ dataDir: data.dir, tiers: tiers(NEW_TIERS), now: () => clock.now, log: () => undefined, flushIntervalMs: 3_600_000, rebuildSeriesPerFlush: perFlush });

/** The meta rows that say since when a rebuilt tier is complete (read from the closed file). */
function completeRecords(): string[] {
  const db = new Database(join(data.dir, "livedash.db"), { readonly: true });
  try {
    return db.prepare<[], { key: string }>("SELECT key FROM meta WHERE key LIKE 'rebuilt:%' ORDER BY key").all().map((row) => row.key);
  } finally {
    db.close();
  }
}

/** Every hour of [from, to) has a point of the answer: no hole anywhere in the window. */
function emptyHours(history: readonly { ts: number }[], from: number, to: number): number[] {
  const empty: number[] = [];
  for (let h = from; h < to; h += HOUR) if (!history.some((p) => p.ts >= h && p.ts < h + HOUR)) empty.push((NOW - h) / HOUR);
  return empty;
}

describe("a tier rebuilt from a finer tier holds only what the finer tier kept (#11 review: hole after an upgrade)", () => {
  it("a 15m tier rebuilt from a 1m tier of one day answered a 60-hour window with a hole where the 1h tier had the data", () => {
    seed(OLD_TIERS, 3);
    const clock = { now: NOW };
    const window = { from: NOW - 60 * HOUR, to: NOW - 1, maxPoints: 100 };
    // Entirely older than the 1m tier's day: the hourly rows, hours 12 to 41 of the data.
    const older = { from: NOW - 60 * HOUR, to: NOW - 30 * HOUR - 1, maxPoints: 100 };
    const hourly = Array.from({ length: 30 }, (_, i) => ({ ts: NOW - 60 * HOUR + i * HOUR, value: 12 + i, min: 12 + i, max: 12 + i }));
    const check = (disk: DiskStorage) => {
      for (const series of ["a", "b"]) {
        const history = disk.store.history(series, window);
        expect(emptyHours(history, window.from, window.to), series).toEqual([]);
        expect(Math.min(...history.map((p) => p.min))).toBe(12);
        expect(Math.max(...history.map((p) => p.max))).toBe(71);
        expect(disk.store.history(series, older)).toEqual(hourly);
      }
    };

    // One series per flush and a stop half way: the record goes on with the progress.
    const partial = open(clock, 1);
    expect(partial.stats().tiersRebuilding).toBe(1);
    expect(partial.flush()).toBe(true);
    expect(partial.stats().tiersRebuilding).toBe(1);
    partial.close();
    const second = open(clock, 1);
    try {
      rebuildAll(second);
      check(second);
      // The last day of that window still comes from the 15-minute rows (100 buckets of 36 minutes:
      // 40 of them in the last day; hourly rows would give 24).
      expect(second.store.history("a", window).filter((p) => p.ts >= NOW - DAY).length).toBeGreaterThan(30);
    } finally {
      second.close();
    }
    // Kept after the rebuild is done: the next start answers the same.
    expect(completeRecords()).toEqual(["rebuilt:900000"]);
    // The record says "complete since NOW - 1 day"; it goes once the 15m tier's 3 days are all newer
    // (at an expiry pass). A live point keeps the 1m tier holding rows (an emptied tier counts as new).
    const liveAt = (when: number, before: (disk: DiskStorage) => void) => {
      const disk = open(clock);
      try {
        expect(disk.stats().tiersRebuilding).toBe(0);
        before(disk);
        clock.now = when;
        disk.store.append([{ series: "a", ts: when, value: 0 }]);
        expect(disk.flush()).toBe(true);
      } finally {
        disk.close();
      }
    };
    liveAt(NOW + 2 * DAY - HOUR, check);
    expect(completeRecords()).toEqual(["rebuilt:900000"]);
    liveAt(NOW + 2 * DAY + HOUR, () => undefined);
    expect(completeRecords()).toEqual([]);
  });

  it("a backfilled point older than the source tier's retention, sent while its series was not rebuilt yet, was lost to the new tiers", () => {
    // Two tiers new at once (15m and 1h): both are rebuilt from the 1m tier's day, so nothing else holds day 2.
    seed("1s:1h,1m:1d", 2);
    const clock = { now: NOW };
    const lines: string[] = [];
    const second = openDiskStore({ dataDir: data.dir, tiers: tiers(NEW_TIERS), now: () => clock.now, log: (line) => lines.push(line), flushIntervalMs: 3_600_000, rebuildSeriesPerFlush: 1 });
    try {
      expect(second.stats().tiersRebuilding).toBe(2);
      // Neither series is rebuilt yet; 40 h ago is past the 1m tier's day and raw's hour.
      second.store.append([{ series: "b", ts: NOW - 40 * HOUR, value: 500 }]);
      expect(second.stats().droppedTooOld).toBe(0);
      rebuildAll(second);
      const old = { from: NOW - 48 * HOUR, to: NOW - 30 * HOUR, maxPoints: 100 };
      expect(second.store.history("b", old)).toEqual([{ ts: NOW - 40 * HOUR, value: 500, min: 500, max: 500 }]);
      expect(second.store.history("a", old)).toEqual([]);
      // The last day is whole and the backfill is in no other bucket (counted once).
      const lastDay = second.store.history("b", { from: NOW - DAY, to: NOW - 1, maxPoints: 100 });
      expect(emptyHours(lastDay, NOW - DAY, NOW)).toEqual([]);
      expect(Math.max(...lastDay.map((p) => p.max))).toBe(47);
    } finally {
      second.close();
    }
  });
});
