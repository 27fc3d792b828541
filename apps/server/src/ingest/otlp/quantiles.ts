/**
 * Quantiles estimated from explicit-bucket histogram counts, the way Prometheus'
 * histogram_quantile() does: find the bucket holding the rank, interpolate linearly inside it.
 *
 * Bucket i counts values in (bounds[i-1], bounds[i]]; the first is (-inf, bounds[0]] and the last
 * (bounds[n-1], +inf). The open ends are closed by `min`/`max` when the producer reported them for
 * the same window; otherwise the first bucket starts at 0 (or at its bound if that is <= 0) and the
 * last one answers its lower bound, the highest finite bound (Prometheus' choice: nothing better can
 * be said about the +inf bucket). The estimate is clamped to [min, max] when they are known.
 */
export function bucketQuantile(
  q: number,
  bounds: readonly number[],
  counts: ArrayLike<number>,
  total: number,
  min?: number,
  max?: number,
): number {
  if (!(total > 0) || counts.length === 0) return NaN;
  const rank = q * total;
  let below = 0;
  let i = 0;
  for (; i < counts.length - 1; i++) {
    const count = counts[i]!;
    if (below + count >= rank && count > 0) break;
    below += count;
  }
  const count = counts[i]!;
  const last = i >= bounds.length;
  let lower = i === 0 ? (min ?? (bounds[0]! > 0 ? 0 : bounds[0]!)) : bounds[i - 1]!;
  let upper = last ? (max ?? bounds[bounds.length - 1] ?? lower) : bounds[i]!;
  if (min !== undefined && lower < min) lower = min;
  if (max !== undefined && upper > max) upper = max;
  if (!(count > 0) || upper <= lower) return clamp(upper, min, max);
  const estimate = lower + (upper - lower) * Math.min(1, Math.max(0, (rank - below) / count));
  return clamp(estimate, min, max);
}

/** `value` within [min, max], each bound only when known. */
export function clamp(value: number, min?: number, max?: number): number {
  if (min !== undefined && value < min) return min;
  if (max !== undefined && value > max) return max;
  return value;
}

/** `0.5` -> `p50`, `0.99` -> `p99`, `0.999` -> `p99.9`: the suffix of a quantile's series. */
export function quantileSuffix(q: number): string {
  return `p${Number((q * 100).toFixed(6))}`;
}
