import { aggregateKey, seriesPatternKey } from "@livedash/events";
import type { Aggregate } from "@livedash/events";
import type { AggregateGroup } from "./aggregate-group";
import { AggregateRefusalError } from "./aggregate-limits";
import type { AggregateLimits } from "./aggregate-limits";
import type { PatternIndex, PatternSet } from "./pattern-index";
import type { Group, Subscriber } from "./subscriber";

/** One aggregation per distinct selection (deduplicated, sorted) and aggregation (`by` order does not matter). */
function groupKey(patterns: readonly string[], aggregate: Aggregate | undefined): string {
  return seriesPatternKey(patterns) + (aggregate ? `|${aggregateKey(aggregate)}` : "");
}

export interface GroupAggregates {
  /** The aggregation of a new group, started by `address` (its members are charged to it). */
  create(aggregate: Aggregate, group: Group, address: string | undefined): AggregateGroup;
  /** A group's aggregation was released (its members given back). */
  released(key: string): void;
  /** The server's member budget: its total, what an address is charged, and who is charged for an aggregation. */
  members: { maxTotal: number; usedBy(address: string): number; charged(key: string): { owner: string | undefined; members: number } | undefined };
  limits: AggregateLimits;
  idleMs: number;
  maxIdle: number;
  now: () => number;
}

/**
 * The groups of one live path. A raw group lives while it has subscribers; an aggregated one keeps
 * running `idleMs` after its last subscriber left (so the next long-poll or a reconnect finds its state
 * and its kept events). While an address holds it (aggregate-holds.ts) it is never evicted for anyone
 * else; one nobody holds (its subscribers had no address) gives way when a new aggregation needs its
 * room under the server-wide cap or the member budget, and at most `maxIdle` of those are kept.
 */
