import { join } from "node:path";
import Database from "better-sqlite3";
import type { HistoryPoint } from "@livedash/events";
import { afterEach, describe, expect, it } from "vitest";
import { openDiskStore } from "../src/store/disk/disk-store";
import { tempDataDir, tiers } from "./helpers/data-dir";

const NOW = Date.UTC(2026, 0, 31, 12, 0, 0);
const SERIES = 10;
const SECONDS = 600;

const dirs: ReturnType<typeof tempDataDir>[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

/** Rows and bytes of the data file's chunks and heads, read after the store is closed. */
function onDisk(dir: string): { chunks: number; lateChunks: number; lateRows: number; bytes: number } {
  const db = new Database(join(dir, "livedash.db"), { readonly: true });
  try {
    const c = db.prepare<[], { n: number; late: number; bytes: number }>("SELECT count(*) AS n, coalesce(sum(late), 0) AS late, coalesce(sum(length(data)), 0) AS bytes FROM chunks").get()!;
    const h = db.prepare<[], { bytes: number }>("SELECT coalesce(sum(length(data)), 0) + coalesce(sum(length(open)), 0) AS bytes FROM heads").get()!;
    // A chunk's row count is the u32 after its 3-byte header prefix (chunk-codec.ts).
    let lateRows = 0;
    for (const { data } of db.prepare<[], { data: Uint8Array }>("SELECT data FROM chunks WHERE late = 1").iterate()) lateRows += new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(3, true);
    return { chunks: c.n, lateChunks: c.late, lateRows, bytes: c.bytes + h.bytes };
  } finally {
    db.close();
  }
}

/**
 * SERIES series at 1 s for SECONDS seconds, a flush after every second (as the 1 s timer does),
 * with `poison` points first: what an agent stamping ahead or a clock stepped back leaves.
 */
function run(poison: (start: number) => { series: string; ts: number; value: number }[], skewMs = 0) {
  const data = tempDataDir();
  dirs.push(data);
  const start = NOW - SECONDS * 1000;
  let clock = start;
  const disk = openDiskStore({ dataDir: data.dir, tiers: tiers("1s:1h,1m:1d,1h:30d"), now: () => clock, flushIntervalMs: 3_600_000, log: () => undefined });
  disk.store.append(poison(start));
  for (let s = 0; s < SECONDS; s++) {
    clock = start + s * 1000;
    disk.store.append(Array.from({ length: SERIES }, (_, k) => ({ series: `s${k}`, ts: clock + skewMs, value: Math.round(Math.sin((s + k) / 30) * 1000) / 100 })));
    disk.flush();
  }
  clock = NOW;
  const answers: HistoryPoint[][] = [];
  for (let k = 0; k < SERIES; k++) answers.push(disk.store.history(`s${k}`, { from: start, to: NOW - 1, maxPoints: 10_000 }));
  disk.close();
  return { answers, disk: onDisk(data.dir) };
}

describe("late points are merged into whole chunks (out-of-order timestamps multiplied disk use)", () => {
  it("one point per series 5 minutes ahead costs bytes and rows within a small factor of the clean run", () => {
    const clean = run(() => []);
    const ahead = run((start) => Array.from({ length: SERIES }, (_, k) => ({ series: `s${k}`, ts: start + 5 * 60_000 + 500, value: 1e6 })));
    // Every later point of the first 5 minutes is behind the far-ahead one: before the fix, one late chunk per flush per tier.
    expect(ahead.disk.chunks).toBeLessThanOrEqual(3 * clean.disk.chunks + 3 * SERIES);
    expect(ahead.disk.bytes).toBeLessThanOrEqual(2 * clean.disk.bytes);
    // The same answers, apart from the far-ahead point itself.
    for (let k = 0; k < SERIES; k++) expect(ahead.answers[k]!.filter((p) => p.value !== 1e6)).toEqual(clean.answers[k]);
  });

  it("a clock stepped back by a day keeps bytes and rows within a small factor of the clean run", () => {
    const clean = run(() => []);
    // Written with the clock a day ahead first, as before an NTP step back: every real point is a day late.
    const stepped = run((start) => Array.from({ length: SERIES }, (_, k) => ({ series: `s${k}`, ts: start + 86_400_000 + 500, value: 1e6 })));
    expect(stepped.disk.chunks).toBeLessThanOrEqual(3 * clean.disk.chunks + 3 * SERIES);
    expect(stepped.disk.bytes).toBeLessThanOrEqual(2 * clean.disk.bytes);
    for (let k = 0; k < SERIES; k++) expect(stepped.answers[k]!.filter((p) => p.value !== 1e6)).toEqual(clean.answers[k]);
  });
});

describe("a point far ahead of the clock stays out of the way of the points after it (#11: one far-future point made every later point late)", () => {
  it("one point per series 5 minutes ahead (just under maxFutureMs) is the only late row; the rest stay in order", () => {
    const clean = run(() => []);
    const ahead = run((start) => Array.from({ length: SERIES }, (_, k) => ({ series: `s${k}`, ts: start + 5 * 60_000 - 500, value: 1e6 })));
    expect(clean.disk.lateRows).toBe(0);
    // At most the far-ahead point itself, once per tier: 3 tiers.
    expect(ahead.disk.lateRows).toBeLessThanOrEqual(3 * SERIES);
    // Its answer holds the point, once, at its ts; the rest is the clean answer.
    for (let k = 0; k < SERIES; k++) {
      expect(ahead.answers[k]!.filter((p) => p.value === 1e6)).toHaveLength(1);
      expect(ahead.answers[k]!.filter((p) => p.value !== 1e6)).toEqual(clean.answers[k]);
    }
  });

  it("a series whose agent runs 2 minutes ahead all along stays in order (at most its first point is late)", () => {
    const skewed = run(() => [], 2 * 60_000);
    expect(skewed.disk.lateRows).toBeLessThanOrEqual(3 * SERIES);
  });
});
