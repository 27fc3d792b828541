/**
 * A time-ordered ring of (ts, value) pairs on two Float64Arrays.
 *
 * Invariant: the logical sequence (oldest..newest) is sorted by ts, ties in arrival order. A point
 * that arrives older than the newest is inserted at its place by shifting the newer ones up by one
 * slot. We chose "insert in order" over "append and sort on read" because reads (history queries,
 * several per dashboard load) then binary-search directly, and late points are rare and usually
 * only a few slots late, so the shift is short. A point later than `maxLateSlots` newer points is
 * refused, so no producer can make each point cost O(capacity). When the ring is full the oldest
 * slot is reused.
 *
 * Storage grows by doubling from `initialCapacity` up to `capacity`: a server can hold 10 000 series,
 * and preallocating 3 600 slots (56 KiB) for each sparse pushed series would cost ~560 MiB up front.
 * Growth happens at most log2(capacity / initialCapacity) times per series; once at capacity the
 * arrays are reused forever, so steady-state appends never allocate.
 */
export class TimeRing {
  private tsArr: Float64Array;
  private valueArr: Float64Array;
  /** Physical index of the oldest point. */
  private head = 0;
  private count = 0;

  constructor(
    /** Most points kept; older ones are overwritten. */
    readonly capacity: number,
    initialCapacity: number,
    /** Most newer points a late point may be inserted behind (the shift it costs). @default capacity */
    readonly maxLateSlots: number = capacity,
  ) {
    const slots = Math.max(1, Math.min(capacity, initialCapacity));
    this.tsArr = new Float64Array(slots);
    this.valueArr = new Float64Array(slots);
  }

  get length(): number {
    return this.count;
  }

  /** Slots currently allocated (grows up to capacity). */
  get allocated(): number {
    return this.tsArr.length;
  }

  tsAt(i: number): number {
    return this.tsArr[this.phys(i)] as number;
  }

  valueAt(i: number): number {
    return this.valueArr[this.phys(i)] as number;
  }

  /** false when the point was refused: later than maxLateSlots newer points. */
  push(ts: number, value: number): boolean {
    if (this.count > 0 && ts < this.tsAt(this.count - 1)) return this.insertLate(ts, value);
    if (this.count === this.tsArr.length) {
      if (this.count < this.capacity) {
        this.grow();
      } else {
        // Full: the new point takes the oldest slot.
        this.tsArr[this.head] = ts;
        this.valueArr[this.head] = value;
        this.head = (this.head + 1) % this.tsArr.length;
        return true;
      }
    }
    const slot = this.phys(this.count);
    this.tsArr[slot] = ts;
    this.valueArr[slot] = value;
    this.count++;
    return true;
  }

  /** How many held points are newer than `ts`: the shift inserting it would cost. */
  newerThan(ts: number): number {
    // The usual point is the newest of its series: one compare instead of a binary search (ingest asks this for every point).
    if (this.count === 0 || ts >= this.tsAt(this.count - 1)) return 0;
    return this.count - this.upperBound(ts);
  }

  /** First logical index whose ts >= `ts` (length when none). */
  lowerBound(ts: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.tsAt(mid) < ts) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First logical index whose ts > `ts` (length when none). */
  upperBound(ts: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.tsAt(mid) <= ts) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private phys(i: number): number {
    const slot = this.head + i;
    const size = this.tsArr.length;
    return slot >= size ? slot - size : slot;
  }

  private insertLate(ts: number, value: number): boolean {
    // Ties go after existing equal timestamps, so arrival order is kept among them.
    const at = this.upperBound(ts);
    if (this.count - at > this.maxLateSlots) return false;
    if (this.count === this.tsArr.length) {
      if (this.count < this.capacity) {
        this.grow();
      } else {
        // Full and the point would be the oldest: it would be evicted at once, so drop it.
        if (at === 0) return false;
        // Evict the oldest; its slot becomes the free one after the newest, and every logical
        // index moves down by one, so the insertion point does too.
        this.head = (this.head + 1) % this.tsArr.length;
        this.count--;
        this.insertAt(at - 1, ts, value);
        return true;
      }
    }
    this.insertAt(at, ts, value);
    return true;
  }

  /**
   * Shifts logical [at, count) up one slot into the free slot after the newest, then writes at `at`.
   * Costs count - at moves: late points are usually only a few slots late.
   */
  private insertAt(at: number, ts: number, value: number): void {
    for (let i = this.count - 1; i >= at; i--) this.copy(i, i + 1);
    this.writeAt(at, ts, value);
    this.count++;
  }

  private copy(src: number, dst: number): void {
    const s = this.phys(src);
    const d = this.phys(dst);
    this.tsArr[d] = this.tsArr[s] as number;
    this.valueArr[d] = this.valueArr[s] as number;
  }

  private writeAt(i: number, ts: number, value: number): void {
    const slot = this.phys(i);
    this.tsArr[slot] = ts;
    this.valueArr[slot] = value;
  }

  private grow(): void {
    const next = Math.min(this.capacity, this.tsArr.length * 2);
    const tsNext = new Float64Array(next);
    const valueNext = new Float64Array(next);
    for (let i = 0; i < this.count; i++) {
      const slot = this.phys(i);
      tsNext[i] = this.tsArr[slot] as number;
      valueNext[i] = this.valueArr[slot] as number;
    }
    this.tsArr = tsNext;
    this.valueArr = valueNext;
    this.head = 0;
  }
}
