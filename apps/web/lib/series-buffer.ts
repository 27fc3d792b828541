/**
 * Points of one series in two reused typed arrays (timestamps and values), sorted by ts.
 *
 * It is a sliding window rather than a modular ring: points live in [start, end), so every range is
 * contiguous (binary search and the per-pixel min/max scan are plain loops). Trimming only moves
 * `start`. At the cap one point leaves per point that arrives (the oldest), never a block: the
 * arrays keep `slack` spare slots past the cap so the compaction (one copyWithin) runs at most once
 * every `slack` appends, O(1) amortised. Arrays grow by 1.5x up to `maxCapacity` and shrink again
 * when the kept range falls under a quarter of them, so a narrowed window or a quiet series gives
 * its memory back.
 *
 * With `overflow: "thin"` the cap never drops the start: the points are thinned instead (see thin()),
 * so a 24 h window at 1 Hz (86 400 live points, more than the cap) still reaches back 24 h.
 */
export type BufferOverflow = "drop-oldest" | "thin";

/**
 * At the cap, "thin" keeps the min and the max of each of this many time buckets over the held span:
 * at most half the cap is left, so the next thinning is as many appends away (O(1) amortised).
 */
const THIN_BUCKETS_PER_CAP = 1 / 4;

export class SeriesBuffer {
  ts: Float64Array;
  values: Float64Array;
  start = 0;
  end = 0;
  /** Bumped on every change, so charts know whether to redraw. */
  version = 0;
  /** Most points kept: `maxCapacity` minus the spare slots that keep compaction rare. */
  readonly maxPoints: number;
  private readonly minCapacity: number;

