import type { HistoryBuckets } from "@livedash/events";
import type { HistoryQuery } from "../types";
import { reduceRows } from "../downsample";
import type { AggregateRows } from "../downsample";
import type { DecodedChunk } from "./chunk-codec";
import { CHUNK_ROWS } from "./series-state";
import type { SeriesState, TierHead, TierSpec } from "./series-state";

export interface StoredChunk {
  decode(): DecodedChunk;
  readonly late: boolean;
  readonly startTs: number;
  readonly endTs: number;
}

/**
 * Raw rows a query may read per series, in multiples of maxPoints (or RAW_ROWS_FLOOR, whichever is
 * more), before the first rollup answers
 * instead: a 3-day raw window at 10 000 points is 259 200 rows per series decoded in one synchronous
 * call (seconds for 100 series); its 1-minute rows (4 320) say the same on a chart.
 */
export const RAW_ROWS_PER_POINT = 2;
/** Raw rows per series always allowed (a few ms to decode), so short windows keep every point at any maxPoints. */
export const RAW_ROWS_FLOOR = 10_000;
/**
 * Rollup rows per series always allowed: a week of 1-minute rows (10 080) and the sliver of a window
 * that does not start on a minute, so the dashboard's 7-day window at 1000 points keeps 1-minute rows.
 * Past it (and past 2 x maxPoints) the next coarser tier answers: a 30-day window at maxPoints 5000
 * would otherwise decode 43 200 five-column rows per series (50 series: over a second of blocked loop).
 */
export const ROLLUP_ROWS_FLOOR = 11_000;
/**
 * Series a request may read with the floors in full: the dashboard asks 200 series at a time. Past
 * it each floor shrinks in proportion, so a request's rows stay under 200 x the floor (2.2 M rollup
 * rows), not 1000 x: 1000 series at maxPoints 200 over 2 hours read 7 200 raw rows each (7.2 M) when
 * the floor counted per series alone.
 */
export const FULL_FLOOR_SERIES = 200;
const floorFor = (floor: number, seriesInRequest: number) => (seriesInRequest <= FULL_FLOOR_SERIES ? floor : Math.floor((floor * FULL_FLOOR_SERIES) / seriesInRequest));
const rawBudget = (maxPoints: number, seriesInRequest: number) => Math.max(RAW_ROWS_PER_POINT * maxPoints, floorFor(RAW_ROWS_FLOOR, seriesInRequest));
const rowBudget = (rollup: boolean, maxPoints: number, seriesInRequest: number) =>
  rollup ? Math.max(RAW_ROWS_PER_POINT * maxPoints, floorFor(ROLLUP_ROWS_FLOOR, seriesInRequest)) : rawBudget(maxPoints, seriesInRequest);

/** Rows a reused Rows (the store's query scratch) keeps room for between queries: 64 Ki rows, 3 MiB. */
const MAX_SCRATCH_ROWS = 65_536;

/** Counts what queries cost (rows scanned out of decoded chunks), for stats and tests. */
export interface QueryCost {
  rowsScanned: number;
}

/**
 * Reads sealed chunks of one series and tier whose start lies in [startFrom, startTo] and that end
 * at or after `endFrom`: in-order chunks by start, then late chunks in the order they were written.
 */
export type ChunkReader = (seriesId: number, tier: number, startFrom: number, startTo: number, endFrom: number) => StoredChunk[];

/** The decoded rows of a head's chunk (the store caches them under its chunk budget). */
export type HeadDecoder = (head: TierHead) => DecodedChunk;

/**
 * Rows gathered for one query, as parallel typed arrays grown by doubling (a raw point is a row with
 * count 1). Typed arrays, not JS arrays: a 30-day answer for 50 series pushes 36 000 rows into five
 * columns, and pushing onto growing JS arrays was the largest part of the store's time.
 */
