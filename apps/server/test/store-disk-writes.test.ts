import { join } from "node:path";
import Database from "better-sqlite3";
import type { Point } from "@livedash/events";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDiskStore } from "../src/store/disk/disk-store";
import type { DiskStorage, DiskStoreOptions } from "../src/store/disk/disk-store";
import { CHUNK_ROWS } from "../src/store/disk/series-state";
import { DATA_FILE } from "../src/store/disk/sqlite";
import { copyDataDir, tempDataDir, tiers } from "./helpers/data-dir";

// What a flush writes (issue #11, review finding F5): each flush used to rewrite the whole head
// chunk of every changed series and tier, ~6 KB per accepted point. Now it writes its new points
// (20 bytes each) and only the heads that sealed a chunk; heads are written whole at snapshots.

const NOW = Date.UTC(2026, 0, 31, 12, 0, 0);
const SERIES = 50;
const RECORD = 20;

let data: ReturnType<typeof tempDataDir>;
const opened: DiskStorage[] = [];
const copies: ReturnType<typeof tempDataDir>[] = [];
let clock = NOW;

function open(overrides: Partial<DiskStoreOptions> = {}): DiskStorage {
  const disk = openDiskStore({ dataDir: data.dir, tiers: tiers("1s:1h,1m:1d,1h:30d"), now: () => clock, flushIntervalMs: 3_600_000, snapshotIntervalMs: 3_600_000, log: () => undefined, ...overrides });
  opened.push(disk);
  return disk;
}

beforeEach(() => {
  data = tempDataDir();
  clock = NOW;
});
afterEach(() => {
  for (const disk of opened.splice(0)) disk.close();
  for (const copy of copies.splice(0)) copy.remove();
  data.remove();
});

const names = Array.from({ length: SERIES }, (_, i) => `w.${i}`);
/** Second `s` of the run: one point per series on the 1 s grid, as a collector at 1 Hz sends. */
const tick = (s: number): Point[] => names.map((series, i) => ({ series, ts: NOW + s * 1000, value: Math.round(Math.sin(s / 7 + i) * 1000) / 100 }));

function runSeconds(disk: DiskStorage, from: number, to: number, onFlush?: (s: number, heads: number, logBytes: number) => void): void {
  for (let s = from; s < to; s++) {
    clock = NOW + s * 1000;
    const before = disk.stats();
    disk.store.append(tick(s));
    expect(disk.flush()).toBe(true);
    const after = disk.stats();
    onFlush?.(s, after.headRowsWritten - before.headRowsWritten, after.pointLogBytesWritten - before.pointLogBytesWritten);
  }
}

function allHistory(disk: DiskStorage, from: number, to: number) {
  // maxPoints large enough to stay on the raw tier, and a window for each rollup tier.
  return names.map((name) => ({
    raw: disk.store.history(name, { from, to, maxPoints: 100_000 }),
    minute: disk.store.history(name, { from, to, maxPoints: Math.max(2, Math.floor((to - from) / 60_000)) }),
    last: disk.store.catalog().find((c) => c.name === name)?.last,
  }));
}

/** Rows in a table, read from a copy of the files (the open store holds the file's exclusive lock). */
function table(count: "point_log" | "heads", dir = data.dir): number {
  const copy = copyDataDir(dir);
  const db = new Database(join(copy.dir, DATA_FILE));
  try {
    return (db.prepare(`SELECT count(*) AS n FROM ${count}`).get() as { n: number }).n;
  } finally {
    db.close();
    copy.remove();
  }
}

describe("disk store: what a flush writes", () => {
  it("writes only its new points (20 bytes each) and no head row until a head seals", () => {
    const disk = open();
    // The first flush writes the new series; from then on each flush is measured.
    runSeconds(disk, 0, 1);
    runSeconds(disk, 1, CHUNK_ROWS - 1, (_s, heads, logBytes) => {
      expect(heads).toBe(0);
      // One record per point plus one clock record for the append call.
      expect(logBytes).toBe((SERIES + 1) * RECORD);
    });
    // The flush that seals each raw chunk writes exactly the raw head of each series, with the chunk.
    runSeconds(disk, CHUNK_ROWS - 1, CHUNK_ROWS, (_s, heads, logBytes) => {
      expect(heads).toBe(SERIES);
      expect(logBytes).toBe((SERIES + 1) * RECORD);
    });
    // Bytes written per point over a whole chunk cycle: the log, plus the sealed head rows.
    const stats = disk.stats();
    const points = CHUNK_ROWS * SERIES;
    expect(stats.pointLogBytesWritten / points).toBeLessThan(22);
    expect(stats.headRowsWritten).toBe(SERIES);
  });

  it("a snapshot writes each changed head once and empties the point log", () => {
    const disk = open();
    runSeconds(disk, 0, 30);
    expect(table("point_log")).toBe(30);
    const before = disk.stats().headRowsWritten;
    expect(disk.flush(true)).toBe(true);
    // Three tiers per series, each changed since it was last written.
    expect(disk.stats().headRowsWritten - before).toBe(SERIES * 3);
    expect(table("point_log")).toBe(0);
    expect(table("heads")).toBe(SERIES * 3);
  });

  it("takes a snapshot by itself every snapshotIntervalMs", () => {
    const disk = open({ snapshotIntervalMs: 10_000 });
    runSeconds(disk, 0, 25);
    // Snapshots at 10 s and 20 s: only the flushes after the last one are still logged.
    expect(table("point_log")).toBeLessThan(10);
    expect(table("point_log")).toBeGreaterThan(0);
  });
});

