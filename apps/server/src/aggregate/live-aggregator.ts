import type { Aggregate, Point } from "@livedash/events";
import { outputKeyOf } from "./output-key";
import { Fold, perSecondRate } from "./reduce";

export interface LiveAggregatorOptions {
  /**
   * A member series whose latest point is older than this (by the server's clock) no longer counts in
   * its group, and its state is dropped: Prometheus' lookback delta, so a host that stopped reporting
   * leaves a `sum` after 5 minutes instead of holding its last value forever.
   * @default 300_000
   */
  staleMs?: number;
  /**
   * Member series one aggregation keeps state for; a new member past it is not counted (and counted in
   * `stats().refused`). The store's series cap keeps real use far below.
   * @default 65_536
   */
  maxMembers?: number;
  /**
   * Member slots shared with the server's other aggregations (LIVEDASH_MAX_AGGREGATE_MEMBERS and an
   * address's share of it): a new member it refuses is not counted either. Absent: only maxMembers
   * bounds this aggregation.
   */
  budget?: MemberBudget;
  /** The clock staleness is judged by. @default Date.now */
  now?: () => number;
}

/** Member slots an aggregation takes from what the server's aggregations may hold together. */
export interface MemberBudget {
  /** One slot for a new member; false when none is left (the member is not counted). */
  take(): boolean;
  /** Gives `n` slots back (members that left, or the whole aggregation). */
  give(n: number): void;
}

/**
 * Latest state of one member series. `rate` is its per-second rate between its point before the
 * latest (at `prevTs`) and the latest, null until a second point.
 */
interface Member {
  ts: number;
  value: number;
  rate: number | null;
  prevTs: number;
}

interface OutputGroup {
  readonly key: string;
  readonly members: Map<string, Member>;
}

/**
 * One live aggregation (op, by) over the points a subscriber group selected. Per batch: each point
 * updates its member's latest value (points not newer than the member's latest are ignored, as
 * Prometheus refuses out-of-order samples); then every output group one of whose members changed
 * emits ONE point: `ts` is the newest changed member point's ts, `value` is op over the latest value
 * of each of its fresh members (for `rate`: the sum of each member's rate between its last two
 * points when both are fresh, a counter drop taken as a reset). A group with no fresh member emits nothing and is dropped.
 */
export function createLiveAggregator(aggregate: Aggregate, options: LiveAggregatorOptions = {}) {
  const staleMs = options.staleMs ?? 300_000;
  const maxMembers = options.maxMembers ?? 65_536;
  const now = options.now ?? Date.now;
  const budget = options.budget;
  const by = aggregate.by ?? [];
  const op = aggregate.op;
  const groups = new Map<string, OutputGroup>();
  /** Member key -> its output group, for members that hold state now. */
  const memberGroups = new Map<string, OutputGroup>();
  let refused = 0;
  let lastSweep = now();

  function groupOf(series: string): OutputGroup | null {
    const known = memberGroups.get(series);
    if (known) return known;
    if (memberGroups.size >= maxMembers) {
      refused++;
      return null;
    }
    const key = outputKeyOf(series, by);
    if (key === null) return null;
    if (budget !== undefined && !budget.take()) {
      refused++;
      return null;
    }
    let group = groups.get(key);
    if (!group) {
      group = { key, members: new Map() };
      groups.set(key, group);
    }
    memberGroups.set(series, group);
    return group;
  }

  function drop(group: OutputGroup, series: string) {
    group.members.delete(series);
    if (memberGroups.delete(series)) budget?.give(1);
    if (group.members.size === 0) groups.delete(group.key);
  }

  /** Members last seen before `cutoff` leave; a group left empty goes too. */
  function sweep(cutoff: number) {
    for (const group of [...groups.values()]) {
      for (const [series, member] of group.members) if (member.ts < cutoff) drop(group, series);
    }
  }

  return {
    /** Feeds one batch's selected points (in accepted order); returns the group points it yields. */
    apply(points: readonly Point[]): Point[] {
      const clock = now();
      const cutoff = clock - staleMs;
      const touched = new Map<OutputGroup, number>();
      for (const point of points) {
        const group = groupOf(point.series);
        if (!group) continue;
        const member = group.members.get(point.series);
        if (member === undefined) {
          group.members.set(point.series, { ts: point.ts, value: point.value, rate: null, prevTs: point.ts });
        } else {
          if (point.ts <= member.ts) continue;
          if (op === "rate") {
            member.rate = perSecondRate(member.ts, member.value, point.ts, point.value);
            member.prevTs = member.ts;
          }
          member.ts = point.ts;
          member.value = point.value;
        }
        const ts = touched.get(group);
        if (ts === undefined || point.ts > ts) touched.set(group, point.ts);
      }
      const out: Point[] = [];
      for (const [group, ts] of touched) {
        const fold = new Fold(op);
        for (const [series, member] of group.members) {
          if (member.ts < cutoff) drop(group, series);
          else if (op !== "rate") fold.add(member.value);
          // Like Prometheus' irate over a staleMs window: both points of the rate must lie inside it.
          else if (member.rate !== null && member.prevTs >= cutoff) fold.add(member.rate);
        }
        if (fold.count > 0) out.push({ series: group.key, ts, value: fold.value });
      }
      // Groups no batch touches any more are swept too, a few times per staleness window: memory
      // follows the series that report, not every series that ever did.
      if (clock - lastSweep >= staleMs / 4) {
        lastSweep = clock;
        sweep(cutoff);
      }
      return out;
    },
    stats: () => ({ groups: groups.size, members: memberGroups.size, refused }),
    /** The aggregation is gone: its members give their budget back. */
    release() {
      budget?.give(memberGroups.size);
      memberGroups.clear();
      groups.clear();
    },
  };
}

export type LiveAggregator = ReturnType<typeof createLiveAggregator>;
