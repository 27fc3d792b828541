import type { OtlpExponentialBuckets, OtlpExponentialHistogramPoint } from "./model";
import { clamp } from "./quantiles";

/**
 * OTLP exponential histograms (metrics.proto, ExponentialHistogramDataPoint): bucket `index` of scale
 * `s` holds values in (base^index, base^(index+1)] with base = 2^(2^-s); the negative side holds the
 * absolute values of negative observations the same way; the zero bucket holds |x| <= zero_threshold.
 * The spec allows scales -10..20.
 */
export const MIN_SCALE = -10;
export const MAX_SCALE = 20;

/** One side (positive or negative) of an exponential layout: counts of buckets offset, offset+1, ... */
export interface ExponentialSide {
  readonly offset: number;
  readonly counts: readonly number[];
}

/** What the quantiles need of a data point, or of the increase between two cumulative ones. */
export interface ExponentialLayout {
  readonly scale: number;
  readonly zeroCount: number;
  readonly zeroThreshold: number;
  readonly positive: ExponentialSide;
  readonly negative: ExponentialSide;
}

const EMPTY_SIDE: ExponentialSide = { offset: 0, counts: [] };

/**
 * The layout of a data point, or why it cannot be one (a message naming the field and the limit).
 * `maxBuckets` bounds each side: the server keeps the last layout of each cumulative series.
 */
export function exponentialLayout(dp: OtlpExponentialHistogramPoint, maxBuckets: number): ExponentialLayout | string {
  const { scale } = dp;
  if (!Number.isInteger(scale) || scale < MIN_SCALE || scale > MAX_SCALE) return `scale ${scale} is outside ${MIN_SCALE}..${MAX_SCALE}`;
  const zeroThreshold = dp.zeroThreshold ?? 0;
  if (!(zeroThreshold >= 0) || !Number.isFinite(zeroThreshold)) return `zeroThreshold ${zeroThreshold} is not a finite number >= 0`;
  const positive = side(dp.positive, "positive", scale, maxBuckets);
  if (typeof positive === "string") return positive;
  const negative = side(dp.negative, "negative", scale, maxBuckets);
  if (typeof negative === "string") return negative;
  return { scale, zeroCount: dp.zeroCount, zeroThreshold, positive, negative };
}

function side(buckets: OtlpExponentialBuckets | null | undefined, name: string, scale: number, maxBuckets: number): ExponentialSide | string {
  if (buckets == null || buckets.bucketCounts.length === 0) return EMPTY_SIDE;
  const { offset, bucketCounts } = buckets;
  if (bucketCounts.length > maxBuckets) return `${name}.bucketCounts has ${bucketCounts.length} buckets (limit ${maxBuckets} per side)`;
  // Bucket indexes are int32 in the proto: an offset past that would make bounds of Infinity or 0.
  if (!Number.isSafeInteger(offset) || Math.abs(offset) > 2 ** 31) return `${name}.offset ${offset} is outside the int32 range`;
  // A bucket starting at 2^1024 or above holds no double (an SDK never fills one): its quantiles would
  // be infinite. Only counted buckets matter; the highest is the one that can pass.
  let top = bucketCounts.length - 1;
  while (top >= 0 && !(bucketCounts[top]! > 0)) top--;
  if (top >= 0 && !Number.isFinite(lowerBoundary(offset + top, scale))) {
    const index = offset + top;
    return `${name}.offset ${offset}: bucket ${index} starts at 2^${index / 2 ** scale}, past the largest double; at scale ${scale} bucket indexes must be below ${MAX_EXPONENT * 2 ** scale}`;
  }
  return { offset, counts: bucketCounts };
}

/** Sum of every count of the layout (zero bucket included). */
export function layoutTotal(layout: ExponentialLayout): number {
  let total = layout.zeroCount;
  for (const c of layout.positive.counts) total += c;
  for (const c of layout.negative.counts) total += c;
  return total;
}

/**
 * What `next` adds over `prev`, both cumulative, in `next`'s layout; null when `prev` cannot be
 * brought into it (a finer scale than `prev`'s: a cumulative SDK only ever coarsens, so that is a
 * restart). A coarser `next` is usual: the SDK halves its resolution when the range grows, and the
 * earlier counts then fold into the wider buckets (index >> scale difference). Counts that went down
 * count as 0 (as for explicit buckets).
 */
