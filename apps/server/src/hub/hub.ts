import { compileSeriesMatcher } from "@livedash/events";
import type { LiveEvent, Point, ResetEvent } from "@livedash/events";
import type { Batch, Engine } from "../engine/types";
import type { FrameEncoder } from "./frames";
import type { BackpressureOptions, Sink } from "./types";

interface Group {
  readonly key: string;
  readonly matches: (series: string) => boolean;
  readonly matchAll: boolean;
  /** Memo of matches() per series name; bounded by the store's series cap. */
  readonly memo: Map<string, boolean>;
  readonly subs: Set<Subscriber>;
}

interface Subscriber {
  readonly sink: Sink;
  readonly encoder: FrameEncoder;
  readonly group: Group;
  /** Live batches that arrived while the replay was being read; delivered after it, deduped by id. */
  held: Batch[] | null;
  /** Newest event id this subscriber has been given (or coalesced past). */
  lastId: string | null;
  coalesced: Map<string, Point> | null;
  slowSinceMs: number;
  removeDrain: (() => void) | null;
  /** A stream gap reported while this subscriber was still replaying; sent once the replay is out. */
  pendingReset: ResetEvent["reason"] | null;
  closed: boolean;
}

export interface SubscribeOptions {
  sink: Sink;
  encoder: FrameEncoder;
  patterns: readonly string[];
  lastEventId?: string | null;
}

export interface HubStats {
  subscriptions: number;
  eventsOut: number;
  bytesOut: number;
  coalescedEvents: number;
  slowClosed: number;
}

/**
 * Fan-out. Subscribers with the same pattern set form a group: per batch, each group filters the
 * points once and serializes them once, and every subscriber whose frames look alike (same transport
 * and tRPC request id) is written the same Buffer. A slow subscriber is coalesced, then closed.
 */
