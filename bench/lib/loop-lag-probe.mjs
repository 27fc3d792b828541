/**
 * Preloaded into the server process by the soak (`node --import <this> dist/main.js`): samples the
 * server's own event-loop delay with perf_hooks and writes one JSON snapshot per interval to
 * $SOAK_LAG_FILE (atomically, via rename), so the orchestrator reads the server's lag, not its own.
 * It only observes: no server code is touched, and its timer never keeps the process alive.
 */
import { renameSync, writeFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";

const file = process.env.SOAK_LAG_FILE;
/** Timer interval of the monitor; recorded values are whole intervals, so lag = value - resolution. */
const RESOLUTION_MS = 10;

if (file) {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  const lagMs = (/** @type {number} */ ns) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  const timer = setInterval(() => {
    const snapshot = {
      atMs: Date.now(),
      samples: histogram.count,
      p50Ms: lagMs(histogram.percentile(50)),
      p99Ms: lagMs(histogram.percentile(99)),
      maxMs: lagMs(histogram.max),
    };
    histogram.reset();
    writeFileSync(`${file}.tmp`, JSON.stringify(snapshot));
    renameSync(`${file}.tmp`, file);
  }, Number(process.env.SOAK_LAG_INTERVAL_MS ?? 5000));
  timer.unref();
}
