import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * Counts HTTP writes in flight (every POST: ingest routes and tRPC mutations; queries, polls and
 * streams are GETs) so shutdown can wait for their answers before it closes the sockets.
 */
export function createWriteTracker(counters: { writes: number }) {
  let onIdle: (() => void) | null = null;
  return {
    track(req: IncomingMessage, res: ServerResponse) {
      if (req.method !== "POST") return;
      counters.writes++;
      res.once("close", () => {
        counters.writes--;
        if (counters.writes === 0) onIdle?.();
      });
    },
    /** Resolves once no write is in flight, or after maxWaitMs, whichever comes first. */
    idle(maxWaitMs: number): Promise<void> {
      if (counters.writes === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(done, maxWaitMs);
        function done() {
          clearTimeout(timer);
          onIdle = null;
          resolve();
        }
        onIdle = done;
      });
    },
  };
}