  constructor(
    initialCapacity: number,
    /** Hard ceiling on the arrays' length (memory per series: 16 bytes a slot). */
    readonly maxCapacity: number,
    /** What the cap does: drop the oldest point per point that arrives, or thin the held span. @default "drop-oldest" */
    readonly overflow: BufferOverflow = "drop-oldest",
  ) {
    const capacity = Math.max(16, Math.min(initialCapacity, maxCapacity));
    this.minCapacity = Math.min(capacity, 64);
    this.maxPoints = Math.max(1, maxCapacity - Math.max(1, Math.floor(maxCapacity / 16)));
    this.ts = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  get length(): number {
    return this.end - this.start;
  }

  get firstTs(): number {
    return this.length > 0 ? (this.ts[this.start] as number) : Number.NaN;
  }

  get lastTs(): number {
    return this.length > 0 ? (this.ts[this.end - 1] as number) : Number.NaN;
  }

  get lastValue(): number {
    return this.length > 0 ? (this.values[this.end - 1] as number) : Number.NaN;
  }

  /** Appends a point; out-of-order points (replay after a stitch) are inserted in place, equal ts replaces. */
  push(ts: number, value: number): void {
    if (this.length > 0 && ts <= this.lastTs) {
      this.insertSorted(ts, value);
      return;
    }
    if (this.length >= this.maxPoints) this.makeRoomAtCap();
    this.ensureRoom();
    this.ts[this.end] = ts;
    this.values[this.end] = value;
    this.end++;
    this.version++;
  }

  /** Index of the first point with ts >= t (end if none). */
  lowerBound(t: number): number {
    let lo = this.start;
    let hi = this.end;
    const ts = this.ts;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((ts[mid] as number) < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Drops points older than `t`; keeps memory bounded to the retention window. */
  dropBefore(t: number): void {
    const i = this.lowerBound(t);
    if (i > this.start) {
      this.start = i;
      this.version++;
      this.shrinkIfSparse();
    }
  }

  /**
   * Merges backfilled points (sorted by ts) without duplicating what live already delivered:
   * a history point is kept only where no local point lies within `minSpacingMs` of it, so
   * history fills holes (before the first live point, across a disconnect) and nothing else.
   */
  mergeHistory(ts: ArrayLike<number>, values: ArrayLike<number>, minSpacingMs: number): number {
    const n = ts.length;
    if (n === 0) return 0;
    const mergedTs = new Float64Array(this.length + n);
    const mergedValues = new Float64Array(this.length + n);
    let i = this.start;
    let j = 0;
    let k = 0;
    let added = 0;
    while (i < this.end || j < n) {
      const localTs = i < this.end ? (this.ts[i] as number) : Number.POSITIVE_INFINITY;
      const remoteTs = j < n ? (ts[j] as number) : Number.POSITIVE_INFINITY;
      if (localTs <= remoteTs) {
        mergedTs[k] = localTs;
        mergedValues[k++] = this.values[i++] as number;
        continue;
      }
      const prevLocal = i > this.start ? (this.ts[i - 1] as number) : Number.NEGATIVE_INFINITY;
      if (remoteTs - prevLocal >= minSpacingMs && localTs - remoteTs >= minSpacingMs) {
        mergedTs[k] = remoteTs;
        mergedValues[k++] = values[j] as number;
        added++;
      }
      j++;
    }
    if (added === 0) return 0;
    if (this.overflow === "thin" && k > this.maxPoints) k = thin(mergedTs, mergedValues, 0, k, this.thinBuckets());
    const capacity = Math.min(this.maxCapacity, Math.max(this.ts.length, Math.min(k, this.maxPoints)));
    if (capacity !== this.ts.length) {
      this.ts = new Float64Array(capacity);
      this.values = new Float64Array(capacity);
    }
    // Over the cap, the oldest merged points are the ones to lose.
    const from = Math.max(0, k - this.maxPoints);
    this.ts.set(mergedTs.subarray(from, k), 0);
    this.values.set(mergedValues.subarray(from, k), 0);
    this.start = 0;
    this.end = k - from;
    this.version++;
    return added;
  }

  clear(): void {
    this.start = 0;
    this.end = 0;
    this.version++;
  }

  private insertSorted(ts: number, value: number): void {
    const found = this.lowerBound(ts);
    if (found < this.end && this.ts[found] === ts) {
      this.values[found] = value;
      this.version++;
      return;
    }
    if (this.length >= this.maxPoints) {
      // Full: the oldest point leaves. A point older than all of them is that point.
      if (this.overflow === "drop-oldest" && ts < this.firstTs) return;
      this.makeRoomAtCap();
    }
    // Making room may move the points: the position is found after it, never before.
    this.ensureRoom();
    const at = this.lowerBound(ts);
    this.ts.copyWithin(at + 1, at, this.end);
    this.values.copyWithin(at + 1, at, this.end);
    this.ts[at] = ts;
    this.values[at] = value;
    this.end++;
    this.version++;
  }

  /** The cap is reached: the oldest point leaves, or ("thin") the held span is thinned to half the cap or less. */
  private makeRoomAtCap(): void {
    if (this.overflow === "drop-oldest") {
      this.start++;
      return;
    }
    this.end = thin(this.ts, this.values, this.start, this.end, this.thinBuckets());
    this.version++;
  }

  private thinBuckets(): number {
    return Math.max(1, Math.floor(this.maxPoints * THIN_BUCKETS_PER_CAP));
  }

  /** Makes room for one more point at `end`: grow while under the ceiling, else slide to the front. */
  private ensureRoom(): void {
    if (this.end < this.ts.length) return;
    const length = this.length;
    if (length + 1 > this.ts.length * 0.75 && this.ts.length < this.maxCapacity) {
      // Grow by 1.5x: 500 series x a 15-minute window at 10 Hz must not cost twice what it needs.
      this.resize(Math.min(this.maxCapacity, Math.max(length + 1, Math.ceil(this.ts.length * 1.5))));
      return;
    }
    this.ts.copyWithin(0, this.start, this.end);
    this.values.copyWithin(0, this.start, this.end);
    this.end = length;
    this.start = 0;
  }

  /** Gives memory back once the kept points fill less than a quarter of the arrays (hysteresis: half stays free). */
  private shrinkIfSparse(): void {
    if (this.ts.length <= this.minCapacity || this.length * 4 > this.ts.length) return;
    this.resize(Math.max(this.minCapacity, this.length * 2));
  }

  private resize(capacity: number): void {
    const ts = new Float64Array(capacity);
    const values = new Float64Array(capacity);
    ts.set(this.ts.subarray(this.start, this.end));
    values.set(this.values.subarray(this.start, this.end));
    this.ts = ts;
    this.values = values;
    this.end -= this.start;
    this.start = 0;
  }
}

/**
 * Thins the sorted points [from, to) in place to at most 2 per time bucket (`buckets` equal buckets
 * over their span): the bucket's min and max, in time order, so a spike survives as the chart's
 * per-pixel min/max would draw it. Points already sparser than the buckets (a backfilled long window)
 * are kept as they are; dense live points are what goes. Returns the new end.
 */
export function thin(ts: Float64Array, values: Float64Array, from: number, to: number, buckets: number): number {
  if (to - from <= 2) return to;
  const first = ts[from] as number;
  const span = (ts[to - 1] as number) - first;
  const width = span / buckets;
  let out = from;
  let i = from;
  while (i < to) {
    const bucket = width > 0 ? Math.min(buckets - 1, Math.floor(((ts[i] as number) - first) / width)) : 0;
    let minAt = i;
    let maxAt = i;
    let j = i + 1;
    for (; j < to; j++) {
      const b = width > 0 ? Math.min(buckets - 1, Math.floor(((ts[j] as number) - first) / width)) : 0;
      if (b !== bucket) break;
      if ((values[j] as number) < (values[minAt] as number)) minAt = j;
      if ((values[j] as number) > (values[maxAt] as number)) maxAt = j;
    }
    // Reads (i..j) are always at or after the writes (out), so in place is safe.
    const a = Math.min(minAt, maxAt);
    const b = Math.max(minAt, maxAt);
    ts[out] = ts[a] as number;
    values[out++] = values[a] as number;
    if (b !== a) {
      ts[out] = ts[b] as number;
      values[out++] = values[b] as number;
    }
    i = j;
  }
  return out;
}
