import type { IdentifiedEvent, PollResult } from "@livedash/events";
import type { ApiServices, EventLog } from "../services";
import { filterPoints } from "./live-generator";

/** Most batches one poll answer carries; the cursor lets the next poll pick up the rest at once. */
const MAX_BATCHES_PER_POLL = 1_000;

interface PollQuery {
  series: string[];
  cursor?: string | null;
  waitMs: number;
}

/** Resolves on the engine's next batch, at the deadline, or on abort; registered before reading. */
function nextBatchLatch(engine: EventLog, signal: AbortSignal | undefined) {
  let release!: () => void;
  const fired = new Promise<void>((resolve) => (release = resolve));
  const stop = engine.onBatch(() => release());
  const onAbort = () => release();
  signal?.addEventListener("abort", onAbort, { once: true });
  return {
    wait(timeoutMs: number) {
      const timer = setTimeout(release, Math.max(0, timeoutMs));
      return fired.finally(() => clearTimeout(timer));
    },
    dispose() {
      stop();
      signal?.removeEventListener("abort", onAbort);
    },
  };
}

/**
 * Long-poll: answers as soon as there are events after the cursor, or empty at waitMs. With no
 * cursor it starts from now. waitMs 0 makes it a short poll.
 */
export async function pollEvents(services: ApiServices, input: PollQuery, signal: AbortSignal | undefined): Promise<PollResult> {
  const { engine } = services;
  const matches = services.matchers.matcherFor(input.series);
  const deadline = Date.now() + input.waitMs;
  let cursor = input.cursor ?? engine.latestId() ?? engine.startId();
  services.traffic.polls++;
  try {
    for (;;) {
      // The latch listens before the replay is read, so a batch landing in between still wakes us.
      const latch = nextBatchLatch(engine, signal);
      try {
        const replay = await engine.replayAfter(cursor);
        if (!replay.ok) {
          const id = engine.latestId() ?? engine.startId();
          return { events: [{ id, event: { type: "reset", reason: replay.reason } }], cursor: id };
        }
        const events: IdentifiedEvent[] = [];
        for (const batch of replay.batches.slice(0, MAX_BATCHES_PER_POLL)) {
          cursor = batch.id;
          const points = filterPoints(batch.points, matches);
          if (points.length > 0) events.push({ id: batch.id, event: { type: "points", points } });
        }
        const remainingMs = deadline - Date.now();
        if (events.length > 0 || remainingMs <= 0 || signal?.aborted) return { events, cursor };
        await latch.wait(remainingMs);
      } finally {
        latch.dispose();
      }
    }
  } finally {
    services.traffic.polls--;
  }
}
