import type { CumulativeAdvance, CumulativeSample } from "./cumulative-state";
import { PointRefused, type Emitter, type QuantileSuffixes } from "./emitter";
import { exponentialLayout, exponentialQuantile, layoutIncrease, type ExponentialLayout } from "./exponential-histogram";
import { TEMPORALITY_CUMULATIVE, TEMPORALITY_DELTA, type OtlpExponentialHistogramPoint, type OtlpHistogramPoint } from "./model";
import { bucketQuantile } from "./quantiles";

/** Where a histogram data point's series go and what the mapping keeps between requests. */
export interface HistogramContext {
  readonly temporality: number;
  /** The series key the cumulative state is held under. */
  readonly stateKey: string;
  readonly emit: Emitter;
  readonly state: CumulativeAdvance;
  readonly quantiles: QuantileSuffixes;
  readonly maxBuckets: number;
}

/**
 * `.count` and `.sum` per second, and the quantiles estimated from the explicit buckets of the interval
 * (for cumulative points, the bucket increases since the last export).
 */
export function mapHistogram(dp: OtlpHistogramPoint, ctx: HistogramContext): void {
  const { maxBuckets } = ctx;
  const { bucketCounts: buckets, explicitBounds: bounds } = dp;
  if (buckets.length > maxBuckets) throw new PointRefused(`${buckets.length} buckets (limit ${maxBuckets} per histogram)`);
  if (buckets.length !== 0 && buckets.length !== bounds.length + 1) {
    throw new PointRefused(`bucketCounts has ${buckets.length} entries; explicitBounds has ${bounds.length}, so it needs ${bounds.length + 1}`);
  }
  const window = histogramWindow<ArrayLike<number>>(dp, ctx, buckets, { buckets, bounds }, {
    sameLayout: (prev) => sameBuckets(prev.bounds, bounds) && prev.buckets?.length === buckets.length,
    increase: (prev) => {
      const increases = new Float64Array(buckets.length);
      for (let i = 0; i < buckets.length; i++) increases[i] = Math.max(0, buckets[i]! - prev.buckets![i]!);
      return increases;
    },
  });
  if (window === null) return;
  const counts = window.layout;
  if (counts.length === 0) return emitWindow(window, ctx, null);
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  emitWindow(window, ctx, (q) => bucketQuantile(q, bounds, counts, total, window.min, window.max));
}

/**
 * Like mapHistogram, from the exponential layout: the same quantile series estimated from the buckets
 * of the interval (for cumulative points, the increase since the last export, the earlier layout
 * folded into a coarser scale when the SDK rescaled).
 */
export function mapExponentialHistogram(dp: OtlpExponentialHistogramPoint, ctx: HistogramContext): void {
  const layout = exponentialLayout(dp, ctx.maxBuckets);
  if (typeof layout === "string") throw new PointRefused(layout);
  const window = histogramWindow<ExponentialLayout>(dp, ctx, layout, { exponential: layout }, {
    sameLayout: (prev) => prev.exponential !== undefined && prev.exponential.scale >= layout.scale,
    // sameLayout admitted only a prev of this scale or finer, which layoutIncrease folds.
    increase: (prev) => layoutIncrease(prev.exponential!, layout)!,
  });
  if (window !== null) emitWindow(window, ctx, (q) => exponentialQuantile(q, window.layout, window.min, window.max));
}

/** What one histogram data point tells of its interval; min/max only when they describe that interval. */
interface HistogramWindow<L> {
  readonly layout: L;
  readonly count: number;
  readonly sum: number | undefined;
  /** null: a delta point without a start time (quantiles still, no rates). */
  readonly seconds: number | null;
  readonly min: number | undefined;
  readonly max: number | undefined;
}

/**
 * The interval of a histogram point of either kind: a delta point is its own interval; a cumulative
 * one is the increase over the sample held for the series (`increase` of the bucket layout, when
 * `sameLayout` accepts the held one), or the whole total since its start. null: no interval yet.
 */
function histogramWindow<L>(
  dp: OtlpHistogramPoint | OtlpExponentialHistogramPoint,
  { temporality, stateKey, state }: HistogramContext,
  layout: L,
  held: Pick<CumulativeSample, "buckets" | "bounds" | "exponential">,
  compare: { sameLayout: (prev: CumulativeSample) => boolean; increase: (prev: CumulativeSample) => L },
): HistogramWindow<L> | null {
  const sum = dp.sum ?? undefined;
  const min = dp.min ?? undefined;
  const max = dp.max ?? undefined;
  if (temporality === TEMPORALITY_DELTA) {
    const seconds = dp.startTimeUnixNano > 0 && dp.timeUnixNano > dp.startTimeUnixNano ? (dp.timeUnixNano - dp.startTimeUnixNano) / 1e9 : null;
    return { layout, count: dp.count, sum, seconds, min, max };
  }
  if (temporality !== TEMPORALITY_CUMULATIVE) throw new PointRefused(`aggregationTemporality ${temporality} is neither delta (1) nor cumulative (2)`);
  const step = state.advance(stateKey, { startNs: dp.startTimeUnixNano, timeNs: dp.timeUnixNano, total: dp.count, sum, ...held }, compare.sameLayout);
  if (step.kind === "none") return null;
  const prev = step.prev;
  // The first sample since the start: the whole life is the interval, so min/max describe it.
  if (prev === null) return { layout, count: dp.count, sum, seconds: step.seconds, min, max };
  return {
    layout: compare.increase(prev),
    count: dp.count - prev.total,
    sum: sum !== undefined && prev.sum !== undefined ? sum - prev.sum : undefined,
    seconds: step.seconds,
    min: undefined,
    max: undefined,
  };
}

/** `.count` and `.sum` per second (when the interval's length is known), then the quantiles (when it counted anything). */
function emitWindow<L>(window: HistogramWindow<L>, { emit, quantiles }: HistogramContext, quantile: ((q: number) => number) | null): void {
  if (window.seconds !== null) {
    emit.emit(".count", window.count / window.seconds);
    if (window.sum !== undefined) emit.emit(".sum", window.sum / window.seconds);
  }
  if (quantile === null || !(window.count > 0)) return;
  for (const [q, suffix] of quantiles) emit.emit(suffix, quantile(q));
}

function sameBuckets(a: readonly number[] | undefined, b: readonly number[]): boolean {
  if (a === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