export function layoutIncrease(prev: ExponentialLayout, next: ExponentialLayout): ExponentialLayout | null {
  const shift = prev.scale - next.scale;
  if (shift < 0) return null;
  return {
    scale: next.scale,
    zeroCount: Math.max(0, next.zeroCount - prev.zeroCount),
    zeroThreshold: next.zeroThreshold,
    positive: sideIncrease(prev.positive, next.positive, shift),
    negative: sideIncrease(prev.negative, next.negative, shift),
  };
}

function sideIncrease(prev: ExponentialSide, next: ExponentialSide, shift: number): ExponentialSide {
  const counts = next.counts.slice();
  for (let k = 0; k < prev.counts.length; k++) {
    // Floor division by 2^shift (indexes may be negative: values below 1).
    const at = Math.floor((prev.offset + k) / 2 ** shift) - next.offset;
    if (at >= 0 && at < counts.length) counts[at] = counts[at]! - prev.counts[k]!;
  }
  for (let i = 0; i < counts.length; i++) if (!(counts[i]! > 0)) counts[i] = 0;
  return { offset: next.offset, counts };
}

/** 2^1024 is past the largest double (just below it): every double is below 2^MAX_EXPONENT. */
const MAX_EXPONENT = 1024;

/** The lower bound of bucket `index` at `scale`: base^index = 2^(index / 2^scale). */
function lowerBoundary(index: number, scale: number): number {
  return 2 ** (index / 2 ** scale);
}

/**
 * The upper bound of bucket `index`: the next one's lower bound, but at most the largest double. The
 * bucket that holds it ends at 2^1024, which is Infinity as a double; no value in it is larger than
 * Number.MAX_VALUE, so that is where the bucket closes.
 */
function upperBoundary(index: number, scale: number): number {
  return Math.min(lowerBoundary(index + 1, scale), Number.MAX_VALUE);
}

/**
 * The q-quantile of the observations a layout counts: the bucket holding the rank q * total (from the
 * most negative bucket up), interpolated linearly inside it, as bucketQuantile does for explicit
 * buckets. Every bucket of this layout is closed, so no bound is guessed; the estimate is clamped to
 * [min, max] when they describe the same window. NaN when the layout counts nothing.
 */
export function exponentialQuantile(q: number, layout: ExponentialLayout, min?: number, max?: number): number {
  const total = layoutTotal(layout);
  if (!(total > 0)) return NaN;
  const rank = q * total;
  let below = 0;
  const { scale, negative, positive } = layout;
  // Negative buckets from the largest absolute value down: bucket i holds [-base^(i+1), -base^i).
  for (let k = negative.counts.length - 1; k >= 0; k--) {
    const count = negative.counts[k]!;
    if (count > 0 && below + count >= rank) {
      const index = negative.offset + k;
      return interpolate(-upperBoundary(index, scale), -lowerBoundary(index, scale), rank - below, count, min, max);
    }
    below += count;
  }
  const zero = layout.zeroCount;
  if (zero > 0 && below + zero >= rank) {
    // With no negative observation the zero bucket is [0, threshold]: nothing below 0 was seen.
    const lower = negative.counts.some((c) => c > 0) ? -layout.zeroThreshold : 0;
    return interpolate(lower, layout.zeroThreshold, rank - below, zero, min, max);
  }
  below += zero;
  let last = -1;
  for (let k = 0; k < positive.counts.length; k++) {
    const count = positive.counts[k]!;
    if (!(count > 0)) continue;
    const index = positive.offset + k;
    if (below + count >= rank) return interpolate(lowerBoundary(index, scale), upperBoundary(index, scale), rank - below, count, min, max);
    below += count;
    last = index;
  }
  // Only rounding gets here (the rank is at most the total): the top of the highest bucket.
  return clamp(last === -1 ? 0 : upperBoundary(last, scale), min, max);
}

function interpolate(lower: number, upper: number, rankInBucket: number, count: number, min?: number, max?: number): number {
  if (min !== undefined && lower < min) lower = min;
  if (max !== undefined && upper > max) upper = max;
  if (upper <= lower) return clamp(upper, min, max);
  return clamp(lower + (upper - lower) * Math.min(1, Math.max(0, rankInBucket / count)), min, max);
}
