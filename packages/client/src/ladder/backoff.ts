/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And Jitter"):
 * a uniformly random delay in [0, min(maxMs, baseMs * 2^attempt)]. Full jitter spreads the
 * reconnect storm after a server restart across the whole window instead of synchronising clients.
 */
export function fullJitterDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const capMs = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * capMs);
}

/** What a retry waits: `retryFloorMs`, plus full jitter on `backoffBaseMs` capped at `maxBackoffMs`. */
export interface RetryPolicy {
  readonly retryFloorMs: number;
  readonly backoffBaseMs: number;
  readonly maxBackoffMs: number;
}

/** The wait before retry number `attempt`: never less than the floor, plus full jitter on top. */
export function retryDelayMs(attempt: number, options: RetryPolicy, random: () => number = Math.random): number {
  return options.retryFloorMs + fullJitterDelayMs(attempt, options.backoffBaseMs, options.maxBackoffMs, random);
}
