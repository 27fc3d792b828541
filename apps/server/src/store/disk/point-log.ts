/**
 * The points accepted since the last flush, as one `point_log` row per flush (see docs/storage.md,
 * "Durability"). Head chunks are written only when they seal or at a periodic snapshot; after a
 * crash the start replays these rows into the heads, so each flush writes just its new points
 * (20 bytes each) instead of every changed head chunk.
 *
 * Why replay rather than appending per-series segments or rebuilding rollups from raw: replay goes
 * through the same SeriesState.add as live ingest, so there is one code path that builds heads
 * (no fold at seal time, no second read path), and rollup heads need no raw data (the 1-hour head
 * spans 10 days, longer than raw is kept).
 *
 * Records of 20 bytes: u32 series id, f64 ts, f64 value. Series ids start at 1, so id 0 marks a
 * change of the clock the points were accepted with (its ts field holds it): replay passes the
 * same `now` to SeriesState.add, so a point lands in exactly the tiers it landed in before.
 */
const RECORD = 20;
/** Bytes of one record (the replay log's rows use the same records, replay-log.ts). */
export const POINT_LOG_RECORD = RECORD;
const CLOCK = 0;

export class PointLogBuffer {
  private buf = Buffer.allocUnsafe(64 * RECORD);
  /** Over `buf`: DataView stores are inlined by the JIT (Buffer.writeDoubleLE copies byte by byte). */
  private view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  private used = 0;
  private clock = Number.NaN;
  /** Bumped by clear(): offsets taken before it no longer name the same records. */
  generation = 0;

  get bytes(): number {
    return this.used;
  }

  add(seriesId: number, ts: number, value: number, nowMs: number): void {
    if (nowMs !== this.clock) {
      this.clock = nowMs;
      this.record(CLOCK, nowMs, 0);
    }
    this.record(seriesId, ts, value);
  }

  /** The row to commit (a copy), or null when nothing was logged. */
  take(): Buffer | null {
    return this.used === 0 ? null : Buffer.from(this.buf.subarray(0, this.used));
  }

  /** A copy of the bytes [from, to) logged in this generation: the records of one batch, for the replay log. */
  copy(from: number, to: number): Buffer {
    return Buffer.from(this.buf.subarray(from, to));
  }

  clear(): void {
    this.used = 0;
    this.clock = Number.NaN;
    this.generation++;
  }

  private record(id: number, ts: number, value: number): void {
    const at = this.used;
    if (at + RECORD > this.buf.length) {
      const grown = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(grown, 0, 0, at);
      this.buf = grown;
      this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
    }
    const view = this.view;
    view.setUint32(at, id, true);
    view.setFloat64(at + 4, ts, true);
    view.setFloat64(at + 12, value, true);
    this.used = at + RECORD;
  }
}

/** Calls `point` for each logged point with the clock it was accepted with. */
export function replayPointLog(row: Uint8Array, point: (seriesId: number, ts: number, value: number, nowMs: number) => void): void {
  if (row.length % RECORD !== 0) throw new RangeError("corrupt point log row: length is not a multiple of 20");
  const view = Buffer.from(row.buffer, row.byteOffset, row.byteLength);
  let clock = Number.NaN;
  for (let at = 0; at < view.length; at += RECORD) {
    const id = view.readUInt32LE(at);
    const ts = view.readDoubleLE(at + 4);
    if (id === CLOCK) clock = ts;
    else point(id, ts, view.readDoubleLE(at + 12), clock);
  }
}