export class Rows implements AggregateRows {
  ts: Float64Array;
  min: Float64Array;
  max: Float64Array;
  sum: Float64Array;
  count: Float64Array;
  /** The bucket's last value (a raw row's value): what a rebuilt coarser tier stores as `last`. */
  last: Float64Array;
  length = 0;

  constructor(capacity = 256) {
    this.ts = new Float64Array(capacity);
    this.min = new Float64Array(capacity);
    this.max = new Float64Array(capacity);
    this.sum = new Float64Array(capacity);
    this.count = new Float64Array(capacity);
    this.last = new Float64Array(capacity);
  }

  push(ts: number, min: number, max: number, sum: number, count: number, last: number): void {
    if (this.length === this.ts.length) this.grow(this.length + 1);
    const i = this.length++;
    this.ts[i] = ts;
    this.min[i] = min;
    this.max[i] = max;
    this.sum[i] = sum;
    this.count[i] = count;
    this.last[i] = last;
  }

  /**
   * Empties the rows for reuse with room for `capacity`. Columns that grew past MAX_SCRATCH_ROWS (a
   * store with a raw tier only, 10 points a second) are let go rather than held for every later query.
   */
  reset(capacity: number): this {
    this.length = 0;
    if (this.ts.length > MAX_SCRATCH_ROWS && capacity <= MAX_SCRATCH_ROWS) this.resize(capacity);
    else if (capacity > this.ts.length) this.grow(capacity);
    return this;
  }

  /** Appends row `i` of `other`. */
  pushFrom(other: Rows, i: number): void {
    this.push(other.ts[i] as number, other.min[i] as number, other.max[i] as number, other.sum[i] as number, other.count[i] as number, other.last[i] as number);
  }

  /**
   * Appends rows [from, to) of a decoded chunk, column by column (a typed-array copy, not a push per
   * row: most of a 30-day query's rows come from whole chunks inside the window).
   */
  appendChunk({ ts, columns }: DecodedChunk, rollup: boolean, from: number, to: number): void {
    const n = to - from;
    if (n <= 0) return;
    if (this.length + n > this.ts.length) this.grow(this.length + n);
    const at = this.length;
    const part = (column: Float64Array | undefined) => (column as Float64Array).subarray(from, to);
    this.ts.set(ts.subarray(from, to), at);
    if (rollup) {
      this.min.set(part(columns[0]), at);
      this.max.set(part(columns[1]), at);
      this.sum.set(part(columns[2]), at);
      this.count.set(part(columns[3]), at);
      this.last.set(part(columns[4]), at);
    } else {
      const values = part(columns[0]);
      this.min.set(values, at);
      this.max.set(values, at);
      this.sum.set(values, at);
      this.last.set(values, at);
      this.count.fill(1, at, at + n);
    }
    this.length += n;
  }

  /** Appends every row of `other`. */
  appendRows(other: Rows): void {
    const n = other.length;
    if (this.length + n > this.ts.length) this.grow(this.length + n);
    const at = this.length;
    this.ts.set(other.ts.subarray(0, n), at);
    this.min.set(other.min.subarray(0, n), at);
    this.max.set(other.max.subarray(0, n), at);
    this.sum.set(other.sum.subarray(0, n), at);
    this.count.set(other.count.subarray(0, n), at);
    this.last.set(other.last.subarray(0, n), at);
    this.length += n;
  }

  private grow(atLeast: number): void {
    this.resize(Math.max(atLeast, this.ts.length * 2));
  }

  private resize(capacity: number): void {
    const grown = (column: Float64Array) => {
      const next = new Float64Array(capacity);
      next.set(column.subarray(0, this.length));
      return next;
    };
    this.ts = grown(this.ts);
    this.min = grown(this.min);
    this.max = grown(this.max);
    this.sum = grown(this.sum);
    this.count = grown(this.count);
    this.last = grown(this.last);
  }
}

interface Segment {
  readonly head: TierHead;
  readonly lower: number;
  readonly upper: number;
  /** The newest segment includes `to` itself; older ones stop short of the next tier's start. */
  readonly upperInclusive: boolean;
}

