import type { Aggregate, IdentifiedEvent, LiveInput, PollResult } from "@livedash/events";
import type { Engine } from "../engine/types";
import { createDrainListeners } from "./drain-listeners";
import { objectEncoder } from "./frames";
import type { LivePath } from "./live-path";
import type { Sink } from "./types";

/** Most events one poll answer carries; the cursor lets the next poll pick up the rest at once. */
const MAX_EVENTS_PER_POLL = 1_000;

export interface PollQuery {
  series: readonly string[];
  aggregate?: Aggregate | undefined;
  cursor?: string | null;
  waitMs: number;
}

/**
 * What a queued event costs in the watermark arithmetic: in process there are no socket bytes, so
 * this estimates the JSON it stands for (about 60 bytes per point).
 */
function approxBytes(event: IdentifiedEvent): number {
  return 64 + (event.event.type === "points" ? event.event.points.length * 60 : 0);
}

/**
 * The live path for consumers in this process: tRPC's own subscription procedure (the async
 * generator createCaller reaches) and the long-poll query. Both are plain subscribers of the one
 * live path, with an object encoder instead of bytes, so they replay, filter, coalesce and reset
 * exactly as the socket transports do.
 */
export function createInProcessLive(path: LivePath, engine: Engine) {
  return {
    /**
     * The subscriber's events as an async iterable. Its queue is the "socket": the consumer pulling
     * drains it, a consumer that falls behind is coalesced, and one that stays behind is ended.
     */
    async *events(input: Pick<LiveInput, "series" | "lastEventId" | "aggregate">, signal: AbortSignal | undefined, caller?: string): AsyncGenerator<IdentifiedEvent> {
      let queue: IdentifiedEvent[] = [];
      let head = 0;
      let queuedBytes = 0;
      let ended = false;
      let wake: (() => void) | null = null;
      const drainListeners = createDrainListeners();
      // Too slow for too long, or the server is closing: what is queued is still handed out, then it ends.
      const end = () => {
        ended = true;
        wake?.();
      };
      const sink: Sink<IdentifiedEvent> = {
        transport: "caller",
        bufferedBytes: () => queuedBytes,
        write(event) {
          queue.push(event);
          queuedBytes += approxBytes(event);
          wake?.();
        },
        closeSlow: () => end(),
        end: () => end(),
        onDrain: drainListeners.add,
      };
      const onAbort = () => wake?.();
      signal?.addEventListener("abort", onAbort, { once: true });
      const subscription = path.subscribe({ sink, encoder: objectEncoder, patterns: input.series, aggregate: input.aggregate, address: caller, lastEventId: input.lastEventId });
      try {
        while (!signal?.aborted) {
          if (head < queue.length) {
            const event = queue[head++]!;
            queuedBytes -= approxBytes(event);
            if (head === queue.length) {
              queue = [];
              head = 0;
              drainListeners.notify();
            }
            yield event;
            continue;
          }
          if (ended) return;
          await new Promise<void>((resolve) => (wake = resolve));
          wake = null;
        }
      } finally {
        signal?.removeEventListener("abort", onAbort);
        subscription.unsubscribe();
      }
    },

    /**
     * Long-poll: answers as soon as there are events after the cursor (at most MAX_EVENTS_PER_POLL),
     * or empty at waitMs. With no cursor it starts from now. waitMs 0 makes it a short poll.
     */
    async poll(input: PollQuery, signal: AbortSignal | undefined, caller?: string): Promise<PollResult> {
      const events: IdentifiedEvent[] = [];
      let answer: (() => void) | null = null;
      // The server is closing: the poll is answered now (what it has, and its cursor), not cut with its socket.
      let ended = false;
      const sink: Sink<IdentifiedEvent> = {
        transport: "poll",
        // Never "behind": a poll takes what its answer can carry, then leaves.
        bufferedBytes: () => 0,
        write(event) {
          events.push(event);
          if (events.length >= MAX_EVENTS_PER_POLL) subscription.unsubscribe();
          answer?.();
        },
        closeSlow: () => undefined,
        onDrain: () => () => undefined,
        end() {
          ended = true;
          answer?.();
        },
      };
      const subscription = path.subscribe({ sink, encoder: objectEncoder, patterns: input.series, aggregate: input.aggregate, address: caller, lastEventId: input.cursor });
      try {
        await subscription.settled;
        if (events.length === 0 && input.waitMs > 0 && !signal?.aborted && !ended) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(done, input.waitMs);
            signal?.addEventListener("abort", done, { once: true });
            answer = done;
            function done() {
              clearTimeout(timer);
              signal?.removeEventListener("abort", done);
              resolve();
            }
          });
        }
      } finally {
        subscription.unsubscribe();
      }
      // No position when the poll ended before its replay did (the server closing): its cursor stands.
      return { events, cursor: subscription.position() ?? input.cursor ?? engine.startId() };
    },
  };
}

export type InProcessLive = ReturnType<typeof createInProcessLive>;
