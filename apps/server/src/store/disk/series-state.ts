import type { RetentionTier } from "./retention";
import { ChunkEncoder } from "./chunk-codec";
import type { CatalogFields } from "../series-meta";

/**
 * Rows per sealed chunk. Prometheus seals at 120 samples; twice that halves the per-row overhead
 * of SQLite (key, index entries) per point, and a one-hour raw query still reads only 15 chunks.
 */
export const CHUNK_ROWS = 240;
/** Longest time a raw chunk may cover, so a range query knows how far before `from` to look. */
export const RAW_MAX_SPAN_MS = 4 * 3_600_000;
/**
 * How far a point may lead both the store's clock and its series' newest in-order point before it is
 * treated as a jump ahead (SeriesState.jumpsAhead). Well above clock skew and batching delays.
 */
export const AHEAD_JUMP_MS = 10_000;

/** Column order of a rollup row (and of an open bucket after its start). */
export const ROLLUP_COLUMNS = 5; // min, max, sum, count, last

/** A tier as the store uses it: its key in the tables (0 for raw, else the step) and chunk bounds. */
export interface TierSpec extends RetentionTier {
  readonly key: number;
  readonly rollup: boolean;
  readonly maxSpanMs: number;
}

export function tierSpecs(tiers: readonly RetentionTier[]): TierSpec[] {
  return tiers.map((tier, index) => ({
    ...tier,
    key: index === 0 ? 0 : tier.stepMs,
    rollup: index > 0,
    maxSpanMs: index === 0 ? RAW_MAX_SPAN_MS : CHUNK_ROWS * tier.stepMs,
  }));
}

export interface SealedChunk {
  readonly seriesId: number;
  readonly tier: number;
  readonly startTs: number;
  readonly endTs: number;
  /** Made of late points (backfill): overlaps in-order chunks, sorts after them on equal ts. */
  readonly late: boolean;
  readonly data: Uint8Array;
  /** A late chunk that rewrites the slot's current row (deleted in the same commit). */
  readonly replaces?: LateSlot;
  /** A late chunk with room left: its row id goes to the slot, the next late points rewrite it. */
  readonly opens?: LateSlot;
  /** A newer version of the same late chunk was made before this one was committed: not read. */
  superseded?: boolean;
}

/** Where the open (not full) late chunk of one tier head is on disk. */
export interface LateSlot {
  /** Row of the chunk on disk with its bounds (checked on delete), or null before its first commit. */
  row: { rowid: number; startTs: number; endTs: number } | null;
  /** The version not committed yet, if any. */
  pending: SealedChunk | null;
}

/** The in-memory head of one tier of one series: the chunk being filled and, for rollups, the open bucket. */
export class TierHead {
  enc: ChunkEncoder | null = null;
  /** Rollup tiers: [bucketStart, min, max, sum, count, last] of the bucket still receiving points. */
  open: Float64Array | null = null;
  /** Newest ts written into this tier's chunks; older points take the late path. */
  watermark = -Infinity;
  /** Points (ts, value pairs) that arrived behind the watermark, written as their own chunks at the next flush. */
  late: number[] = [];
  /**
   * The rows (ts then columns, sorted) of the newest late chunk while it has room: the next late
   * points are merged into it and it is rewritten, so late data costs whole chunks, not a chunk
   * per flush (an agent 5 minutes ahead or a clock stepped back made every point late).
   */
  lateOpen: { rows: Float64Array[]; slot: LateSlot } | null = null;
  /** Changed since its head row was last written (the periodic snapshot writes it). */
  dirty = false;
  /**
   * Sealed a chunk since its head row was last written: the row must be written in the same flush
   * as the chunk, or a replay of the point log after a crash would seal the chunk a second time.
   */
  sealedSince = false;
  /** Flush generation of the head row on disk: point log rows up to it are already in the head. */
  writtenGen = 0;
  /** Changes with every row the head chunk takes or loses: a decoded copy is valid for one version (ChunkCache.head). */
  version = 0;
  /**
   * A tier added to LIVEDASH_RETENTION whose rows before this time are still being rebuilt from a
   * finer tier for this series (tier-rebuild.ts): points older than it are left to the rebuild, or
   * they would be counted twice. -Infinity once the series is rebuilt (or when nothing rebuilds).
   */
  rebuildBefore = Number.NEGATIVE_INFINITY;
  /**
   * While rebuildBefore is set: the retention of the tier the rebuild reads. A point older than that
   * (backfill) is refused by that tier, so the rebuild can never bring it: this head takes it instead
   * (late), or it was lost to the new tier while the point counted as accepted.
   */
  rebuildSourceRetentionMs = 0;