/**
 * Picks the tiers that answer [from, to]. The preferred tier is the coarsest whose plan gives at
 * least maxPoints rows over the window (a 30-day window at 1000 points reads 2 880 rows of 15
 * minutes, not 720 hours, which gave 720 points, nor 43 200 minutes), unless that plan reads more
 * than the row budget per series (rowBudget): then the next coarser tier answers, with fewer rows
 * than maxPoints. The part of the window older than a tier's retention comes from the next coarser
 * tiers, so the answer is one continuous series; boundaries are aligned to the coarser tier's step,
 * so no bucket is counted twice. A tier still being rebuilt for this series (tier-rebuild.ts) lacks
 * its rows before the rebuild's cutoff: it answers no window that starts before it. A rebuilt tier
 * holds only what its source tier kept (`completeSince`, by tier key): like its retention, the part of
 * the window before that comes from the next coarser tier.
 */
export function planSegments(heads: readonly TierHead[], from: number, to: number, maxPoints: number, nowMs: number, minTier = 0, seriesInRequest = 1, completeSince: ReadonlyMap<number, number> = NONE_REBUILT): Segment[] {
  const tiers = heads.filter((head, k) => k === 0 || head.rebuildBefore <= from);
  const plans = tiers.map((_, k) => tierPlan(tiers, from, to, nowMs, k, completeSince));
  let preferred = 0;
  for (let k = tiers.length - 1; k > 0; k--) {
    if (nominalRows(plans[k] as Segment[]) >= maxPoints) {
      preferred = k;
      break;
    }
  }
  while (preferred < tiers.length - 1 && nominalRows(plans[preferred] as Segment[]) > rowBudget(preferred > 0, maxPoints, seriesInRequest)) preferred++;
  return plans[Math.min(Math.max(preferred, minTier), tiers.length - 1)] as Segment[];
}

/**
 * Rows a plan reads per series at each tier's nominal step: the step-aligned ts inside each segment
 * (a rollup row's ts is its bucket start). An upper bound for rollups; raw data may be denser (see
 * queryHistory).
 */
function nominalRows(segments: readonly Segment[]): number {
  let rows = 0;
  for (const { head, lower, upper, upperInclusive } of segments) {
    const step = head.spec.stepMs;
    rows += Math.ceil(upper / step) - Math.ceil(lower / step) + (upperInclusive && upper % step === 0 ? 1 : 0);
  }
  return rows;
}

const NONE_REBUILT: ReadonlyMap<number, number> = new Map();

/**
 * The segments when tier `first` answers: it, then coarser tiers for what is past its retention (or,
 * for a rebuilt tier, before it is complete: the coarsest tier answers what it holds, as nothing else does).
 */
function tierPlan(heads: readonly TierHead[], from: number, to: number, nowMs: number, first: number, completeSince: ReadonlyMap<number, number>): Segment[] {
  const segments: Segment[] = [];
  let upper = to;
  let upperInclusive = true;
  for (let k = first; k < heads.length; k++) {
    const head = heads[k] as TierHead;
    const coarser = heads[k + 1];
    const since = coarser === undefined ? Number.NEGATIVE_INFINITY : (completeSince.get(head.spec.key) ?? Number.NEGATIVE_INFINITY);
    const cutoff = Math.max(nowMs - head.spec.retentionMs, since);
    const boundary = coarser ? Math.ceil(cutoff / coarser.spec.stepMs) * coarser.spec.stepMs : cutoff;
    const lower = Math.max(from, boundary);
    if (lower < upper || (upperInclusive && lower === upper)) segments.push({ head, lower, upper, upperInclusive });
    if (boundary <= from) break;
    // A window older than this tier's retention must not grow past `to`: only ever narrow the upper bound.
    if (boundary < upper) {
      upper = boundary;
      upperInclusive = false;
    }
  }
  return segments;
}

