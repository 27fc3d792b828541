import type { IncomingMessage, ServerResponse } from "node:http";
import { createInFlight } from "./in-flight";

/**
 * Tracks every HTTP request until its response closes, so shutdown can wait for the answers (ingest
 * waiting for its batch, long-polls the live path just answered) before it closes the sockets. Writes
 * (every POST: ingest routes and tRPC mutations) are also counted apart for /metrics.
 */
export function createRequestTracker(counters: { writes: number }) {
  const requests = createInFlight();
  return {
    track(req: IncomingMessage, res: ServerResponse) {
      const end = requests.start();
      const write = req.method === "POST";
      if (write) counters.writes++;
      res.once("close", () => {
        if (write) counters.writes--;
        end();
      });
    },
    /** Resolves once no request is in flight, or after maxWaitMs, whichever comes first. */
    idle: (maxWaitMs: number) => requests.idle(maxWaitMs),
  };
}
