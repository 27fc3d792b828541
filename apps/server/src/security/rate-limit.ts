export interface RateLimiterOptions {
  /** Tokens added per second to every key's bucket (for ingest: points per second). */
  readonly ratePerSec: number;
  /** Bucket size: the most a key can take at once after being idle. */
  readonly burst: number;
  /** Keys tracked at once; beyond it the least recently used key is forgotten. @default 10_000 */
  readonly maxKeys?: number;
  /** Monotonic clock in ms, injectable for tests. @default performance.now */
  readonly now?: () => number;
}

export type TakeResult = { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number };

export interface RateLimiter {
  /**
   * Takes `n` tokens from `key`'s bucket. A request larger than `burst` is allowed when the bucket
   * is full and leaves it in debt, so one big batch is never refused forever while the average
   * rate still holds.
   */
  take(key: string, n?: number): TakeResult;
  /** What take(key, n) would answer now, taking nothing (a caller that must pass other checks before it pays). */
  peek(key: string, n?: number): TakeResult;
  /** Keys currently tracked (bounded by maxKeys). */
  size(): number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

// Idle keys are looked for at the LRU end on every take(): a couple per call keeps the map small
// without a timer, and costs O(1).
const IDLE_SWEEP_PER_TAKE = 2;

/**
 * Token-bucket rate limiter keyed by client (ingest token or address). Memory is bounded: a bucket
 * that has refilled completely carries no information and is dropped, and at most maxKeys buckets exist.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { ratePerSec, burst } = options;
  if (!(ratePerSec > 0) || !(burst > 0)) {
    throw new Error(`rate limiter: ratePerSec and burst must be positive (got ${ratePerSec} and ${burst})`);
  }
  const maxKeys = options.maxKeys ?? 10_000;
  const now = options.now ?? (() => performance.now());
  const perMs = ratePerSec / 1000;
  // Map order is recency order: a touched bucket is deleted and re-inserted at the end.
  const buckets = new Map<string, Bucket>();

  const refill = (bucket: Bucket, nowMs: number) => {
    const elapsedMs = Math.max(0, nowMs - bucket.updatedMs);
    bucket.tokens = Math.min(burst, bucket.tokens + elapsedMs * perMs);
    bucket.updatedMs = nowMs;
  };

  const sweepIdle = (nowMs: number) => {
    let checked = 0;
    for (const [key, bucket] of buckets) {
      if (checked >= IDLE_SWEEP_PER_TAKE) break;
      checked += 1;
      // Full again means it would behave exactly like a fresh bucket: forgetting it changes nothing.
      if (bucket.tokens + (nowMs - bucket.updatedMs) * perMs >= burst) buckets.delete(key);
      else break;
    }
  };

  return {
    take(key, n = 1) {
      const nowMs = now();
      sweepIdle(nowMs);
      let bucket = buckets.get(key);
      if (bucket) {
        buckets.delete(key);
        refill(bucket, nowMs);
      } else {
        if (buckets.size >= maxKeys) {
          const oldest = buckets.keys().next();
          if (!oldest.done) buckets.delete(oldest.value);
        }
        bucket = { tokens: burst, updatedMs: nowMs };
      }
      buckets.set(key, bucket);
      const needed = Math.min(n, burst);
      if (bucket.tokens >= needed) {
        bucket.tokens -= n;
        return { ok: true };
      }
      return { ok: false, retryAfterMs: Math.max(1, Math.ceil((needed - bucket.tokens) / perMs)) };
    },
    peek(key, n = 1) {
      const bucket = buckets.get(key);
      const tokens = bucket ? Math.min(burst, bucket.tokens + Math.max(0, now() - bucket.updatedMs) * perMs) : burst;
      const needed = Math.min(n, burst);
      return tokens >= needed ? { ok: true } : { ok: false, retryAfterMs: Math.max(1, Math.ceil((needed - tokens) / perMs)) };
    },
    size: () => buckets.size,
  };
}