function listChunks(state: SeriesState, segment: Segment, read: ChunkReader): StoredChunk[] {
  const { head, lower, upper } = segment;
  return read(state.id, head.spec.key, lower - head.spec.maxSpanMs, upper, lower);
}

/**
 * Rows of a segment inside its bounds, estimated without decoding: the head's count is exact, a
 * sealed chunk holds at most CHUNK_ROWS rows spread over its span.
 */
function estimateRows(segment: Segment, chunks: readonly StoredChunk[]): number {
  const { head, lower, upper } = segment;
  const part = (start: number, end: number, rows: number) => (end <= start ? rows : (rows * (Math.min(end, upper) - Math.max(start, lower))) / (end - start));
  let rows = head.enc !== null && head.enc.count > 0 ? part(head.enc.firstTs, head.enc.lastTs, head.enc.count) : 0;
  for (const chunk of chunks) rows += part(chunk.startTs, chunk.endTs, CHUNK_ROWS);
  return rows + head.late.length / 2;
}

function collect(segment: Segment, chunks: readonly StoredChunk[], decodeHead: HeadDecoder, rows: Rows, cost: QueryCost): void {
  const { head, lower, upper, upperInclusive } = segment;
  const spec: TierSpec = head.spec;
  const inRange = (ts: number) => ts >= lower && (ts < upper || (upperInclusive && ts === upper));
  const addChunk = (chunk: DecodedChunk) => {
    const { ts } = chunk;
    cost.rowsScanned += ts.length;
    // A chunk's ts never decrease (the encoder refuses it), so the rows in range are one run: the
    // whole chunk when its first and last rows are in range (most chunks of a long window).
    if (ts.length > 0 && inRange(ts[0] as number) && inRange(ts[ts.length - 1] as number)) {
      rows.appendChunk(chunk, spec.rollup, 0, ts.length);
      return;
    }
    let first = 0;
    while (first < ts.length && !inRange(ts[first] as number)) first++;
    let end = first;
    while (end < ts.length && inRange(ts[end] as number)) end++;
    rows.appendChunk(chunk, spec.rollup, first, end);
  };
  // Arrival order for equal timestamps (the stable sort in normalize keeps it): in-order chunks,
  // the head, then late chunks, then late points not flushed yet. A point in the head arrived
  // before any late point of the same ts, since the watermark only moves forward.
  for (const chunk of chunks) if (!chunk.late) addChunk(chunk.decode());
  if (head.enc !== null && head.enc.count > 0) addChunk(decodeHead(head));
  for (const chunk of chunks) if (chunk.late) addChunk(chunk.decode());
  // Late points not flushed yet: a rollup tier counts each in its bucket (merged below).
  for (let i = 0; i < head.late.length; i += 2) {
    const value = head.late[i + 1] as number;
    const ts = spec.rollup ? Math.floor((head.late[i] as number) / spec.stepMs) * spec.stepMs : (head.late[i] as number);
    if (inRange(ts)) rows.push(ts, value, value, value, 1, value);
  }
  const open = head.open;
  if (open !== null && inRange(open[0] as number)) rows.push(open[0] as number, open[1] as number, open[2] as number, open[3] as number, open[4] as number, open[5] as number);
}

