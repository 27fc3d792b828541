import { TRPCError } from "@trpc/server";
import { createRateLimiter } from "../security/rate-limit";
import { createAggregateHolds } from "./aggregate-holds";
import type { AggregateHoldOptions } from "./aggregate-holds";

export interface AggregateLimitOptions extends AggregateHoldOptions {
  /**
   * Live aggregations (distinct selection + op + by) the server runs at once, idle ones included. An
   * idle one an address still holds (its subscriber left less than idleMs ago: a long-poll between
   * polls, a reconnect) is never evicted for another; one nobody holds gives way to a new one. Each
   * holds member state and kept events (docs/aggregation.md, "Memory"). LIVEDASH_MAX_AGGREGATE_GROUPS.
   * @default 64
   */
  maxGroups?: number;
  /**
   * Distinct aggregations one address may hold at once: those its subscribers are in, and those they
   * left less than idleMs ago (joining one it holds costs nothing). LIVEDASH_MAX_AGGREGATE_GROUPS_PER_ADDRESS.
   * @default 16
   */
  maxGroupsPerAddress?: number;
  /**
   * New aggregations one address may start per minute (each is seeded from every member's latest
   * point): a token bucket of this size, refilled evenly over the minute. Joining one that runs is free.
   * LIVEDASH_AGGREGATE_CREATES_PER_MIN.
   * @default 16
   */
  createsPerMinute?: number;
}

/** The `limit` label of livedash_aggregate_refused_total: every reason an aggregated subscription is refused. */
export type AggregateRefusal = "server" | "per_address" | "create_rate" | "members" | "members_per_address";

/** A refusal that says which limit refused, so it is counted once, where it is finally answered. */
export class AggregateRefusalError extends TRPCError {
  constructor(
    readonly limit: AggregateRefusal,
    message: string,
    /** For `members`: member slots missing server-wide (what idle aggregations would have to give back). */
    readonly short = 0,
  ) {
    super({ code: "TOO_MANY_REQUESTS", message: `aggregate: ${message}` });
  }
}

/**
 * Counts live aggregations per address and refuses past the caps, naming the variable. Selectors have
 * their own caps (pattern-index.ts); these exist because one selector with many `by` sets or ops is
 * many aggregations, each with its own state, which the selector caps never saw.
 */
export function createAggregateLimits(options: AggregateLimitOptions = {}) {
  const maxGroups = options.maxGroups ?? 64;
  const maxPerAddress = options.maxGroupsPerAddress ?? 16;
  const createsPerMinute = options.createsPerMinute ?? 16;
  const idleMs = options.idleMs ?? 60_000;
  const holds = createAggregateHolds(options);
  // Buckets of addresses that started nothing for a minute are full again and forgotten (rate-limit.ts).
  const creations = createRateLimiter({ ratePerSec: createsPerMinute / 60, burst: createsPerMinute, maxKeys: 10_000 });
  const refused: Record<AggregateRefusal, number> = { server: 0, per_address: 0, create_rate: 0, members: 0, members_per_address: 0 };

  function refuse(limit: AggregateRefusal, message: string): never {
    refused[limit]++;
    throw new AggregateRefusalError(limit, message);
  }

  return {
    maxGroups,
    holds,
    /** Counts a refusal made elsewhere (a new aggregation's seed did not fit) once it is final. */
    count(error: AggregateRefusalError) {
      refused[error.limit]++;
    },
    /**
     * Throws TOO_MANY_REQUESTS when a subscriber of `address` joining the aggregation `key` passes a cap.
     * `exists`: the aggregation runs already (with subscribers or idle), so the server adds nothing;
     * `inUse()`: aggregations that cannot give way to a new one (subscribed or held).
     */
    check(key: string, address: string | undefined, exists: boolean, inUse: () => number) {
      holds.expire();
      if (!exists) {
        const used = inUse();
        if (used >= maxGroups) refuse("server", `the server runs at most ${maxGroups} aggregations (LIVEDASH_MAX_AGGREGATE_GROUPS); ${used} are in use (each distinct selection, op and by set counts once)`);
      }
      if (address === undefined) return;
      const held = holds.count(address);
      if (!holds.holds(key, address) && held >= maxPerAddress) {
        refuse("per_address", `one address may hold at most ${maxPerAddress} aggregations (LIVEDASH_MAX_AGGREGATE_GROUPS_PER_ADDRESS); ${held} are in use (each distinct selection, op and by set counts once, and one its subscribers left counts ${idleMs / 1000} s more)`);
      }
    },
    /** Throws TOO_MANY_REQUESTS when the bucket of `address` has no token for a new aggregation; takes none. */
    checkCreation(address: string | undefined) {
      if (address === undefined) return;
      const verdict = creations.peek(address);
      if (!verdict.ok) {
        refuse("create_rate", `one address may start at most ${createsPerMinute} new aggregations per minute (LIVEDASH_AGGREGATE_CREATES_PER_MIN); retry in ${verdict.retryAfterMs} ms`);
      }
    },
    /** Takes the token checkCreation() saw, once the new aggregation was created: a refused one costs nothing. */
    chargeCreation(address: string | undefined) {
      if (address !== undefined) creations.take(address);
    },
    /** Counts a subscriber of `address` in the aggregation `key` until dismiss(), and the address's hold idleMs after. */
    admit(key: string, address: string | undefined) {
      if (address !== undefined) holds.join(key, address);
    },
    dismiss(key: string, address: string | undefined) {
      if (address !== undefined) holds.leave(key, address);
    },
    stats: () => ({ refused: { ...refused }, addresses: holds.stats().addresses, holdsForgotten: holds.stats().forgottenEarly }),
  };
}

export type AggregateLimits = ReturnType<typeof createAggregateLimits>;
