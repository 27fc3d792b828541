import { LIMIT_DEFAULTS } from "@livedash/events";

export interface ConnectionLimiterOptions {
  /** Concurrent connections (WebSocket, SSE, ingest requests in flight) one address may hold. @default LIMIT_DEFAULTS.maxConnectionsPerIp (1_000) */
  readonly maxPerIp?: number;
}

export interface ConnectionLimiter {
  /**
   * Counts `n` more connections (default 1) for `ip`; false (and nothing counted) when they would pass
   * the limit. One request holding several waiters (a batch of long-polls) takes one slot for each.
   */
  acquire(ip: string, n?: number): boolean;
  /** Gives back `n` connections (default 1) of `ip`. Releasing more than was acquired stops at 0, never negative. */
  release(ip: string, n?: number): void;
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
  const maxPerIp = options.maxPerIp ?? LIMIT_DEFAULTS.maxConnectionsPerIp;
  const counts = new Map<string, number>();
  let total = 0;
  return {
    acquire(ip, n = 1) {
      const key = normalizeIp(ip);
      const current = counts.get(key) ?? 0;
      if (current + n > maxPerIp) return false;
      counts.set(key, current + n);
      total += n;
      return true;
    },
    release(ip, n = 1) {
      const key = normalizeIp(ip);
      const current = counts.get(key);
      if (current === undefined) return;
      const released = Math.min(current, n);
      if (current <= released) counts.delete(key);
      else counts.set(key, current - released);
      total -= released;
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

/** The refusal of a long-poll past LIVEDASH_MAX_POLLS_PER_IP, the same over HTTP and WebSocket. */
export function pollLimitMessage(maxPollsPerIp: number): string {
  return `too many long-polls waiting from this address (limit ${maxPollsPerIp}, LIVEDASH_MAX_POLLS_PER_IP)`;
}
