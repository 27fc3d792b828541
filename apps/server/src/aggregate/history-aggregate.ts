import type { Aggregate, HistoryPoint, HistorySeries } from "@livedash/events";
import { bucketIndex } from "../store/downsample";
import { outputKeyOf } from "./output-key";
import { Fold, perSecondRate } from "./reduce";

export interface HistoryRange {
  readonly from: number;
  readonly to: number;
  readonly maxPoints: number;
}

/** One member's contribution to one bucket: its value, min, max and mean ts there. */
interface Cell {
  value: number;
  min: number;
  max: number;
  ts: number;
}

/** What an output bucket accumulates across members, in O(1) memory. */
interface Acc {
  readonly value: Fold;
  readonly min: Fold;
  readonly max: Fold;
  /** Running mean of the members' ts there (no epoch-ms sum to lose precision). */
  ts: number;
}

/**
 * A member's points folded to one cell per bucket of [from, to] cut in maxPoints (the store's own
 * buckets, `bucketIndex`): the store answers raw rows when they fit, and rows of different members
 * must meet in the same bucket. Several rows in one bucket: mean of values, min of mins, max of maxes.
 */
function cells(points: readonly HistoryPoint[], range: HistoryRange): Map<number, Cell> {
  const out = new Map<number, Cell & { n: number }>();
  for (const p of points) {
    const b = bucketIndex(p.ts, range.from, range.to, range.maxPoints);
    const cell = out.get(b);
    if (!cell) out.set(b, { value: p.value, min: p.min, max: p.max, ts: p.ts, n: 1 });
    else {
      cell.n++;
      // Running means: no sum that could overflow.
      cell.value += (p.value - cell.value) / cell.n;
      cell.ts += (p.ts - cell.ts) / cell.n;
      if (p.min < cell.min) cell.min = p.min;
      if (p.max > cell.max) cell.max = p.max;
    }
  }
  return out;
}

/**
 * A counter's points as per-second rates, one per point after the first, at that point's ts: from
 * one point to the next the counter grew by the difference, or by the new value after a drop (a
 * reset, as Prometheus takes it). Downsampled buckets stand for their mean at their mean ts, which is
 * exact for a counter growing steadily; min and max are the value of the rate itself.
 */
export function ratePoints(points: readonly HistoryPoint[]): HistoryPoint[] {
  const out: HistoryPoint[] = [];
  let prev = points[0];
  for (let i = 1; i < points.length; i++) {
    const p = points[i]!;
    // A second point at the same instant says nothing about a rate: the rate runs from the first.
    if (p.ts <= prev!.ts) continue;
    const rate = perSecondRate(prev!.ts, prev!.value, p.ts, p.value);
    out.push({ ts: p.ts, value: rate, min: rate, max: rate });
    prev = p;
  }
  return out;
}

/**
 * History of an aggregation: members' downsampled points (each from the store, same range and
 * maxPoints) grouped by name + `by` labels, and per bucket of [from, to]:
 * - `value`, `min` and `max` are each op applied to the same field of the members with data in that
 *   bucket (sum of means, sum of mins, sum of maxes; min of means, min of mins, min of maxes; ...),
 *   so min <= value <= max holds and a sum's band bounds the sum of what each member did;
 * - `count`: members with data in the bucket (value = min = max);
 * - `rate`: each member's per-second rates (ratePoints), then summed like `sum`.
 * `ts` is the mean of the members' ts in the bucket. Members stream through one at a time: memory is
 * the output (output series x buckets), not members x points.
 */
export function aggregateHistory(members: Iterable<{ series: string; points: readonly HistoryPoint[] }>, aggregate: Aggregate, range: HistoryRange): HistorySeries[] {
  const by = aggregate.by ?? [];
  const outputs = new Map<string, Map<number, Acc>>();
  for (const member of members) {
    const key = outputKeyOf(member.series, by);
    if (key === null) continue;
    const points = aggregate.op === "rate" ? ratePoints(member.points) : member.points;
    if (points.length === 0) continue;
    let buckets = outputs.get(key);
    if (!buckets) outputs.set(key, (buckets = new Map<number, Acc>()));
    for (const [b, cell] of cells(points, range)) {
      let acc = buckets.get(b);
      if (!acc) buckets.set(b, (acc = { value: new Fold(aggregate.op), min: new Fold(aggregate.op), max: new Fold(aggregate.op), ts: 0 }));
      acc.value.add(cell.value);
      acc.min.add(cell.min);
      acc.max.add(cell.max);
      acc.ts += (cell.ts - acc.ts) / acc.value.count;
    }
  }
  const out: HistorySeries[] = [];
  for (const key of [...outputs.keys()].sort()) {
    const buckets = outputs.get(key)!;
    const points: HistoryPoint[] = [];
    for (const b of [...buckets.keys()].sort((x, y) => x - y)) {
      const acc = buckets.get(b)!;
      points.push({ ts: acc.ts, value: acc.value.value, min: acc.min.value, max: acc.max.value });
    }
    out.push({ series: key, points });
  }
  return out;
}
