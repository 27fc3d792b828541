import type { Aggregate, Point } from "@livedash/events";
import { createLiveAggregator } from "../aggregate/live-aggregator";
import type { MemberBudget } from "../aggregate/live-aggregator";

export interface AggregateOptions {
  /**
   * A member series without a point for this long stops counting in its aggregate (Prometheus'
   * lookback delta). LIVEDASH_AGGREGATE_STALE_MS.
   * @default 300_000
   */
  staleMs?: number;
  /**
   * Events an aggregation keeps so a subscriber resuming inside them (a reconnect, a transport switch,
   * the next long-poll) gets exactly what it missed; an older position gets a `reset`.
   * @default 1_000
   */
  replayEvents?: number;
  /**
   * Points those kept events may hold in all (an aggregate by a label with many values is wide). With
   * LIVEDASH_MAX_AGGREGATE_GROUPS this bounds what the server keeps for aggregate resumes.
   * @default 10_000
   */
  replayPoints?: number;
  /**
   * Member series one aggregation keeps state for (the server passes its series cap, at most 65,536).
   * @default 65_536
   */
  maxMembers?: number;
  /**
   * How long an aggregation nobody subscribes to keeps running (so long-polls, which leave between
   * answers, and reconnects find it with its state and its kept events); its addresses hold it as long.
   * @default 60_000
   */
  idleMs?: number;
  /**
   * Idle aggregations nobody holds (left by in-process callers without an address) kept running;
   * past it the longest idle of those goes. Held ones are bounded by the group caps instead.
   * @default 64
   */
  maxIdle?: number;
  /**
   * Member series all the aggregations of the server hold together (LIVEDASH_MAX_AGGREGATE_MEMBERS):
   * a new aggregation whose seed passes it is refused; a member arriving later past it is not counted
   * (livedash_aggregate_members_refused).
   * @default 200_000
   */
  maxMembersTotal?: number;
  /** Clock for staleness and idleness. @default Date.now */
  now?: () => number;
}

/** One aggregate event as it was sent live: kept to replay it identically. */
interface Sent {
  readonly id: string;
  readonly points: Point[];
}

/**
 * The live state of one aggregation over one selection, shared by all its subscribers: the aggregator
 * (fed once per batch), and the events it produced, kept so a resume is exact. `coveredFrom` is the
 * engine position it started at: every batch after it was fed, none before.
 */
export function createAggregateGroup(aggregate: Aggregate, coveredFrom: string | null, options: AggregateOptions & { budget?: MemberBudget } = {}) {
  const replayEvents = options.replayEvents ?? 1_000;
  const replayPoints = options.replayPoints ?? 10_000;
  const aggregator = createLiveAggregator(aggregate, {
    ...(options.staleMs === undefined ? {} : { staleMs: options.staleMs }),
    ...(options.maxMembers === undefined ? {} : { maxMembers: options.maxMembers }),
    ...(options.budget ? { budget: options.budget } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  /** Kept events from `head` on; the slots before it are emptied (a wide event is thousands of points). */
  let sent: (Sent | undefined)[] = [];
  let head = 0;
  let sentPoints = 0;
  /** Newest id no longer kept (or the start): a resume must be at or after it. */
  let floor = coveredFrom;

  return {
    aggregate,
    /** When the last subscriber left, or null while it has some. */
    idleSince: null as number | null,
    /** The store's latest points, so the first events count every member, not only those of the first batch. */
    seed(points: readonly Point[]) {
      aggregator.apply(points);
    },
    /** Feeds one batch's selected points; the aggregate points to send (kept for resumes), or null. */
    feed(id: string, points: readonly Point[]): Point[] | null {
      const out = aggregator.apply(points);
      if (out.length === 0) return null;
      sent.push({ id, points: out });
      sentPoints += out.length;
      while (sent.length - head > replayEvents || (sentPoints > replayPoints && sent.length - head > 1)) {
        const dropped = sent[head]!;
        // Emptied at once: the array's compaction below waits for many drops, its points must not.
        sent[head++] = undefined;
        sentPoints -= dropped.points.length;
        floor = dropped.id;
      }
      if (head > 1024 && head * 2 > sent.length) {
        sent = sent.slice(head);
        head = 0;
      }
      return out;
    },
    /**
     * The events after `lastEventId`, exactly as sent live, or null when they are not all here (the
     * aggregation started after that position, or its oldest events were let go): the subscriber
     * gets a reset then. `compare` answers null for an id of no epoch of this engine.
     */
    since(lastEventId: string, compare: (a: string, b: string) => number | null): readonly Sent[] | null {
      if (compare(lastEventId, lastEventId) !== 0) return null;
      if (floor !== null && (compare(lastEventId, floor) ?? -1) < 0) return null;
      const out: Sent[] = [];
      for (let i = sent.length - 1; i >= head; i--) {
        const entry = sent[i]!;
        if ((compare(entry.id, lastEventId) ?? 0) <= 0) break;
        out.push(entry);
      }
      return out.reverse();
    },
    /** The engine lost batches (a gap): what was kept cannot stand for them any more. */
    restart(position: string | null) {
      sent = [];
      head = 0;
      sentPoints = 0;
      floor = position;
    },
    /** The aggregation is dropped: its members leave the server's budget. */
    release() {
      aggregator.release();
      sent = [];
      head = 0;
      sentPoints = 0;
    },
    /** Output series, member series and kept points: what this aggregation holds. */
    stats: () => ({ ...aggregator.stats(), replayPoints: sentPoints }),
  };
}

export type AggregateGroup = ReturnType<typeof createAggregateGroup>;
