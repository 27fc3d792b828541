/** Work in flight (HTTP requests being answered, WebSocket calls running) that shutdown waits for, bounded. */
export function createInFlight() {
  let count = 0;
  const waiters = new Set<() => void>();
  return {
    count: () => count,
    /** Counts one piece of work; returns its end (calling it again does nothing). */
    start(): () => void {
      count++;
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        if (--count === 0) for (const waiter of [...waiters]) waiter();
      };
    },
    /** Resolves once nothing is in flight, or after maxWaitMs, whichever comes first. */
    idle(maxWaitMs: number): Promise<void> {
      if (count === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(done, maxWaitMs);
        function done() {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
        waiters.add(done);
      });
    },
  };
}
