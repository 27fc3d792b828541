import type { LiveEvent, LiveInput, Point } from "@livedash/events";
import { tracked } from "@trpc/server";
import type { ApiServices, Batch } from "../services";

/** Batches queued for a consumer that does not keep up before it is told to refetch (reset "lagged"). */
const MAX_QUEUED_BATCHES = 10_000;

export function filterPoints(points: readonly Point[], matches: (series: string) => boolean): Point[] {
  return points.filter((point) => matches(point.series));
}

/**
 * The reference live stream as an async generator (tRPC's own subscription path). It listens to the
 * bus before it reads the replay, as tRPC's next-sse-chat example does, so nothing falls between the
 * two; anything seen twice is skipped by id.
 */
export async function* liveEvents(services: ApiServices, input: LiveInput, signal: AbortSignal | undefined) {
  const { engine } = services;
  const matches = services.matchers.matcherFor(input.series);
  let queue: Batch[] = [];
  let wake: (() => void) | null = null;
  let lagged = false;
  const stopListening = engine.onBatch((batch) => {
    if (queue.length >= MAX_QUEUED_BATCHES) {
      lagged = true;
      queue = [];
    } else queue.push(batch);
    wake?.();
  });
  const event = (id: string, data: LiveEvent) => tracked(id, data);
  try {
    let lastId: string | null = null;
    if (input.lastEventId) {
      const replay = await engine.replayAfter(input.lastEventId);
      if (!replay.ok) {
        lastId = engine.latestId() ?? engine.startId();
        yield event(lastId, { type: "reset", reason: replay.reason });
      } else {
        lastId = input.lastEventId;
        for (const batch of replay.batches) {
          lastId = batch.id;
          const points = filterPoints(batch.points, matches);
          if (points.length > 0) yield event(batch.id, { type: "points", points });
        }
      }
    }
    while (!signal?.aborted) {
      if (lagged) {
        lagged = false;
        lastId = engine.latestId() ?? engine.startId();
        yield event(lastId, { type: "reset", reason: "lagged" });
      }
      const batch = queue.shift();
      if (!batch) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          signal?.addEventListener("abort", () => resolve(), { once: true });
        });
        wake = null;
        continue;
      }
      if (lastId !== null && engine.compareIds(batch.id, lastId) <= 0) continue;
      lastId = batch.id;
      const points = filterPoints(batch.points, matches);
      if (points.length > 0) yield event(batch.id, { type: "points", points });
    }
  } finally {
    stopListening();
  }
}