describe("disk store: restart from the point log", () => {
  it("restores heads exactly after a crash (no close): raw, rollups, open buckets, late points, last", () => {
    const disk = open();
    runSeconds(disk, 0, 100);
    disk.flush(true);
    // After the snapshot: more in-order points, a seal of every raw head, and late points.
    runSeconds(disk, 100, 2 * CHUNK_ROWS + 30);
    disk.store.append(names.slice(0, 5).map((series, i) => ({ series, ts: NOW + 50_500 + i, value: -i })));
    runSeconds(disk, 2 * CHUNK_ROWS + 30, 2 * CHUNK_ROWS + 40);
    const from = NOW - 60_000;
    const to = NOW + (2 * CHUNK_ROWS + 40) * 1000;
    const expected = allHistory(disk, from, to);
    expect(table("point_log")).toBeGreaterThan(0);

    // What a kill -9 leaves: the writer never closes; a second store opens the files it left.
    const crashed = copyDataDir(data.dir);
    copies.push(crashed);
    const restarted = open({ dataDir: crashed.dir });
    expect(allHistory(restarted, from, to)).toEqual(expected);
    // And it goes on from there: the same chunks continue (no duplicate rows after a seal).
    runSeconds(restarted, 2 * CHUNK_ROWS + 40, 3 * CHUNK_ROWS + 5);
    const more = allHistory(restarted, from, NOW + 3 * CHUNK_ROWS * 1000 + 5000);
    for (const h of more) {
      const ts = h.raw.map((p) => p.ts);
      expect(new Set(ts.filter((t) => t % 1000 === 0)).size).toBe(ts.filter((t) => t % 1000 === 0).length);
    }
    restarted.close();
    const third = open({ dataDir: crashed.dir });
    expect(allHistory(third, from, NOW + 3 * CHUNK_ROWS * 1000 + 5000)).toEqual(more);
    // The clean close wrote a snapshot: nothing left to replay.
    expect(table("point_log", crashed.dir)).toBe(0);
  });
});

describe("disk store: replay log rows", () => {
  // recordBatch copies the point log records append() just wrote for the same batch instead of
  // encoding it again; a batch append() did not log whole (a point too old for every tier, a point
  // already recorded in an earlier batch) must still be logged whole and in order.
  it("logs every batch's points in order, whether append() logged them or not", () => {
    const disk = open({ replayBatches: 10 });
    const batches: Point[][] = [
      tick(0),
      // Older than every tier's retention: dropped by the store, still part of the batch.
      [{ series: "w.0", ts: NOW - 400 * 86_400_000, value: 1 }, ...tick(1)],
      tick(2),
    ];
    disk.store.append(batches[0]!);
    disk.recordBatch(1, batches[0]!);
    disk.store.append(batches[1]!);
    disk.recordBatch(2, batches[1]!);
    // Recorded without an append of its own (another array with the same points): encoded, not copied.
    disk.store.append(batches[2]!);
    disk.recordBatch(3, [...batches[2]!]);
    expect(disk.flush()).toBe(true);
    // A flush between append and recordBatch empties the point log: the batch is encoded.
    const later = tick(3);
    disk.store.append(later);
    expect(disk.flush()).toBe(true);
    disk.recordBatch(4, later);
    expect(disk.flush()).toBe(true);
    const crashed = copyDataDir(data.dir);
    copies.push(crashed);
    const restarted = open({ dataDir: crashed.dir, replayBatches: 10 });
    expect(restarted.ids.batches).toEqual([...batches, later].map((points, i) => ({ seq: i + 1, points })));
  });
});
