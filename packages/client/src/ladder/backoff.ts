/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And Jitter"):
 * a uniformly random delay in [0, min(maxMs, baseMs * 2^attempt)]. Full jitter spreads the
 * reconnect storm after a server restart across the whole window instead of synchronising clients.
 */
export function fullJitterDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const capMs = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * capMs);
}
