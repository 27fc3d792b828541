/**
 * Points of one series in two reused typed arrays (timestamps and values), sorted by ts.
 *
 * It is a sliding window rather than a modular ring: live points land in [start, end), and when
 * the arrays are full the oldest quarter is dropped with one copyWithin. That keeps every range
 * contiguous (binary search and the per-pixel min/max scan are plain loops), costs O(1) amortised
 * per append and never allocates once the capacity fits the window.
 */
export class SeriesBuffer {
  ts: Float64Array;
  values: Float64Array;
  start = 0;
  end = 0;
  /** Bumped on every change, so charts know whether to redraw. */
  version = 0;

  constructor(
    initialCapacity: number,
    /** Hard ceiling on points kept; the oldest go first. */
    readonly maxCapacity: number,
  ) {
    const capacity = Math.max(16, Math.min(initialCapacity, maxCapacity));
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
    this.ensureRoom(1);
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
    const capacity = Math.min(this.maxCapacity, Math.max(this.ts.length, k));
    if (capacity !== this.ts.length) {
      this.ts = new Float64Array(capacity);
      this.values = new Float64Array(capacity);
    }
    // Over the ceiling, the oldest merged points are the ones to lose.
    const from = Math.max(0, k - capacity);
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
    const i = this.lowerBound(ts);
    if (i < this.end && this.ts[i] === ts) {
      this.values[i] = value;
      this.version++;
      return;
    }
    const offset = i - this.start;
    this.ensureRoom(1);
    const at = this.start + offset;
    this.ts.copyWithin(at + 1, at, this.end);
    this.values.copyWithin(at + 1, at, this.end);
    this.ts[at] = ts;
    this.values[at] = value;
    this.end++;
    this.version++;
  }

  private ensureRoom(count: number): void {
    if (this.end + count <= this.ts.length) return;
    const length = this.length;
    if (length + count > this.ts.length * 0.75 && this.ts.length < this.maxCapacity) {
      // Grow by 1.5x: 500 series x a 15-minute window at 10 Hz must not cost twice what it needs.
      const capacity = Math.min(this.maxCapacity, Math.max(length + count, Math.ceil(this.ts.length * 1.5)));
      const ts = new Float64Array(capacity);
      const values = new Float64Array(capacity);
      ts.set(this.ts.subarray(this.start, this.end));
      values.set(this.values.subarray(this.start, this.end));
      this.ts = ts;
      this.values = values;
    } else {
      if (length + count > this.ts.length) {
        // At the ceiling: drop the oldest quarter in one move, not one point per append.
        this.start += Math.max(count, this.ts.length >> 2);
        if (this.start > this.end) this.start = this.end;
      }
      this.ts.copyWithin(0, this.start, this.end);
      this.values.copyWithin(0, this.start, this.end);
    }
    this.end -= this.start;
    this.start = 0;
  }
}