  constructor(
    readonly spec: TierSpec,
    /** A throwaway head that packs late points (sealLate): its chunks are marked late. */
    readonly isLateScratch = false,
  ) {}
}

const row = new Float64Array(ROLLUP_COLUMNS);

/** One series: catalog fields, last point, and one head per tier. */
export class SeriesState {
  /** Catalog fields changed since the last flush (or the row was never written). */
  metaDirty = true;
  /** In the disk store's set of series to flush / to snapshot (tested per point instead of a Set lookup). */
  inDirty = false;
  inUnsnapshotted = false;
  /** The series whose point followed one of this series in the last batch (append's guess for the next point). */
  followedBy: SeriesState | null = null;
  /** Expired and dropped from the store: a `followedBy` link to it is stale. */
  retired = false;
  last: { ts: number; value: number } | null = null;
  readonly heads: TierHead[];
  /**
   * Server clock when the series last received a point (or was created, or loaded at start): a series
   * silent for longer than the raw tier's retention expires (disk-store.ts, staleSeries).
   */
  seenMs = -Infinity;
  /** ts of the newest point of an unbroken run of points ahead of the clock (see jumpsAhead); -Infinity when the last point was not ahead. */
  private aheadTs = -Infinity;

  constructor(
    readonly id: number,
    readonly name: string,
    readonly fields: CatalogFields,
    specs: readonly TierSpec[],
  ) {
    this.heads = specs.map((spec) => new TierHead(spec));
  }

  /**
   * Adds one accepted point to every tier whose retention still covers its ts. In-order points extend
   * the heads; older ones (backfill, a late agent) wait in `late` and become chunks of their own at
   * the next flush, which a query merges with the rest. Sealed chunks go to `sealed`. Returns
   * whether the point went late in some tier. `only` (replay of the point log at start) limits the
   * point to the tiers whose head row on disk does not hold it yet.
   */
  add(ts: number, value: number, nowMs: number, sealed: SealedChunk[], only?: (head: TierHead) => boolean): boolean {
    this.seenMs = Math.max(this.seenMs, nowMs);
    const jump = this.jumpsAhead(ts, nowMs);
    if (!jump && (this.last === null || ts >= this.last.ts) && (only === undefined || only(this.heads[0] as TierHead))) {
      // Updated in place (the catalog hands out copies): no object per point.
      if (this.last === null) this.last = { ts, value };
      else {
        this.last.ts = ts;
        this.last.value = value;
      }
    }
    let late = false;
    for (const head of this.heads) {
      const { spec } = head;
      if (only !== undefined && !only(head)) continue;
      if (ts < nowMs - spec.retentionMs) continue;
      // Left to the rebuild only when the tier it reads takes the point (see rebuildSourceRetentionMs).
      if (ts < head.rebuildBefore && ts >= nowMs - head.rebuildSourceRetentionMs) continue;
      if (jump) {
        head.late.push(ts, value);
        late = true;
        continue;
      }
      if (!spec.rollup) {
        if (ts < head.watermark) {
          head.late.push(ts, value);
          late = true;
        } else {
          row[0] = value;
          appendRow(head, this.id, ts, row, sealed);
        }
        continue;
      }
      const open = head.open;
      head.dirty = true;
      // Most points fall in the open bucket: folded without working out their bucket.
      if (open !== null && ts >= (open[0] as number) && ts < (open[0] as number) + spec.stepMs) {
        foldIntoBucket(open, value);
        continue;
      }
      const bucket = Math.floor(ts / spec.stepMs) * spec.stepMs;
      if (open === null || bucket > (open[0] as number)) {
        if (open !== null) closeBucket(head, this.id, sealed);
        head.open = newBucket(bucket, value);
      } else if (bucket === open[0]) {
        foldIntoBucket(open, value);
      } else {
        head.late.push(ts, value);
        late = true;
      }
    }
    return late;
  }

