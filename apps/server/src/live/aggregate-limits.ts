import { TRPCError } from "@trpc/server";

export interface AggregateLimitOptions {
  /**
   * Live aggregations (distinct selection + op + by) the server runs at once. Idle ones (no subscriber,
   * kept for the next long-poll or reconnect) count too but give way to a new one; only aggregations
   * with subscribers refuse. Each holds member state and kept events (docs/aggregation.md, "Memory").
   * LIVEDASH_MAX_AGGREGATE_GROUPS.
   * @default 64
   */
  maxGroups?: number;
  /**
   * Distinct aggregations the subscribers of one address may hold at once (joining one it already
   * holds costs nothing). LIVEDASH_MAX_AGGREGATE_GROUPS_PER_ADDRESS.
   * @default 16
   */
  maxGroupsPerAddress?: number;
}

/**
 * Counts live aggregations per address and refuses past the caps, naming the variable. Selectors have
 * their own caps (pattern-index.ts); these exist because one selector with many `by` sets or ops is
 * many aggregations, each with its own state, which the selector caps never saw.
 */
export function createAggregateLimits(options: AggregateLimitOptions = {}) {
  const maxGroups = options.maxGroups ?? 64;
  const maxPerAddress = options.maxGroupsPerAddress ?? 16;
  /** Address -> aggregation key -> subscribers of that address in it. */
  const perAddress = new Map<string, Map<string, number>>();
  const refused = { server: 0, perAddress: 0 };

  return {
    maxGroups,
    /**
     * Throws TOO_MANY_REQUESTS when a subscriber of `address` joining the aggregation `key` passes a cap.
     * `exists`: the aggregation runs already (with subscribers or idle), so the server adds nothing;
     * `active`: aggregations with subscribers now.
     */
    check(key: string, address: string | undefined, exists: boolean, active: number) {
      if (!exists && active >= maxGroups) {
        refused.server++;
        throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: `aggregate: the server runs at most ${maxGroups} aggregations (LIVEDASH_MAX_AGGREGATE_GROUPS); ${active} are in use (each distinct selection, op and by set counts once)` });
      }
      if (address === undefined) return;
      const held = perAddress.get(address);
      if (!held?.has(key) && (held?.size ?? 0) >= maxPerAddress) {
        refused.perAddress++;
        throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: `aggregate: one address may hold at most ${maxPerAddress} aggregations (LIVEDASH_MAX_AGGREGATE_GROUPS_PER_ADDRESS); ${held?.size ?? 0} are in use (each distinct selection, op and by set counts once)` });
      }
    },
    /** Counts a subscriber of `address` in the aggregation `key` until dismiss(). */
    admit(key: string, address: string | undefined) {
      if (address === undefined) return;
      const held = perAddress.get(address) ?? new Map<string, number>();
      held.set(key, (held.get(key) ?? 0) + 1);
      perAddress.set(address, held);
    },
    dismiss(key: string, address: string | undefined) {
      const held = address === undefined ? undefined : perAddress.get(address);
      if (!held) return;
      const refs = (held.get(key) ?? 1) - 1;
      if (refs <= 0) held.delete(key);
      else held.set(key, refs);
      if (held.size === 0) perAddress.delete(address!);
    },
    stats: () => ({ refusedServer: refused.server, refusedPerAddress: refused.perAddress, addresses: perAddress.size }),
  };
}

export type AggregateLimits = ReturnType<typeof createAggregateLimits>;