/** Sorts rows by ts (stable) when late chunks made them overlap, and merges rollup rows of the same bucket. */
function normalize(rows: Rows, mergeEqual: boolean): Rows {
  let sorted = true;
  for (let i = 1; i < rows.length && sorted; i++) if ((rows.ts[i] as number) < (rows.ts[i - 1] as number)) sorted = false;
  let out = rows;
  if (!sorted) {
    const order = Array.from({ length: rows.length }, (_, i) => i).sort((a, b) => (rows.ts[a] as number) - (rows.ts[b] as number) || a - b);
    out = new Rows();
    for (const i of order) out.pushFrom(rows, i);
  }
  if (!mergeEqual) return out;
  let duplicates = false;
  for (let i = 1; i < out.length && !duplicates; i++) if (out.ts[i] === out.ts[i - 1]) duplicates = true;
  if (!duplicates) return out;
  const merged = new Rows();
  for (let i = 0; i < out.length; i++) {
    const last = merged.length - 1;
    if (last >= 0 && merged.ts[last] === out.ts[i]) {
      merged.min[last] = Math.min(merged.min[last] as number, out.min[i] as number);
      merged.max[last] = Math.max(merged.max[last] as number, out.max[i] as number);
      merged.sum[last] = (merged.sum[last] as number) + (out.sum[i] as number);
      merged.count[last] = (merged.count[last] as number) + (out.count[i] as number);
      merged.last[last] = out.last[i] as number;
    } else {
      merged.pushFrom(out, i);
    }
  }
  return merged;
}

/**
 * One series' answer. `scratch` (owned by the store, reused by every query) holds the rows of the
 * first segment: allocating six columns per series per query, and collecting them again, was a
 * quarter of a warm 30-day query's time. The answer is built from it before the call returns.
 */
export function queryHistory(
  state: SeriesState,
  read: ChunkReader,
  decodeHead: HeadDecoder,
  query: Required<HistoryQuery>,
  nowMs: number,
  cost: QueryCost,
  scratch?: Rows,
  completeSince: ReadonlyMap<number, number> = NONE_REBUILT,
): HistoryBuckets {
  const { from, to, maxPoints, seriesInRequest } = query;
  let segments = planSegments(state.heads, from, to, maxPoints, nowMs, 0, seriesInRequest, completeSince);
  let chunks = segments.map((segment) => listChunks(state, segment, read));
  // Raw data denser than its nominal step (10 points a second): the rows, not the window, decide.
  const first = segments[0];
  if (first !== undefined && !first.head.spec.rollup && state.heads.length > 1 && estimateRows(first, chunks[0] as StoredChunk[]) > rawBudget(maxPoints, seriesInRequest)) {
    segments = planSegments(state.heads, from, to, maxPoints, nowMs, 1, seriesInRequest, completeSince);
    chunks = segments.map((segment) => listChunks(state, segment, read));
  }
  // Oldest segment first, so rows come out in ts order without a sort in the common case.
  const parts: Rows[] = [];
  for (let s = segments.length - 1; s >= 0; s--) {
    const segment = segments[s] as Segment;
    // Sized from the estimate up front: growing by doubling from 256 cost three copies of six columns.
    const capacity = Math.max(16, Math.ceil(estimateRows(segment, chunks[s] as StoredChunk[])) + 2);
    const rows = parts.length === 0 && scratch !== undefined ? scratch.reset(capacity) : new Rows(capacity);
    collect(segment, chunks[s] as StoredChunk[], decodeHead, rows, cost);
    parts.push(normalize(rows, segment.head.spec.rollup));
  }
  let all = parts[0] ?? new Rows(0);
  if (parts.length > 1) {
    all = new Rows(parts.reduce((n, part) => n + part.length, 0));
    for (const part of parts) all.appendRows(part);
  }
  return reduceRows(all, 0, all.length, from, to, maxPoints);
}

/**
 * Every row one tier of a series holds in [lower, upper) (sealed, head, late, open bucket), sorted,
 * one row per bucket for rollups: what a new coarser tier is rebuilt from (tier-rebuild.ts).
 */
export function tierRows(state: SeriesState, tierIndex: number, lower: number, upper: number, read: ChunkReader, decodeHead: HeadDecoder, cost: QueryCost): Rows {
  const head = state.heads[tierIndex] as TierHead;
  const segment: Segment = { head, lower, upper, upperInclusive: false };
  const rows = new Rows();
  collect(segment, listChunks(state, segment, read), decodeHead, rows, cost);
  return normalize(rows, head.spec.rollup);
}
