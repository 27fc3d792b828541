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
 * Rows sorted by ts, each an aggregate of `count` points (a raw point: count 1, min = max = sum =
 * value; a rollup row of the disk store: its min, max, sum and count).
 */
export interface AggregateRows {
  tsAt(i: number): number;
  minAt(i: number): number;
  maxAt(i: number): number;
  sumAt(i: number): number;
  countAt(i: number): number;
}

/**
 * Rows [start, end), all inside [from, to], reduced to at most `maxPoints` buckets in ts order, as
 * columns (no object per bucket: a 30-day answer for 50 series is 36 000 buckets).
 *
 * When they fit, the rows come back one for one (value = sum / count). Otherwise each non-empty
 * bucket yields one point: value is the mean, min/max keep the peaks a mean would hide, and ts is the
 * (count-weighted) mean ts of the bucket's rows rather than the bucket start, so a sparse bucket is
 * drawn where its data is and the newest bucket does not appear up to one bucket-width early. Empty
 * buckets yield nothing: a gap in the data stays a gap on the chart.
 */
export function reduceRows(rows: AggregateRows, start: number, end: number, from: number, to: number, maxPoints: number): HistoryBuckets {
  const count = end - start;
  if (count <= 0) return { ts: [], value: [], min: [], max: [] };
  if (count <= maxPoints) {
    // Filled by push, not preallocated with `new Array(count)`: a preallocated array stays "holey" for
    // V8 and JSON.stringify then takes its slow path per element (boxing every double). Packed arrays
    // serialize about 40% faster, and the answer's JSON is most of a 30-day query's time.
    const out: HistoryBuckets = { ts: [], value: [], min: [], max: [] };
    for (let r = start; r < end; r++) {
      const min = rows.minAt(r);
      const max = rows.maxAt(r);
      out.ts.push(rows.tsAt(r));
      out.value.push(finiteMean(rows.sumAt(r), rows.countAt(r), min, max));
      out.min.push(min);
      out.max.push(max);
    }
    return out;
  }

  const out: HistoryBuckets = { ts: [], value: [], min: [], max: [] };
  let bucket = -1;
  let n = 0;
  // ts are summed as offsets from the bucket's first ts: raw epoch-ms sums would pass 2^53 for
  // large capacities and lose precision.
  let firstTs = 0;
  let sumDt = 0;
  let sum = 0;
  let min = 0;
  let max = 0;
  const flush = (): void => {
    if (n === 0) return;
    out.ts.push(firstTs + sumDt / n);
    out.value.push(finiteMean(sum, n, min, max));
    out.min.push(min);
    out.max.push(max);
  };
  for (let i = start; i < end; i++) {
    const ts = rows.tsAt(i);
    const weight = rows.countAt(i);
    // Rows are sorted, so bucket indices never decrease: one pass, no per-bucket arrays.
    const b = bucketIndex(ts, from, to, maxPoints);
    if (b !== bucket) {
      flush();
      bucket = b;
      n = 0;
      firstTs = ts;
      sumDt = 0;
      sum = 0;
      min = rows.minAt(i);
      max = rows.maxAt(i);
    }
    n += weight;
    sumDt += (ts - firstTs) * weight;
    sum += rows.sumAt(i);
    if (rows.minAt(i) < min) min = rows.minAt(i);
    if (rows.maxAt(i) > max) max = rows.maxAt(i);
  }
  flush();
  return out;
}

/** The memory store's case: raw points of a ring, logical indices [start, end). */
export function downsample(ring: TimeRing, start: number, end: number, from: number, to: number, maxPoints: number): HistoryBuckets {
  const value = (i: number) => ring.valueAt(i);
  return reduceRows({ tsAt: (i) => ring.tsAt(i), minAt: value, maxAt: value, sumAt: value, countAt: () => 1 }, start, end, from, to, maxPoints);
}
