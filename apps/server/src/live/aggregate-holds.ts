export interface AggregateHoldOptions {
  /**
   * How long an address keeps holding an aggregation after its last subscriber there left: a long-poll
   * between two polls, or a stream reconnecting, is still using it. Same as the aggregation's idleMs.
   * @default 60_000
   */
  idleMs?: number;
  /**
   * Holds with no subscriber (kept idleMs) tracked at once, all addresses together: past it the oldest
   * of an aggregation somebody else holds too is forgotten early, so this map stays bounded however
   * many addresses come and go. The last hold of a running aggregation is never forgotten early (one
   * per aggregation: at most LIVEDASH_MAX_AGGREGATE_GROUPS more): forgetting it would let the
   * aggregation be evicted and its poller reset, for no memory saved.
   * @default 10_000
   */
  maxIdleHolds?: number;
  /** @default Date.now */
  now?: () => number;
}

interface Hold {
  readonly address: string;
  readonly key: string;
  /** Subscribers of this address in the aggregation now; 0: idle since leftAt. */
  subs: number;
  leftAt: number;
}

/**
 * Which addresses hold which aggregation: while one of their subscribers is in it, and idleMs after the
 * last one left (a short or long poll leaves between answers). A hold counts against its address's
 * caps, and an aggregation someone holds is never evicted for another's: that is what lets a poller
 * resume without a reset. Both maps hold only (address, aggregation) pairs with a subscriber now, plus
 * at most maxIdleHolds idle ones.
 */
export function createAggregateHolds(options: AggregateHoldOptions = {}) {
  const idleMs = options.idleMs ?? 60_000;
  const maxIdleHolds = options.maxIdleHolds ?? 10_000;
  const now = options.now ?? Date.now;
  const byAddress = new Map<string, Map<string, Hold>>();
  const byKey = new Map<string, Map<string, Hold>>();
  /** Idle holds, longest idle first (re-inserted when they go idle again). */
  const idle = new Set<Hold>();

  function index(outer: Map<string, Map<string, Hold>>, a: string, b: string, hold: Hold | null) {
    const inner = outer.get(a);
    if (hold) {
      if (inner) inner.set(b, hold);
      else outer.set(a, new Map([[b, hold]]));
      return;
    }
    inner?.delete(b);
    if (inner?.size === 0) outer.delete(a);
  }

  let onForget: ((key: string, address: string) => void) | null = null;
  /** Idle holds forgotten before idleMs passed (livedash_aggregate_holds_forgotten_total). */
  let forgottenEarly = 0;

  function forget(hold: Hold) {
    idle.delete(hold);
    index(byAddress, hold.address, hold.key, null);
    index(byKey, hold.key, hold.address, null);
  }

  function get(key: string, address: string): Hold {
    const existing = byAddress.get(address)?.get(key);
    if (existing) return existing;
    const hold: Hold = { address, key, subs: 0, leftAt: now() };
    index(byAddress, address, key, hold);
    index(byKey, key, address, hold);
    return hold;
  }

  function rest(hold: Hold) {
    hold.leftAt = now();
    idle.delete(hold);
    idle.add(hold);
    expire();
  }

  function end(hold: Hold) {
    forget(hold);
    onForget?.(hold.key, hold.address);
  }

  /**
   * Forgets idle holds past idleMs, then, past maxIdleHolds, the oldest ones whose aggregation another
   * address holds too. The scan skips at most one hold per running aggregation (its last).
   */
  function expire() {
    const cutoff = now() - idleMs;
    for (const hold of idle) {
      if (hold.leftAt > cutoff) break;
      end(hold);
    }
    if (idle.size <= maxIdleHolds) return;
    for (const hold of idle) {
      if (idle.size <= maxIdleHolds) break;
      if (byKey.get(hold.key)!.size < 2) continue;
      forgottenEarly++;
      end(hold);
    }
  }

  return {
    expire,
    /** Addresses holding an aggregation now (the ones a fair share is counted among). */
    addresses: () => byAddress.size,
    /** Aggregations `address` holds (with a subscriber now, or left less than idleMs ago). */
    count: (address: string) => byAddress.get(address)?.size ?? 0,
    holds: (key: string, address: string) => byAddress.get(address)?.has(key) ?? false,
    /** The addresses holding `key`, longest first. */
    holders: (key: string): Iterable<string> => byKey.get(key)?.keys() ?? [],
    /** Called when a hold ends while its aggregation runs on (idleMs passed, or maxIdleHolds). */
    onForget(listener: (key: string, address: string) => void) {
      onForget = listener;
    },
    /** Somebody holds the aggregation: it must not be evicted. */
    held: (key: string) => byKey.has(key),
    /** A subscriber of `address` joined `key`. */
    join(key: string, address: string) {
      const hold = get(key, address);
      if (hold.subs++ === 0) idle.delete(hold);
    },
    /** A subscriber of `address` left `key`: with its last, the hold idles for idleMs. */
    leave(key: string, address: string) {
      const hold = byAddress.get(address)?.get(key);
      if (!hold || hold.subs === 0) return;
      if (--hold.subs === 0) rest(hold);
    },
    /** `address` is about to join `key` (a stream checked before it opens): held from now, idle until it joins. */
    reserve(key: string, address: string) {
      const hold = get(key, address);
      if (hold.subs === 0) rest(hold);
    },
    /** The aggregation is gone: nobody holds it any more. */
    release(key: string) {
      for (const hold of [...(byKey.get(key)?.values() ?? [])]) forget(hold);
    },
    stats: () => ({ addresses: byAddress.size, idleHolds: idle.size, forgottenEarly }),
  };
}

export type AggregateHolds = ReturnType<typeof createAggregateHolds>;
