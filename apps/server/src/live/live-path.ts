import type { Aggregate, Point, ResetEvent } from "@livedash/events";
import type { Batch, Engine } from "../engine/types";
import { filterPoints as filter, isClosed, pointsEvent } from "./subscriber";
import { createGroups } from "./groups";
import { createPatternIndex } from "./pattern-index";
import type { PatternIndex } from "./pattern-index";
import type { LiveSubscription, SubscribeOptions, Subscriber } from "./subscriber";
import type { BackpressureOptions } from "./types";
import { WireEvent } from "./wire-event";
import { createAggregateGroup } from "./aggregate-group";
import type { AggregateOptions } from "./aggregate-group";
import { AggregateRefusalError, createAggregateLimits } from "./aggregate-limits";
import { createMemberBudgets } from "./aggregate-budget";
import type { AggregateLimitOptions, AggregateRefusal } from "./aggregate-limits";

export type { LiveSubscription, SubscribeOptions } from "./subscriber";

export interface LivePathStats {
  /** Streaming subscriptions (WebSocket, SSE, in-process streams); long-polls are counted apart. */
  subscriptions: number;
  eventsOut: number;
  bytesOut: number;
  coalescedEvents: number;
  slowClosed: number;
  /** Times a replay stopped at the high watermark to wait for its socket to drain. */
  replayWaits: number;
  /** Batches fed to an aggregation: one per batch per distinct aggregation, however many subscribe to it. */
  aggregateComputations: number;
  /** Aggregated subscribers that resumed from the aggregation's kept events (no reset). */
  aggregateResumes: number;
  /** Aggregations running now (with subscribers, or idling for the next poll or reconnect). */
  aggregateGroups: number;
  /** Of those, the ones without subscribers. */
  aggregateIdleGroups: number;
  /** Member series the aggregations hold state for, summed over all of them. */
  aggregateMembers: number;
  /** Points the aggregations keep for resumes, summed over all of them. */
  aggregateReplayPoints: number;
  /** Member series the running aggregations could not count (their cap or the server's budget was full). */
  aggregateMembersRefused: number;
  /** Idle holds forgotten before idleMs passed, past maxIdleHolds (livedash_aggregate_holds_forgotten_total). */
  aggregateHoldsForgotten: number;
  /** Aggregated subscriptions refused, by the limit that refused them (livedash_aggregate_refused_total{limit}). */
  aggregateRefused: Record<AggregateRefusal, number>;
}

export interface LiveAggregateOptions extends AggregateOptions, AggregateLimitOptions {
  /**
   * Member series the aggregations charged to one address may hold (LIVEDASH_MAX_AGGREGATE_MEMBERS_PER_ADDRESS).
   * @default maxMembersTotal / 8
   */
  maxMembersPerAddress?: number;
  /** The latest point of every series held (the store's), to seed a new aggregation. Absent: it starts empty. */
  latestPoints?: () => Iterable<Point>;
}

/**
 * The one live path: every transport subscribes here and only frames the events it is handed.
 * It decides replay (whole, under backpressure), filtering, coalescing (live only, marked
 * `coalesced: true`) and resets (always with an id above everything the subscriber got).
 *
 * Fan-out: subscribers with the same pattern set form a group. Per batch each group filters the
 * points once and builds one event (JSON serialized once; shared by every group that kept the whole
 * batch); every subscriber with the same encoder key is written the same frame. A group's verdict on a
 * series it has not seen comes from the server-wide pattern index (pattern-index.ts): each distinct
 * glob is tested once per new series name, not once per group that holds it.
 */
