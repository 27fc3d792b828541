import type { Aggregate, Point, ResetEvent } from "@livedash/events";
import type { AggregateGroup } from "./aggregate-group";
import type { Batch } from "../engine/types";
import type { FrameEncoder, Sink } from "./types";
import { WireEvent } from "./wire-event";

/** Subscribers with the same pattern set: per batch the points are filtered once for all of them. */
export interface Group {
  readonly key: string;
  /** Its distinct patterns (sorted); they count against the caps of each subscriber's address. */
  readonly patterns: readonly string[];
  /** Verdicts come from the server-wide pattern index: no per-group matching. */
  readonly matches: (series: string) => boolean;
  readonly matchAll: boolean;
  /** Memo of matches() per series name; bounded by the store's series cap. */
  readonly memo: Map<string, boolean>;
  readonly subs: Set<Subscriber>;
  /** The aggregation its subscribers asked for (part of the key), computed once per batch for all of them; null: raw points. */
  readonly aggregate: AggregateGroup | null;
}

/**
 * replaying: the replay (then what arrived meanwhile) is being written; live batches are held.
 * awaiting-reset: a reset is due but no id greater than the subscriber's position exists yet; the
 * next batch's id carries it. live: batches are written as they come (coalesced when slow).
 */
export type Phase = "replaying" | "awaiting-reset" | "live" | "closed";

export interface Subscriber {
  readonly sink: Sink<unknown>;
  readonly encoder: FrameEncoder<unknown>;
  readonly group: Group;
  /** Whose pattern caps this subscriber counts against; undefined for in-process callers without one. */
  readonly address: string | undefined;
  phase: Phase;
  /** Live batches that arrived while replaying; written after the replay, deduped by id. */
  held: Batch[];
  /** More than maxHeldBatches arrived while replaying: the replay ends in a reset ("lagged"). */
  overflowed: boolean;
  /**
   * Newest id this subscriber was given (written, coalesced into the next event, or passed over by
   * its replay), or where it started. Every later event, resets included, has a greater id.
   */
  position: string | null;
  pendingReset: ResetEvent["reason"] | null;
  coalesced: Map<string, Point> | null;
  slowSinceMs: number;
  removeDrain: (() => void) | null;
  /** Ends a replay's wait for the socket to drain (the subscriber was removed). */
  wake: (() => void) | null;
  settle: () => void;
}

export interface SubscribeOptions<F> {
  sink: Sink<F>;
  encoder: FrameEncoder<F>;
  patterns: readonly string[];
  /** The peer's address, for the per-address pattern cap. */
  address?: string;
  lastEventId?: string | null;
  /** Aggregate the selected series (docs/aggregation.md): one computation per batch for every subscriber asking the same. */
  aggregate?: Aggregate | undefined;
}

export interface LiveSubscription {
  unsubscribe(): void;
  /** Resolves once the replay is out (or ended in a reset, or the subscriber was removed). */
  readonly settled: Promise<void>;
  /** The newest id given to this subscriber (a poll's next cursor); null when none exists yet. */
  position(): string | null;
}

/** Batches and their points are never mutated once published, so events share their arrays. */
export function pointsEvent(id: string, points: readonly Point[]): WireEvent {
  return new WireEvent(id, { type: "points", points: points as Point[] });
}

/** The phase as it is now (after an await TypeScript would still narrow it to what it was before). */
export function isClosed(sub: Subscriber): boolean {
  return sub.phase === "closed";
}

/** The group's share of a batch; the batch's own array when every point matched (so its event is shared). */
export function filterPoints(group: Group, points: readonly Point[]): readonly Point[] {
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
  return out === null ? [] : out.length === points.length ? points : out;
}