  /**
   * True for a point that jumps ahead of both the clock and the series' own newest in-order point by
   * more than AHEAD_JUMP_MS, unless the previous point jumped ahead too and this one is not older than
   * it. Such a point takes the late path (a late chunk at the next flush) instead of moving the
   * watermark: before, one point stamped just under maxFutureMs ahead made every point of the series
   * for the next minutes late (every tier), and the rollup tiers' open bucket jumped with it. A series
   * whose clock really runs ahead sends ahead point after ahead point: the second and later are taken
   * in order, so only its first point after a jump (or a restart) is late.
   */
  private jumpsAhead(ts: number, nowMs: number): boolean {
    if (ts <= nowMs + AHEAD_JUMP_MS) {
      this.aheadTs = -Infinity;
      return false;
    }
    const followsAhead = this.aheadTs !== -Infinity && ts >= this.aheadTs;
    this.aheadTs = ts;
    return !followsAhead && ts > (this.heads[0] as TierHead).watermark + AHEAD_JUMP_MS;
  }

  /**
   * Closes every open rollup bucket and seals every head chunk (the series expires: its heads leave
   * memory and the `heads` table, its rows stay as chunks).
   */
  sealHeads(sealed: SealedChunk[]): void {
    for (const head of this.heads) {
      if (head.open !== null) closeBucket(head, this.id, sealed);
      seal(head, this.id, sealed);
    }
  }

  /** Rebuilds a head from its persisted row (startup). */
  restoreHead(tierKey: number, data: Uint8Array | null, open: Uint8Array | null, gen: number): void {
    const head = this.heads.find((h) => h.spec.key === tierKey);
    if (!head) return;
    head.writtenGen = gen;
    if (data !== null) {
      const enc = ChunkEncoder.resume(data);
      if (enc.count > 0) head.enc = enc;
    }
    if (open !== null) {
      const floats = new Float64Array(open.buffer.slice(open.byteOffset, open.byteOffset + open.byteLength));
      if (head.spec.rollup) head.open = floats;
      else {
        // The raw head's `open` slot keeps [watermark, last ts, last value].
        head.watermark = floats[0] as number;
        this.last = { ts: floats[1] as number, value: floats[2] as number };
      }
    }
    if (head.spec.rollup) head.watermark = head.enc?.lastTs ?? -Infinity;
  }

  /** What the head row stores in `open` for a tier (see restoreHead). */
  openBytes(head: TierHead): Uint8Array | null {
    if (head.spec.rollup) return head.open === null ? null : new Uint8Array(head.open.buffer.slice(0));
    if (this.last === null) return null;
    return new Uint8Array(Float64Array.of(head.watermark, this.last.ts, this.last.value).buffer);
  }
}

const newBucket = (start: number, value: number) => Float64Array.of(start, value, value, value, 1, value);

function foldIntoBucket(open: Float64Array, value: number): void {
  if (value < (open[1] as number)) open[1] = value;
  if (value > (open[2] as number)) open[2] = value;
  open[3] = (open[3] as number) + value;
  open[4] = (open[4] as number) + 1;
  open[5] = value;
}

/** Finalizes a rollup tier's open bucket into its head chunk. */
function closeBucket(head: TierHead, seriesId: number, sealed: SealedChunk[]): void {
  const open = head.open as Float64Array;
  for (let c = 0; c < ROLLUP_COLUMNS; c++) row[c] = open[c + 1] as number;
  appendRow(head, seriesId, open[0] as number, row, sealed);
  head.open = null;
}

/** Appends one row to a head chunk, sealing it first when the row would overflow its span or ts mode. */
function appendRow(head: TierHead, seriesId: number, ts: number, values: Float64Array, sealed: SealedChunk[]): void {
  const { spec } = head;
  let enc = head.enc;
  if (enc !== null && (!enc.accepts(ts) || ts - enc.firstTs >= spec.maxSpanMs)) {
    seal(head, seriesId, sealed);
    enc = null;
  }
  if (enc === null) {
    enc = new ChunkEncoder(spec.rollup ? ROLLUP_COLUMNS : 1, !Number.isSafeInteger(ts));
    head.enc = enc;
  }
  enc.append(ts, values);
  head.version++;
  head.watermark = ts;
  head.dirty = true;
  if (enc.count >= CHUNK_ROWS) seal(head, seriesId, sealed);
}

