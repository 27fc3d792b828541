import type Database from "better-sqlite3";
import type { Rows } from "./history-query";
import { foldRows, sealRows } from "./series-state";
import type { SealedChunk, SeriesState, TierSpec } from "./series-state";

/**
 * A rollup tier added to LIVEDASH_RETENTION (say `1h:365d` next to `1s:24h,1m:30d`) starts with no
 * rows, so before this a 30-day window read an empty hourly tier until a month had passed. It is now
 * rebuilt from the coarsest finer tier that was already there, series by series, a bounded share per
 * flush, with its progress in `meta` (`rebuild:<tier key>` = {cutoff, after}) so a restart goes on.
 *
 * `cutoff` is the start of the new tier's bucket at the first start with it: rows before it come from
 * the rebuild, points from it on go to the tier's head as usual. While a series is not rebuilt yet, its
 * head leaves points older than the cutoff alone (TierHead.rebuildBefore): the rebuild reads them from
 * the finer tier, so nothing is counted twice.
 */
export interface RebuildJob {
  /** Index of the new tier in the specs. */
  readonly tier: number;
  /** Index of the tier it is rebuilt from. */
  readonly source: number;
  readonly cutoff: number;
  /** Series ids up to this one are done. */
  after: number;
  rows: number;
  series: number;
  /** Planned by this start (not resumed from a previous one): said once in the log. */
  readonly created: boolean;
}

interface Progress {
  cutoff: number;
  after: number;
}

const metaKey = (spec: TierSpec) => `rebuild:${spec.key}`;

/**
 * The rebuilds to run: those a previous run left unfinished, and every rollup tier with no rows while
 * another tier has some (a new tier; a brand new store has nothing to rebuild).
 */
export function planRebuilds(db: Database.Database, specs: readonly TierSpec[], nowMs: number): RebuildJob[] {
  const getMeta = db.prepare<[string], { value: string }>("SELECT value FROM meta WHERE key = ?");
  const setMeta = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  // Both use an index (chunks by tier and end, heads by series and tier is scanned: one row per series and tier).
  const hasChunks = db.prepare<[number], { one: number }>("SELECT 1 AS one FROM chunks WHERE tier = ? LIMIT 1");
  const hasHeads = db.prepare<[number], { one: number }>("SELECT 1 AS one FROM heads WHERE tier = ? LIMIT 1");
  const holds = (spec: TierSpec) => hasChunks.get(spec.key) !== undefined || hasHeads.get(spec.key) !== undefined;
  const jobs: RebuildJob[] = [];
  const fresh: number[] = [];
  specs.forEach((spec, index) => {
    if (!spec.rollup) return;
    const saved = getMeta.get(metaKey(spec));
    if (saved !== undefined) {
      const progress = JSON.parse(saved.value) as Progress;
      jobs.push({ tier: index, source: -1, cutoff: progress.cutoff, after: progress.after, rows: 0, series: 0, created: false });
    } else if (!holds(spec)) {
      fresh.push(index);
    }
  });
  if (fresh.length > 0 && specs.some((spec, index) => !fresh.includes(index) && holds(spec))) {
    for (const index of fresh) {
      const spec = specs[index] as TierSpec;
      const progress: Progress = { cutoff: Math.floor(nowMs / spec.stepMs) * spec.stepMs, after: 0 };
      setMeta.run(metaKey(spec), JSON.stringify(progress));
      jobs.push({ tier: index, source: -1, cutoff: progress.cutoff, after: 0, rows: 0, series: 0, created: true });
    }
  }
  const rebuilding = new Set(jobs.map((job) => job.tier));
  for (const job of jobs) {
    // The coarsest finer tier that is not being rebuilt itself (raw, the first, never is).
    let source = 0;
    for (let k = job.tier - 1; k > 0; k--) {
      if (!rebuilding.has(k)) {
        source = k;
        break;
      }
    }
    (job as { source: number }).source = source;
  }
  return jobs.sort((a, b) => a.tier - b.tier);
}

/** Marks the heads of a series not rebuilt yet (see TierHead.rebuildBefore). */
export function markRebuilding(state: SeriesState, jobs: readonly RebuildJob[]): void {
  for (const job of jobs) if (state.id > job.after) (state.heads[job.tier] as { rebuildBefore: number }).rebuildBefore = job.cutoff;
}

/** The new tier's rows for one series out of the source tier's rows (raw points or finer rollups), as sealed chunks. */
export function rebuildChunks(spec: TierSpec, seriesId: number, rows: Rows): SealedChunk[] {
  const buckets: Float64Array[] = [];
  let open: Float64Array | null = null;
  for (let i = 0; i < rows.length; i++) {
    const bucket = Math.floor((rows.ts[i] as number) / spec.stepMs) * spec.stepMs;
    const row = Float64Array.of(bucket, rows.min[i] as number, rows.max[i] as number, rows.sum[i] as number, rows.count[i] as number, rows.last[i] as number);
    if (open !== null && open[0] === bucket) foldRows(open, row);
    else {
      open = row;
      buckets.push(row);
    }
  }
  const sealed: SealedChunk[] = [];
  sealRows(spec, seriesId, buckets, sealed);
  return sealed;
}

/** Persists a job's progress (in the transaction that wrote its rows), or forgets it when done. */
export function saveProgress(db: Database.Database, spec: TierSpec, job: RebuildJob, done: boolean): void {
  if (done) db.prepare("DELETE FROM meta WHERE key = ?").run(metaKey(spec));
  else db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(metaKey(spec), JSON.stringify({ cutoff: job.cutoff, after: job.after } satisfies Progress));
}
