import type { HistoryBuckets } from "@livedash/events";
import type { TimeRing } from "./ring-buffer";

/**
 * Bucket of a timestamp when [from, to] is cut into `buckets` slices of equal width.
 * `to` itself falls in the last bucket (the range is closed). Exported so tests share the rule.
 */
export function bucketIndex(ts: number, from: number, to: number, buckets: number): number {
  const span = to - from;
  if (span <= 0) return 0;
  const index = Math.floor(((ts - from) / span) * buckets);
  return index >= buckets ? buckets - 1 : index < 0 ? 0 : index;
}

/**
 * sum / count, kept finite: a sum of values near the double limit overflows to ±Infinity (or NaN when
 * both signs overflow) although every value was finite, and JSON would carry the mean as null. The true
 * mean lies in [min, max], so an overflowed sum answers with the bound it overflowed towards (exact
 * when the bucket's values are equal), or the midpoint when both did.
 */
export function finiteMean(sum: number, count: number, min: number, max: number): number {
  const mean = sum / count;
  if (Number.isFinite(mean)) return mean;
  if (mean === Infinity) return max;
  if (mean === -Infinity) return min;
  return min / 2 + max / 2;
}

/**
 * Rows sorted by ts as parallel columns, each row an aggregate of `count` points (a raw point: count
 * 1, min = max = sum = value; a rollup row of the disk store: its min, max, sum and count). Columns, not
 * an accessor per field: a 30-day answer reduces 144 000 rows for 50 series, and a method call per
 * field per row (polymorphic between the two stores) was a third of the store's time.
 */
export interface AggregateRows {
  readonly ts: Float64Array;
  readonly min: Float64Array;
  readonly max: Float64Array;
  readonly sum: Float64Array;
  /** null: every row is one point. */
  readonly count: Float64Array | null;
}

/**
 * Rows [start, end), all inside [from, to], reduced to at most `maxPoints` buckets in ts order, as
 * columns (no object per bucket: a 30-day answer for 50 series is 50 000 buckets).
 *
 * When they fit, the rows come back one for one (value = sum / count). Otherwise each non-empty
 * bucket yields one point: value is the mean, min/max keep the peaks a mean would hide, and ts is the
 * (count-weighted) mean ts of the bucket's rows rather than the bucket start, so a sparse bucket is
 * drawn where its data is and the newest bucket does not appear up to one bucket-width early. Empty
 * buckets yield nothing: a gap in the data stays a gap on the chart.
 */
export function reduceRows(rows: AggregateRows, start: number, end: number, from: number, to: number, maxPoints: number): HistoryBuckets {
  const { ts: tsCol, min: minCol, max: maxCol, sum: sumCol, count: countCol } = rows;
  // Filled by push, not preallocated with `new Array(count)`: a preallocated array stays "holey" for
  // V8 and JSON.stringify then takes its slow path per element (boxing every double). Packed arrays
  // serialize about 40% faster, and the answer's JSON is most of a 30-day query's time.
  const out: HistoryBuckets = { ts: [], value: [], min: [], max: [] };
  if (end - start <= 0) return out;
  if (end - start <= maxPoints) {
    for (let r = start; r < end; r++) {
      const min = minCol[r] as number;
      const max = maxCol[r] as number;
      pushBucket(out, tsCol[r] as number, finiteMean(sumCol[r] as number, countCol === null ? 1 : (countCol[r] as number), min, max), min, max);
    }
    return out;
  }

  let bucket = -1;
  let n = 0;
  // ts are summed as offsets from the bucket's first ts: raw epoch-ms sums would pass 2^53 for
  // large capacities and lose precision.
  let firstTs = 0;
  let sumDt = 0;
  let sum = 0;
  let min = 0;
  let max = 0;
  for (let i = start; i < end; i++) {
    const ts = tsCol[i] as number;
    const weight = countCol === null ? 1 : (countCol[i] as number);
    // Rows are sorted, so bucket indices never decrease: one pass, no per-bucket arrays.
    const b = bucketIndex(ts, from, to, maxPoints);
    if (b !== bucket) {
      if (n > 0) pushBucket(out, firstTs + sumDt / n, finiteMean(sum, n, min, max), min, max);
      bucket = b;
      n = 0;
      firstTs = ts;
      sumDt = 0;
      sum = 0;
      min = minCol[i] as number;
      max = maxCol[i] as number;
    }
    n += weight;
    sumDt += (ts - firstTs) * weight;
    sum += sumCol[i] as number;
    const rowMin = minCol[i] as number;
    const rowMax = maxCol[i] as number;
    if (rowMin < min) min = rowMin;
    if (rowMax > max) max = rowMax;
  }
  if (n > 0) pushBucket(out, firstTs + sumDt / n, finiteMean(sum, n, min, max), min, max);
  return out;
}

// A plain function of its arguments, not a closure over the loop's state: variables a closure
// captures live in a heap context instead of registers, which slowed every row of the loop.
function pushBucket(out: HistoryBuckets, ts: number, value: number, min: number, max: number): void {
  out.ts.push(ts);
  out.value.push(value);
  out.min.push(min);
  out.max.push(max);
}

/** The memory store's case: raw points of a ring, logical indices [start, end), copied into columns. */
export function downsample(ring: TimeRing, start: number, end: number, from: number, to: number, maxPoints: number): HistoryBuckets {
  const n = Math.max(0, end - start);
  const ts = new Float64Array(n);
  const value = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    ts[i] = ring.tsAt(start + i);
    value[i] = ring.valueAt(start + i);
  }
  return reduceRows({ ts, min: value, max: value, sum: value, count: null }, 0, n, from, to, maxPoints);
}