export function createHub(engine: Engine, options: BackpressureOptions = {}) {
  const highWatermarkBytes = options.highWatermarkBytes ?? 262_144;
  const lowWatermarkBytes = options.lowWatermarkBytes ?? 65_536;
  const hardCapBytes = options.hardCapBytes ?? 8_388_608;
  const maxSlowMs = options.maxSlowMs ?? 30_000;
  const groups = new Map<string, Group>();
  const stats: HubStats = { subscriptions: 0, eventsOut: 0, bytesOut: 0, coalescedEvents: 0, slowClosed: 0 };

  function groupFor(patterns: readonly string[]): Group {
    const key = [...new Set(patterns)].sort().join(",");
    let group = groups.get(key);
    if (!group) {
      group = { key, matches: compileSeriesMatcher(patterns), matchAll: patterns.includes("*"), memo: new Map(), subs: new Set() };
      groups.set(key, group);
    }
    return group;
  }

  function filter(group: Group, points: readonly Point[]): readonly Point[] {
    if (group.matchAll) return points;
    let out: Point[] | null = null;
    for (let i = 0; i < points.length; i++) {
      const point = points[i]!;
      let hit = group.memo.get(point.series);
      if (hit === undefined) {
        hit = group.matches(point.series);
        group.memo.set(point.series, hit);
      }
      if (hit) (out ??= []).push(point);
    }
    // Returning the batch's own array when everything matched lets groups share its JSON.
    return out === null ? [] : out.length === points.length ? points : out;
  }

  function write(sub: Subscriber, frame: Buffer, id: string) {
    sub.sink.write(frame);
    sub.lastId = id;
    stats.eventsOut++;
    stats.bytesOut += frame.length;
  }

  function closeSlow(sub: Subscriber) {
    stats.slowClosed++;
    remove(sub);
    sub.sink.closeSlow();
  }

  function flushCoalesced(sub: Subscriber) {
    if (!sub.coalesced || sub.closed || sub.sink.bufferedBytes() > lowWatermarkBytes) return;
    const points = [...sub.coalesced.values()];
    const id = sub.lastId!;
    sub.coalesced = null;
    sub.removeDrain?.();
    sub.removeDrain = null;
    stats.coalescedEvents++;
    write(sub, sub.encoder.encode(JSON.stringify({ type: "points", points }), id, "points"), id);
  }

  /** Delivers one batch's points (already filtered for the subscriber's group), respecting backpressure. */
  function deliver(sub: Subscriber, id: string, points: readonly Point[], frameFor: (encoder: FrameEncoder) => Buffer) {
    if (sub.closed) return;
    const buffered = sub.sink.bufferedBytes();
    if (sub.coalesced === null && buffered <= highWatermarkBytes) {
      write(sub, frameFor(sub.encoder), id);
      return;
    }
    if (sub.coalesced === null) {
      sub.coalesced = new Map();
      sub.slowSinceMs = Date.now();
      sub.removeDrain = sub.sink.onDrain(() => flushCoalesced(sub));
    }
    for (const point of points) sub.coalesced.set(point.series, point);
    // The coalesced event will carry this id, so a reconnect resumes after what was dropped here.
    sub.lastId = id;
    if (buffered > hardCapBytes || Date.now() - sub.slowSinceMs > maxSlowMs) closeSlow(sub);
    else flushCoalesced(sub);
  }

  function sendEvent(sub: Subscriber, id: string, event: LiveEvent) {
    write(sub, sub.encoder.encode(JSON.stringify(event), id, event.type), id);
  }

  function deliverBatch(sub: Subscriber, batch: Batch) {
    const points = filter(sub.group, batch.points);
    if (points.length === 0) {
      sub.lastId = batch.id;
      return;
    }
    deliver(sub, batch.id, points, (encoder) => encoder.encode(JSON.stringify({ type: "points", points }), batch.id, "points"));
  }

  function onBatch(batch: Batch) {
    let batchJson: string | null = null;
    for (const group of groups.values()) {
      const points = filter(group, batch.points);
      if (points.length === 0) continue;
      let eventJson: string | null = null;
      const json = () => {
        if (points === batch.points) return (batchJson ??= JSON.stringify({ type: "points", points }));
        return (eventJson ??= JSON.stringify({ type: "points", points }));
      };
      // Frames shared by every subscriber of this group with the same encoder key, built on first use.
      // One lookup function per group and batch: nothing is allocated per subscriber.
      const frames = new Map<string, Buffer>();
      const frameFor = (encoder: FrameEncoder) => {
        let frame = frames.get(encoder.key);
        if (!frame) {
          frame = encoder.encode(json(), batch.id, "points");
          frames.set(encoder.key, frame);
        }
        return frame;
      };
      for (const sub of group.subs) {
        if (sub.held) sub.held.push(batch);
        else deliver(sub, batch.id, points, frameFor);
      }
    }
  }

  function remove(sub: Subscriber) {
    if (sub.closed) return;
    sub.closed = true;
    sub.removeDrain?.();
    sub.group.subs.delete(sub);
    if (sub.group.subs.size === 0) groups.delete(sub.group.key);
    stats.subscriptions--;
  }

  const stopListening = engine.onBatch(onBatch);

  return {
    /**
     * Adds a subscriber. It is attached to the live bus before the replay is read, so no batch can
     * fall between replay and live; batches seen in both are delivered once (deduped by id).
     * Resolves once the replay (or reset) has been written; returns the unsubscribe function.
     */
    async subscribe(options: SubscribeOptions): Promise<() => void> {
      const sub: Subscriber = {
        sink: options.sink,
        encoder: options.encoder,
        group: groupFor(options.patterns),
        held: options.lastEventId ? [] : null,
        lastId: null,
        coalesced: null,
        slowSinceMs: 0,
        removeDrain: null,
        pendingReset: null,
        closed: false,
      };
      sub.group.subs.add(sub);
      stats.subscriptions++;
      const unsubscribe = () => remove(sub);
      if (!options.lastEventId) return unsubscribe;

      const replay = await engine.replayAfter(options.lastEventId);
      if (sub.closed) return unsubscribe;
      if (replay.ok) {
        sub.lastId = options.lastEventId;
        for (const batch of replay.batches) deliverBatch(sub, batch);
      } else {
        const resumeFrom = engine.latestId() ?? engine.startId();
        sendEvent(sub, resumeFrom, { type: "reset", reason: replay.reason });
      }
      const held = sub.held ?? [];
      sub.held = null;
      for (const batch of held) {
        if (sub.closed) break;
        if (sub.lastId === null || engine.compareIds(batch.id, sub.lastId) > 0) deliverBatch(sub, batch);
      }
      if (sub.pendingReset && !sub.closed) {
        sendEvent(sub, engine.latestId() ?? engine.startId(), { type: "reset", reason: sub.pendingReset });
        sub.pendingReset = null;
      }
      return unsubscribe;
    },
    /**
     * Tells every live subscriber to refetch (the engine lost batches it cannot replay). The reset
     * carries the newest id so a later resume continues from there.
     */
    resetAll(reason: ResetEvent["reason"]) {
      const id = engine.latestId() ?? engine.startId();
      for (const group of groups.values()) {
        for (const sub of group.subs) {
          if (sub.closed) continue;
          if (sub.held) sub.pendingReset = reason;
          else sendEvent(sub, id, { type: "reset", reason });
        }
      }
    },
    stats: (): HubStats => ({ ...stats }),
    close() {
      stopListening();
      for (const group of groups.values()) for (const sub of group.subs) remove(sub);
    },
  };
}

export type Hub = ReturnType<typeof createHub>;