function seal(head: TierHead, seriesId: number, sealed: SealedChunk[]): void {
  const enc = head.enc;
  if (enc === null || enc.count === 0) return;
  sealed.push({ seriesId, tier: head.spec.key, startTs: enc.firstTs, endTs: enc.lastTs, late: head.isLateScratch, data: enc.bytes() });
  head.enc = null;
  head.version++;
  head.dirty = true;
  head.sealedSince = true;
}

/**
 * Turns a head's late points into sealed chunks: raw points sorted by ts, or one rollup row per
 * bucket. Called by the flush; the rows overlap older chunks and the query merges them.
 */
export function sealLate(head: TierHead, seriesId: number, sealed: SealedChunk[]): void {
  if (head.late.length === 0) return;
  head.sealedSince = true;
  head.dirty = true;
  const { spec } = head;
  // The open late chunk's rows first, then the new points: a stable sort keeps arrival order on equal ts.
  const rows: Float64Array[] = head.lateOpen?.rows.slice() ?? [];
  for (let i = 0; i < head.late.length; i += 2) {
    const ts = head.late[i] as number;
    const value = head.late[i + 1] as number;
    rows.push(spec.rollup ? newBucket(Math.floor(ts / spec.stepMs) * spec.stepMs, value) : Float64Array.of(ts, value));
  }
  head.late = [];
  rows.sort((a, b) => (a[0] as number) - (b[0] as number));
  const merged: Float64Array[] = [];
  for (const r of rows) {
    const last = merged[merged.length - 1];
    // One rollup row per bucket: fold a bucket's rows (min, max, sum, count; last = the later one).
    if (spec.rollup && last !== undefined && last[0] === r[0]) foldRows(last, r);
    else merged.push(spec.rollup ? Float64Array.from(r) : r);
  }
  const slot: LateSlot = head.lateOpen?.slot ?? { row: null, pending: null };
  if (slot.pending !== null) slot.pending.superseded = true;
  const scratch = new TierHead(spec, true);
  const first = sealed.length;
  for (const r of merged) appendRow(scratch, seriesId, r[0] as number, r.subarray(1), sealed);
  const kept = scratch.enc?.count ?? 0;
  seal(scratch, seriesId, sealed);
  const made = sealed.splice(first);
  head.lateOpen = null;
  slot.pending = null;
  made.forEach((chunk, i) => {
    const open = i === made.length - 1 && kept > 0 && kept < CHUNK_ROWS;
    const out: SealedChunk = { ...chunk, ...(i === 0 ? { replaces: slot } : {}), ...(open ? { opens: slot } : {}) };
    sealed.push(out);
    if (open) {
      head.lateOpen = { rows: merged.slice(merged.length - kept), slot };
      slot.pending = out;
    }
  });
}

/**
 * Packs sorted rows ([ts, ...columns], at most one per bucket for rollups) into sealed in-order
 * chunks of `spec`, the last one short (a rebuilt tier's history, see tier-rebuild.ts).
 */
export function sealRows(spec: TierSpec, seriesId: number, rows: readonly Float64Array[], sealed: SealedChunk[]): void {
  const scratch = new TierHead(spec);
  for (const r of rows) appendRow(scratch, seriesId, r[0] as number, r.subarray(1), sealed);
  seal(scratch, seriesId, sealed);
}

/** Folds rollup row `r` into `into` (both [bucket, min, max, sum, count, last]); `r` is the later one. */
export function foldRows(into: Float64Array, r: Float64Array): void {
  if ((r[1] as number) < (into[1] as number)) into[1] = r[1] as number;
  if ((r[2] as number) > (into[2] as number)) into[2] = r[2] as number;
  into[3] = (into[3] as number) + (r[3] as number);
  into[4] = (into[4] as number) + (r[4] as number);
  into[5] = r[5] as number;
}