export function createGroups(index: PatternIndex, aggregates: GroupAggregates) {
  const groups = new Map<string, Group & { readonly set: PatternSet }>();
  /** Aggregated groups without subscribers, longest idle first. */
  const idle = new Map<string, Group & { readonly set: PatternSet }>();
  const { limits } = aggregates;
  const { holds } = limits;
  /** Aggregated groups, idle ones included. */
  let aggregations = 0;

  function drop(group: Group & { readonly set: PatternSet }) {
    if (!groups.delete(group.key)) return;
    if (group.aggregate) {
      aggregations--;
      group.aggregate.release();
      aggregates.released(group.key);
      holds.release(group.key);
    }
    idle.delete(group.key);
    index.release(group.set);
  }

  function rest(group: Group & { readonly set: PatternSet }) {
    group.aggregate!.idleSince = aggregates.now();
    idle.delete(group.key);
    idle.set(group.key, group);
  }

  /** Idle groups nobody holds, longest idle first: they give way to anyone. */
  function* evictable() {
    for (const group of idle.values()) if (!holds.held(group.key)) yield group;
  }

  /** What a fair share is counted in: aggregations held (each costs 1), or member series charged. */
  interface Usage {
    cap: number;
    of(address: string): number;
    /** What `address` would no longer use if the aggregation `key` went. */
    cost(key: string, address: string): number;
  }
  const heldGroups: Usage = { cap: limits.maxGroups, of: (address) => holds.count(address), cost: () => 1 };
  const chargedMembers: Usage = {
    cap: aggregates.members.maxTotal,
    of: (address) => aggregates.members.usedBy(address),
    cost(key, address) {
      const charged = aggregates.members.charged(key);
      return charged?.owner === address ? charged.members : 0;
    },
  };

  /**
   * Idle groups that may give way to a new one of `address`, longest idle first: those nobody holds;
   * then, while `address` uses less than its fair share (the cap over the addresses holding
   * aggregations, itself included; at least 1), those every holder of which uses more than its share
   * and keeps at least its share without it. Max-min fairness: an address within its share is never
   * pushed under it, so evicted addresses cannot evict back in turn; groups with subscribers are
   * never idle, so never here. `taken`: what earlier picks already take from each address.
   */
  function* evictableFor(address: string | undefined, usage: Usage, taken = new Map<string, number>()) {
    yield* evictable();
    if (address === undefined) return;
    const share = Math.max(1, Math.floor(usage.cap / (holds.addresses() + (holds.count(address) === 0 ? 1 : 0))));
    if (usage.of(address) >= share) return;
    for (const group of idle.values()) {
      let held = false;
      let over = true;
      for (const holder of holds.holders(group.key)) {
        held = true;
        if (holder === address || usage.of(holder) - (taken.get(holder) ?? 0) - usage.cost(group.key, holder) < share) {
          over = false;
          break;
        }
      }
      if (held && over) yield group;
    }
  }

  /** Drops idle groups past idleMs (their holds expired with them), then unheld ones past maxIdle. */
  function pruneIdle() {
    holds.expire();
    const cutoff = aggregates.now() - aggregates.idleMs;
    for (const group of idle.values()) {
      // Idle in the order they went idle, and a hold never outlives its group's idleness.
      if ((group.aggregate!.idleSince ?? 0) > cutoff) break;
      if (!holds.held(group.key)) drop(group);
    }
  }

  function trimIdle() {
    if (idle.size <= aggregates.maxIdle) return;
    let over = idle.size - aggregates.maxIdle;
    for (const group of [...evictable()]) {
      if (over-- <= 0) break;
      drop(group);
    }
  }

  /** Aggregations that cannot give way to a new one of `address`. */
  function inUse(address: string | undefined): number {
    let free = 0;
    for (const _ of evictableFor(address, heldGroups)) free++;
    return aggregations - free;
  }

  /**
   * Drops idle aggregations that may give way to `address` (nobody's first, then those of addresses
   * over their fair share of members) until they gave back `short` member slots; drops none (false)
   * when all of them together could not.
   */
  function makeRoom(short: number, address: string | undefined): boolean {
    const free = new Set<Group & { readonly set: PatternSet }>();
    const taken = new Map<string, number>();
    let freed = 0;
    for (const group of evictableFor(address, chargedMembers, taken)) {
      if (freed >= short) break;
      if (free.has(group)) continue;
      free.add(group);
      const charged = aggregates.members.charged(group.key);
      if (charged?.owner !== undefined) taken.set(charged.owner, (taken.get(charged.owner) ?? 0) + charged.members);
      freed += group.aggregate!.stats().members;
    }
    if (free.size === 0 || freed < short) return false;
    for (const old of free) drop(old);
    return true;
  }

  /**
   * The aggregation of a new group. Past the server's member budget, idle ones nobody holds give their
   * members back when that is enough, and it is tried once more; any other refusal is final at once.
   * A refusal is counted once, when it is final.
   */
  function createAggregate(aggregate: Aggregate, group: Group, address: string | undefined): AggregateGroup {
    try {
      try {
        return aggregates.create(aggregate, group, address);
      } catch (error) {
        if (!(error instanceof AggregateRefusalError) || error.limit !== "members" || !makeRoom(error.short, address)) throw error;
        return aggregates.create(aggregate, group, address);
      }
    } catch (error) {
      if (error instanceof AggregateRefusalError) limits.count(error);
      throw error;
    }
  }

  /** Throws TOO_MANY_REQUESTS when this subscriber would pass a cap; changes nothing but dropping expired idle aggregations. */
  function check(key: string, patterns: readonly string[], address: string | undefined, aggregate: Aggregate | undefined) {
    if (aggregate) {
      // Idle ones past idleMs first: they must not count against anyone (nor take members a new one needs).
      pruneIdle();
      // Aggregation caps first: the pattern check is what admit() records.
      limits.check(key, address, groups.has(key), () => inUse(address));
    }
    index.check(patterns, address);
    // Last, and only looked at: the token is taken once the aggregation was created (ensure).
    if (aggregate && !groups.has(key)) limits.checkCreation(address);
  }

  /** The group of `key`, created when missing (an aggregation seeded, under the caps). Throws past the member budget. */
  function ensure(key: string, distinct: readonly string[], aggregate: Aggregate | undefined, address: string | undefined): Group & { readonly set: PatternSet } {
    const existing = groups.get(key);
    if (existing) return existing;
    // At the cap one that may give way to this address (check() refused otherwise) goes: the longest idle.
    if (aggregate) {
      for (const old of [...evictableFor(address, heldGroups)]) {
        if (aggregations < limits.maxGroups) break;
        drop(old);
      }
    }
    const set = index.acquire(distinct);
    const created: Group & { readonly set: PatternSet; aggregate: AggregateGroup | null } = {
      key,
      patterns: distinct,
      set,
      matches: (series) => index.matches(set, series),
      matchAll: distinct.includes("*"),
      memo: new Map(),
      subs: new Set(),
      aggregate: null,
    };
    // Created with its group: seeding it filters the store's latest points through the group. It
    // throws when the members it would hold pass the server's budget: nothing is kept then.
    if (aggregate) {
      try {
        created.aggregate = createAggregate(aggregate, created, address);
      } catch (error) {
        index.release(set);
        throw error;
      }
      limits.chargeCreation(address);
      aggregations++;
    }
    groups.set(key, created);
    return created;
  }

  return {
    values: () => groups.values(),
    pruneIdle,
    limits,
    /** Aggregated groups running now: with subscribers, and idle. */
    aggregations: () => ({ active: aggregations - idle.size, idle: idle.size }),
    /**
     * Throws what join() would throw, for transports that answer before they open a stream. A new
     * aggregation is created here (idle until the subscriber joins it): only its seed tells whether
     * its members fit the server's budget. The address holds it from now.
     */
    prepare(patterns: readonly string[], address: string | undefined, aggregate?: Aggregate) {
      const key = groupKey(patterns, aggregate);
      const distinct = groups.get(key)?.patterns ?? [...new Set(patterns)].sort();
      check(key, distinct, address, aggregate);
      if (!aggregate) return;
      const group = ensure(key, distinct, aggregate, address);
      if (address !== undefined) holds.reserve(key, address);
      if (group.subs.size === 0) {
        rest(group);
        trimIdle();
      }
    },
    /** Throws TOO_MANY_REQUESTS (naming the limit) when the patterns or the aggregation pass a cap; nothing joined then. */
    join(patterns: readonly string[], address: string | undefined, sub: (group: Group) => Subscriber, aggregate?: Aggregate): Subscriber {
      const key = groupKey(patterns, aggregate);
      const distinct = groups.get(key)?.patterns ?? [...new Set(patterns)].sort();
      check(key, distinct, address, aggregate);
      const group = ensure(key, distinct, aggregate, address);
      index.admit(distinct, address);
      if (aggregate) limits.admit(key, address);
      if (group.aggregate) {
        group.aggregate.idleSince = null;
        idle.delete(key);
      }
      const joined = sub(group);
      group.subs.add(joined);
      pruneIdle();
      return joined;
    },
    leave(sub: Subscriber) {
      const group = groups.get(sub.group.key);
      index.dismiss(sub.group.patterns, sub.address);
      if (sub.group.aggregate) limits.dismiss(sub.group.key, sub.address);
      sub.group.subs.delete(sub);
      if (sub.group.subs.size === 0 && group) {
        if (!group.aggregate) return drop(group);
        rest(group);
        pruneIdle();
        trimIdle();
      }
    },
    /** Ends every group, idle ones included (the live path closing). */
    clear() {
      for (const group of [...groups.values()]) drop(group);
    },
  };
}
