import type Database from "better-sqlite3";
import type { Rows } from "./history-query";
import { foldRows, sealRows } from "./series-state";
import type { SealedChunk, SeriesState, TierHead, TierSpec } from "./series-state";

/**
 * A rollup tier added to LIVEDASH_RETENTION (say `1h:365d` next to `1s:24h,1m:30d`) starts with no
 * rows, so before this a 30-day window read an empty hourly tier until a month had passed. It is now
 * rebuilt from the coarsest finer tier that was already there, series by series, a bounded share per
 * flush, with its progress in `meta` (`rebuild:<tier key>` = {cutoff, after}) so a restart goes on.
 *
 * `cutoff` is the start of the new tier's bucket at the first start with it: rows before it come from
 * the rebuild, points from it on go to the tier's head as usual. While a series is not rebuilt yet, its
 * head leaves points older than the cutoff alone (TierHead.rebuildBefore): the rebuild reads them from
 * the finer tier, so nothing is counted twice (a point the finer tier refuses, older than its
 * retention, goes to the new tier's head: the rebuild cannot bring it).
 *
 * The finer tier holds only its own retention, so the rebuilt rows start there: a 15m:90d tier rebuilt
 * from 1m:30d has nothing for days 30 to 90 until it has been there 90 days. `meta` keeps since when
 * each rebuilt tier is complete (`rebuilt:<tier key>` = {since}); before that time the query planner
 * lets the next coarser tier answer (history-query.ts), and the record goes once the whole retention
 * of the tier is newer than it.
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
const completeKey = (key: number) => `rebuilt:${key}`;

/** Since when each rebuilt tier is complete, by tier key: the answer of a query before it comes from a coarser tier. */
export type CompleteSince = Map<number, number>;

/**
 * The `rebuilt:<key>` records of the rollup tiers in `specs`; a record of a tier no longer in the list
 * is deleted (its rows went at start: if the tier comes back, it is rebuilt and recorded afresh).
 */
export function loadCompleteSince(db: Database.Database, specs: readonly TierSpec[]): CompleteSince {
  const out: CompleteSince = new Map();
  const keys = new Set(specs.filter((spec) => spec.rollup).map((spec) => completeKey(spec.key)));
  const remove = db.prepare("DELETE FROM meta WHERE key = ?");
  for (const row of db.prepare<[], { key: string; value: string }>("SELECT key, value FROM meta WHERE key LIKE 'rebuilt:%'").all()) {
    const since = (JSON.parse(row.value) as { since?: unknown }).since;
    if (keys.has(row.key) && typeof since === "number" && Number.isFinite(since)) out.set(Number(row.key.slice("rebuilt:".length)), since);
    else remove.run(row.key);
  }
  return out;
}

/**
 * Since when tier `spec` is complete after rebuilding one more series now from `source`: the source
 * keeps rows from `nowMs - its retention` (expiry deletes only chunks wholly older), or from its own
 * record if it was rebuilt too; rows from the job's cutoff on came to the tier's head live. Only grows
 * while the rebuild goes on (a series rebuilt later finds less in the source).
 */
export function completeSinceAfter(completeSince: CompleteSince, spec: TierSpec, source: TierSpec, job: RebuildJob, nowMs: number): number {
  const since = Math.min(job.cutoff, Math.max(nowMs - source.retentionMs, completeSince.get(source.key) ?? Number.NEGATIVE_INFINITY));
  return Math.max(completeSince.get(spec.key) ?? Number.NEGATIVE_INFINITY, since);
}

/** Deletes the records whose tier's whole retention is newer than them (nothing before them is kept any more). */
export function forgetCompleteRecords(db: Database.Database, specs: readonly TierSpec[], completeSince: CompleteSince, nowMs: number): void {
  for (const [key, since] of completeSince) {
    const spec = specs.find((s) => s.key === key);
    if (spec !== undefined && since >= nowMs - spec.retentionMs) continue;
    db.prepare("DELETE FROM meta WHERE key = ?").run(completeKey(key));
    completeSince.delete(key);
  }
}

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
      // A record left by an earlier life of this tier (dropped, then added again) says nothing now.
      db.prepare("DELETE FROM meta WHERE key = ?").run(completeKey(spec.key));
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
  for (const job of jobs) {
    if (state.id <= job.after) continue;
    const head = state.heads[job.tier] as TierHead;
    head.rebuildBefore = job.cutoff;
    head.rebuildSourceRetentionMs = (state.heads[job.source] as TierHead).spec.retentionMs;
  }
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

/**
 * Persists a job's progress (in the transaction that wrote its rows), or forgets it when done, and
 * since when the tier is complete (`since`, kept after the job is done; see forgetCompleteRecords).
 */
export function saveProgress(db: Database.Database, spec: TierSpec, job: RebuildJob, done: boolean, since: number | undefined): void {
  if (since !== undefined) {
    db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(completeKey(spec.key), JSON.stringify({ since }));
  }
  if (done) db.prepare("DELETE FROM meta WHERE key = ?").run(metaKey(spec));
  else db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(metaKey(spec), JSON.stringify({ cutoff: job.cutoff, after: job.after } satisfies Progress));
}
