import type { HistoryPoint } from "@livedash/events";
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
 * Points of logical indices [start, end) of `ring`, all inside [from, to], reduced to at most
 * `maxPoints` points in ts order.
 *
 * When they fit, the raw points come back (min = max = value). Otherwise each non-empty bucket
 * yields one point: value is the mean, min/max keep the peaks a mean would hide, and ts is the
 * mean ts of the bucket's points rather than the bucket start, so a sparse bucket is drawn where
 * its data is and the newest bucket does not appear up to one bucket-width early. Empty buckets
 * yield nothing: a gap in the data stays a gap on the chart.
 */
export function downsample(
  ring: TimeRing,
  start: number,
  end: number,
  from: number,
  to: number,
  maxPoints: number,
): HistoryPoint[] {
  const count = end - start;
  if (count <= 0) return [];
  if (count <= maxPoints) {
    const raw: HistoryPoint[] = new Array<HistoryPoint>(count);
    for (let i = 0; i < count; i++) {
      const value = ring.valueAt(start + i);
      raw[i] = { ts: ring.tsAt(start + i), value, min: value, max: value };
    }
    return raw;
  }

  const out: HistoryPoint[] = [];
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
    if (n > 0) out.push({ ts: firstTs + sumDt / n, value: sum / n, min, max });
  };
  for (let i = start; i < end; i++) {
    const ts = ring.tsAt(i);
    const value = ring.valueAt(i);
    // Points are sorted, so bucket indices never decrease: one pass, no per-bucket arrays.
    const b = bucketIndex(ts, from, to, maxPoints);
    if (b !== bucket) {
      flush();
      bucket = b;
      n = 0;
      firstTs = ts;
      sumDt = 0;
      sum = 0;
      min = value;
      max = value;
    }
    n++;
    sumDt += ts - firstTs;
    sum += value;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  flush();
  return out;
}
