/**
 * Pushes 1, 2, 3, ... to one series over POST /api/ingest, one request at a time, every
 * `intervalMs`. A push that fails (server down) is retried with the same value, so every value is
 * accepted at least once and, within one server lifetime, values are consecutive.
 */
export interface Counter {
  /** Highest value the server acknowledged. */
  readonly acked: () => number;
  stop(): Promise<void>;
}

export function startCounter(baseUrl: () => string, series: string, intervalMs: number, maxValues = 100_000): Counter {
  let acked = 0;
  let stopped = false;
  let wake: (() => void) | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
    });
  const loop = (async () => {
    let next = 1;
    while (!stopped && next <= maxValues) {
      try {
        const res = await fetch(`${baseUrl()}/api/ingest`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ points: [{ series, value: next }] }),
          signal: AbortSignal.timeout(2_000),
        });
        await res.arrayBuffer();
        if (res.ok) {
          acked = next;
          next++;
        }
      } catch {
        // Server down: retry the same value after the pause.
      }
      if (!stopped) await pause(intervalMs);
    }
  })();
  return {
    acked: () => acked,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      await loop;
    },
  };
}