export function createLivePath(engine: Engine, options: BackpressureOptions = {}, patterns: PatternIndex = createPatternIndex(), aggregation: LiveAggregateOptions = {}) {
  const highWatermarkBytes = options.highWatermarkBytes ?? 262_144;
  const lowWatermarkBytes = options.lowWatermarkBytes ?? 65_536;
  const hardCapBytes = options.hardCapBytes ?? 8_388_608;
  const maxSlowMs = options.maxSlowMs ?? 30_000;
  const maxHeldBatches = options.maxHeldBatches ?? 10_000;
  const replayBatchesPerTurn = options.replayBatchesPerTurn ?? 500;
  const now = aggregation.now ?? Date.now;
  const budgets = createMemberBudgets({ maxTotal: aggregation.maxMembersTotal, maxPerAddress: aggregation.maxMembersPerAddress });
  const idleMs = aggregation.idleMs ?? 60_000;
  const limits = createAggregateLimits({ ...aggregation, idleMs, now });
  // An address's hold ended while others keep the aggregation running: its members are theirs now.
  limits.holds.onForget((key, address) => budgets.moveTo(key, address, limits.holds.holders(key)));
  const groups = createGroups(patterns, {
    limits,
    idleMs,
    maxIdle: aggregation.maxIdle ?? 64,
    now,
    create(aggregate, group, address) {
      // It has seen nothing before the engine's newest batch: a resume from before that gets a reset.
      const budget = budgets.open(group.key, address);
      const created = createAggregateGroup(aggregate, engine.latestId(), { ...aggregation, budget });
      if (aggregation.latestPoints) created.seed(filter(group, [...aggregation.latestPoints()]));
      const seeded = created.stats();
      if (seeded.refused > 0) {
        // Its seed did not fit in the members all aggregations (or this address's) may hold: it would sum a part only.
        created.release();
        budgets.close(group.key);
        // Not counted here: on `members` groups.ts tries once more if idle aggregations nobody holds can give enough back.
        if (budget.refusedBy === "members_per_address") {
          throw new AggregateRefusalError("members_per_address", `one address's aggregations hold at most ${budgets.maxPerAddress} member series (LIVEDASH_MAX_AGGREGATE_MEMBERS_PER_ADDRESS); this address holds ${budgets.usedBy(address)} and this selection matches ${seeded.members + seeded.refused} more`);
        }
        const matched = seeded.members + seeded.refused;
        throw new AggregateRefusalError("members", `the server's aggregations hold at most ${budgets.maxTotal} member series together (LIVEDASH_MAX_AGGREGATE_MEMBERS); ${budgets.used()} are held and this selection matches more than the rest`, matched - (budgets.maxTotal - budgets.used()));
      }
      return created;
    },
    released: (key) => budgets.close(key),
    members: budgets,
  });
  const awaitingReset = new Set<Subscriber>();
  /** Live batches at or below this id are not fanned out (see reset()); null almost always. */
  let liveFloor: string | null = null;
  const stats = { subscriptions: 0, eventsOut: 0, bytesOut: 0, coalescedEvents: 0, slowClosed: 0, replayWaits: 0, aggregateComputations: 0, aggregateResumes: 0 };

  /** <0, 0, >0, or null for an id this engine did not make (another epoch, garbage). */
  function compare(a: string, b: string): number | null {
    try {
      return engine.compareIds(a, b);
    } catch {
      return null;
    }
  }

  function write(sub: Subscriber, event: WireEvent) {
    const frame = event.frame(sub.encoder);
    sub.sink.write(frame);
    sub.position = event.id;
    stats.eventsOut++;
    if (frame instanceof Buffer) stats.bytesOut += frame.length;
  }

  function closeSlow(sub: Subscriber) {
    stats.slowClosed++;
    remove(sub);
    sub.sink.closeSlow();
  }

  function stopCoalescing(sub: Subscriber) {
    sub.coalesced = null;
    sub.removeDrain?.();
    sub.removeDrain = null;
  }

  function flushCoalesced(sub: Subscriber) {
    if (!sub.coalesced || sub.phase !== "live" || sub.sink.bufferedBytes() > lowWatermarkBytes) return;
    const points = [...sub.coalesced.values()];
    stopCoalescing(sub);
    stats.coalescedEvents++;
    // Marked, so a consumer can tell "latest per series" from "every point" (and refetch history).
    write(sub, new WireEvent(sub.position!, { type: "points", points, coalesced: true }));
  }

  /** Writes one live event, or coalesces it to the latest point per series while the socket is behind. */
  function deliverLive(sub: Subscriber, event: WireEvent, points: readonly Point[]) {
    const buffered = sub.sink.bufferedBytes();
    if (sub.coalesced === null && buffered <= highWatermarkBytes) return write(sub, event);
    if (sub.coalesced === null) {
      sub.coalesced = new Map();
      sub.slowSinceMs = Date.now();
      sub.removeDrain = sub.sink.onDrain(() => flushCoalesced(sub));
    }
    for (const point of points) sub.coalesced.set(point.series, point);
    // The coalesced event will carry this id, so a reconnect resumes after what was folded in here.
    sub.position = event.id;
    if (buffered > hardCapBytes || Date.now() - sub.slowSinceMs > maxSlowMs) closeSlow(sub);
    else flushCoalesced(sub);
  }

  function sendReset(sub: Subscriber, id: string, reason: ResetEvent["reason"]) {
    stopCoalescing(sub);
    awaitingReset.delete(sub);
    sub.pendingReset = null;
    sub.phase = "live";
    write(sub, new WireEvent(id, { type: "reset", reason }));
  }

  /**
   * A reset tells the client to refetch history up to its id, then live continues after it. So its id
   * must be greater than anything the subscriber got (a client drops an id it has seen as a duplicate)
   * and name a batch the history already holds (listeners run store first). The engine's newest id
   * does when it is past the subscriber's position; otherwise (a gap reported before the entry that
   * revealed it is delivered, a reset right after a replay) the next batch's id carries it.
   */
  function reset(sub: Subscriber, reason: ResetEvent["reason"]) {
    if (sub.phase === "closed") return;
    const latest = engine.latestId();
    if (sub.position === null) return sendReset(sub, latest ?? engine.startId(), reason);
    if (latest !== null && (compare(latest, sub.position) ?? 1) > 0) return sendReset(sub, latest, reason);
    if (latest === null && engine.idAfter) {
      // The engine lost its whole log (redis restarted empty): no batch will carry the reset soon,
      // so it gets an id just above the subscriber's, and live batches not above it are skipped.
      const id = engine.idAfter(sub.position);
      if (liveFloor === null || (compare(id, liveFloor) ?? 1) > 0) liveFloor = id;
      return sendReset(sub, id, reason);
    }
    stopCoalescing(sub);
    sub.pendingReset = reason;
    sub.phase = "awaiting-reset";
    awaitingReset.add(sub);
  }

  function hold(sub: Subscriber, batch: Batch) {
    if (sub.overflowed) return;
    if (sub.held.length < maxHeldBatches) sub.held.push(batch);
    else {
      sub.overflowed = true;
      sub.held = [];
    }
  }

  function onBatch(batch: Batch) {
    if (liveFloor !== null) {
      // Older than a made-up reset id (a recreated stream's clock behind the old one): history has it.
      if ((compare(batch.id, liveFloor) ?? 1) <= 0) return;
      liveFloor = null;
    }
    groups.pruneIdle();
    // Built on first use, shared by every group whose filter kept the whole batch.
    let whole: WireEvent | null = null;
    for (const group of groups.values()) {
      let points = filter(group, batch.points);
      if (points.length === 0) continue;
      let event: WireEvent;
      if (group.aggregate) {
        // Once per batch for every subscriber of this aggregation (and while it idles, so its kept
        // events stay whole for the next long-poll or reconnect).
        stats.aggregateComputations++;
        const out = group.aggregate.feed(batch.id, points);
        if (out === null) continue;
        points = out;
        event = pointsEvent(batch.id, out);
      } else event = points === batch.points ? (whole ??= pointsEvent(batch.id, points)) : pointsEvent(batch.id, points);
      for (const sub of group.subs) {
        if (sub.phase === "live") deliverLive(sub, event, points);
        else if (sub.phase === "replaying") hold(sub, batch);
      }
    }
    // After the groups, so the batch a due reset absorbs is not also written to its subscriber. A batch
    // not past the subscriber's position (a stream Redis recreated with older ids) cannot carry it.
    if (awaitingReset.size === 0) return;
    for (const sub of [...awaitingReset]) {
      if (sub.position === null || (compare(batch.id, sub.position) ?? 1) > 0) sendReset(sub, batch.id, sub.pendingReset!);
    }
  }

  /** Resolves true once the socket drained below the low watermark, false if the subscriber is gone. */
  function drained(sub: Subscriber): Promise<boolean> {
    stats.replayWaits++;
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        removeListener();
        sub.wake = null;
        resolve(ok && sub.phase !== "closed");
      };
      const removeListener = sub.sink.onDrain(() => {
        if (sub.sink.bufferedBytes() <= lowWatermarkBytes) done(true);
      });
      // A peer that stops reading mid-replay is closed like any slow consumer; it resumes from the last
      // event it did get, so nothing is lost.
      const timer = setTimeout(() => {
        closeSlow(sub);
        done(false);
      }, maxSlowMs);
      sub.wake = () => done(false);
    });
  }

  /**
   * Writes batches whole, in order: never coalesced. Above the high watermark it waits for the socket
   * to drain, and it yields to the event loop every few hundred events, so a replay of many MB is
   * neither lost nor one blocking loop. Returns false when the subscriber went away.
   */
  async function writeInOrder(sub: Subscriber, batches: readonly Batch[], dedupe: boolean): Promise<boolean> {
    let written = 0;
    for (const batch of batches) {
      if (sub.phase === "closed") return false;
      if (sub.overflowed || sub.pendingReset) return true;
      if (dedupe && sub.position !== null && (compare(batch.id, sub.position) ?? 1) <= 0) continue;
      const points = filter(sub.group, batch.points);
      if (points.length === 0) {
        sub.position = batch.id;
        continue;
      }
      if (sub.sink.bufferedBytes() > highWatermarkBytes) {
        if (!(await drained(sub))) return false;
      } else if (++written % replayBatchesPerTurn === 0) {
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (isClosed(sub)) return false;
      if (sub.overflowed || sub.pendingReset) return true;
      write(sub, pointsEvent(batch.id, points));
    }
    return true;
  }

  /** Replay after `lastEventId`, then whatever was held meanwhile, then live (or a reset). */
  async function replay(sub: Subscriber, lastEventId: string) {
    const result = await engine.replayAfter(lastEventId);
    if (sub.phase === "closed") return;
    if (!result.ok) {
      // An id of this engine is a position the client reached (even if trimmed away or lost with
      // Redis): the reset must stay above it. An unknown id (newer than anything issued) or a foreign
      // one names nothing here, so the reset starts a new sequence.
      sub.position = result.reason !== "unknown-id" && compare(lastEventId, lastEventId) === 0 ? lastEventId : null;
      return finishReplay(sub, result.reason);
    }
    sub.position = lastEventId;
    if (!(await writeInOrder(sub, result.batches, false))) return;
    while (sub.held.length > 0 && !sub.overflowed && !sub.pendingReset) {
      const held = sub.held;
      sub.held = [];
      if (!(await writeInOrder(sub, held, true))) return;
    }
    finishReplay(sub, sub.overflowed ? "lagged" : sub.pendingReset);
  }

  function finishReplay(sub: Subscriber, resetReason: ResetEvent["reason"] | null) {
    sub.held = [];
    sub.overflowed = false;
    sub.phase = "live";
    if (resetReason) reset(sub, resetReason);
    sub.settle();
  }

  function remove(sub: Subscriber) {
    if (sub.phase === "closed") return;
    sub.phase = "closed";
    stopCoalescing(sub);
    awaitingReset.delete(sub);
    sub.held = [];
    sub.wake?.();
    groups.leave(sub);
    if (sub.sink.transport !== "poll") stats.subscriptions--;
    sub.settle();
  }

  /**
   * An aggregate cannot be recomputed for a past position (it depends on every member's state then),
   * so a resume is served from the events the aggregation kept, exactly as they were sent live, in
   * one go (they are few and bounded). When they do not reach back to the position, the subscriber
   * gets a reset and refetches the aggregated history: never a silent gap.
   */
  function resumeAggregate(sub: Subscriber, lastEventId: string) {
    const latest = engine.latestId();
    const known = compare(lastEventId, lastEventId) === 0 && (latest === null || (compare(lastEventId, latest) ?? 1) <= 0);
    const kept = known ? sub.group.aggregate!.since(lastEventId, compare) : null;
    sub.phase = "live";
    if (kept === null) {
      sub.position = known ? lastEventId : null;
      reset(sub, "aggregate-window");
    } else {
      stats.aggregateResumes++;
      sub.position = lastEventId;
      for (const entry of kept) write(sub, pointsEvent(entry.id, entry.points));
    }
    sub.settle();
  }

  const stopListening = engine.onBatch(onBatch);
  /** After close() a new subscriber is ended at once (a long-poll on a kept-alive socket gets its answer). */
  let closed = false;

  return {
    /**
     * Adds a subscriber. It is attached to the live bus before the replay is read, so no batch can
     * fall between replay and live; batches seen in both are written once (deduped by id).
     * Throws TOO_MANY_REQUESTS (a TRPCError naming the limit) past the live pattern caps.
     */
    subscribe<F>(options: SubscribeOptions<F>): LiveSubscription {
      let settle!: () => void;
      const settled = new Promise<void>((resolve) => (settle = resolve));
      const sub = groups.join(
        options.patterns,
        options.address,
        (group): Subscriber => ({
        sink: options.sink,
        address: options.address,
        encoder: options.encoder,
        group,
        phase: options.lastEventId ? "replaying" : "live",
        held: [],
        overflowed: false,
        position: options.lastEventId ? null : engine.latestId(),
        pendingReset: null,
        coalesced: null,
        slowSinceMs: 0,
        removeDrain: null,
        wake: null,
        settle,
        }),
        options.aggregate,
      );
      if (sub.sink.transport !== "poll") stats.subscriptions++;
      if (closed) {
        remove(sub);
        sub.sink.end?.();
      } else if (options.lastEventId && sub.group.aggregate) {
        resumeAggregate(sub, options.lastEventId);
      } else if (options.lastEventId) {
        replay(sub, options.lastEventId).catch(() => {
          // Nothing proves the replay was whole: the client refetches instead of living with a gap.
          if (sub.phase === "replaying") finishReplay(sub, "lagged");
        });
      } else settle();
      return { unsubscribe: () => remove(sub), settled, position: () => sub.position };
    },
    /**
     * Throws what subscribe() would throw for these patterns and this aggregation (TOO_MANY_REQUESTS
     * past a pattern or aggregation cap), for transports that must answer before they open a stream.
     * A new aggregation is started here (its seed alone tells whether its members fit), idle until
     * the subscriber joins it.
     */
    checkPatterns(list: readonly string[], address?: string, aggregate?: Aggregate) {
      groups.prepare(list, address, aggregate);
    },
    /** Tells every subscriber to refetch: the engine lost batches it cannot replay. */
    resetAll(reason: ResetEvent["reason"]) {
      for (const group of groups.values()) {
        // What an aggregation kept no longer stands for what happened: older resumes get resets.
        group.aggregate?.restart(engine.latestId());
        for (const sub of group.subs) {
          // A replaying subscriber stops its replay (the client refetches anyway) and resets after it.
          if (sub.phase === "replaying") sub.pendingReset = reason;
          else reset(sub, reason);
        }
      }
    },
    stats(): LivePathStats {
      const running = groups.aggregations();
      let aggregateMembers = 0;
      let aggregateReplayPoints = 0;
      let aggregateMembersRefused = 0;
      for (const group of groups.values()) {
        if (!group.aggregate) continue;
        const held = group.aggregate.stats();
        aggregateMembers += held.members;
        aggregateReplayPoints += held.replayPoints;
        aggregateMembersRefused += held.refused;
      }
      return { ...stats, aggregateGroups: running.active + running.idle, aggregateIdleGroups: running.idle, aggregateMembers, aggregateReplayPoints, aggregateMembersRefused, aggregateRefused: limits.stats().refused, aggregateHoldsForgotten: limits.stats().holdsForgotten };
    },
    /** Removes every subscriber and ends its sink: in-process streams end, waiting long-polls are answered. */
    close() {
      closed = true;
      stopListening();
      for (const group of [...groups.values()]) {
        for (const sub of [...group.subs]) {
          remove(sub);
          sub.sink.end?.();
        }
      }
      groups.clear();
    },
  };
}

export type LivePath = ReturnType<typeof createLivePath>;
