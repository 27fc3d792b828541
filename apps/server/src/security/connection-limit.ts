export interface ConnectionLimiterOptions {
  /** Concurrent connections (WebSocket + SSE + long-poll) one address may hold. @default 20_000 */
  readonly maxPerIp?: number;
}

export interface ConnectionLimiter {
  /** Counts one more connection for `ip`; false (and nothing counted) when it is at the limit. */
  acquire(ip: string): boolean;
  /** Gives back one connection of `ip`. Releasing more than was acquired is a no-op, never negative. */
  release(ip: string): void;
  /** Connections held by all addresses. */
  count(): number;
  /** Connections held by one address. */
  countFor(ip: string): number;
}

/**
 * Per-address concurrent connection counter. Entries are deleted when their count returns to 0, so
 * memory follows the number of connected addresses, not the number that ever connected.
 * Callers must pair every successful acquire() with exactly one release() (on the socket's `close`).
 */
export function createConnectionLimiter(options: ConnectionLimiterOptions = {}): ConnectionLimiter {
  const maxPerIp = options.maxPerIp ?? 20_000;
  const counts = new Map<string, number>();
  let total = 0;
  return {
    acquire(ip) {
      const key = normalizeIp(ip);
      const current = counts.get(key) ?? 0;
      if (current >= maxPerIp) return false;
      counts.set(key, current + 1);
      total += 1;
      return true;
    },
    release(ip) {
      const key = normalizeIp(ip);
      const current = counts.get(key);
      if (current === undefined) return;
      if (current <= 1) counts.delete(key);
      else counts.set(key, current - 1);
      total -= 1;
    },
    count: () => total,
    countFor: (ip) => counts.get(normalizeIp(ip)) ?? 0,
  };
}

/**
 * A dual-stack server reports IPv4 peers as `::ffff:1.2.3.4`; folding that to `1.2.3.4` keeps one
 * client from getting two budgets.
 */
export function normalizeIp(ip: string): string {
  return ip.startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip;
}
