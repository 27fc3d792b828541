/**
 * Load producer (child process): POSTs batches to /api/ingest at a fixed rate. Every point of a batch
 * carries ts = Date.now() at send, so subscribers compute ingest-to-client latency on the same clock.
 * One batch = one request = `pointsPerBatch` points, one per series <seriesPrefix>.s0..s<n-1>
 * (the prefix lets several subscriber groups share one server while only one of them gets traffic).
 */
import http from "node:http";
import { serveWorker } from "./lib/worker-ipc.mjs";

/** Scheduler resolution: how often the send loop checks how many batches are due. */
const TICK_MS = 5;
/** More requests than this in flight means the server is not keeping up; further batches are skipped and counted. */
const MAX_IN_FLIGHT = 64;

const agent = new http.Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT });
/** Set by run.mjs for a server with tokens (--ingest-token); empty means an open server. */
const INGEST_TOKEN = process.env.BENCH_INGEST_TOKEN || undefined;
/** @type {null | { stop: () => Promise<object> }} */
let current = null;

/**
 * @param {{ url: string, ratePerS: number, pointsPerBatch: number, maxDurationMs: number, seriesPrefix?: string, token?: string }} args
 */
function startRun(args) {
  const target = new URL("/api/ingest", args.url);
  const token = args.token ?? INGEST_TOKEN;
  const headers = { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const series = Array.from({ length: args.pointsPerBatch }, (_, i) => `${args.seriesPrefix ?? "bench"}.s${i}`);
  const stats = { sent: 0, ok: 0, failed: 0, skipped: 0, statuses: /** @type {Record<string, number>} */ ({}), lastError: "" };
  let inFlight = 0;
  let due = 0;
  const startedAt = performance.now();

  const sendOne = () => {
    const ts = Date.now();
    const points = series.map((name) => ({ series: name, ts, value: Math.round(Math.random() * 10_000) / 100 }));
    const body = JSON.stringify({ points });
    inFlight += 1;
    stats.sent += 1;
    const req = http.request(target, { method: "POST", agent, headers: { ...headers, "content-length": Buffer.byteLength(body) } }, (res) => {
      stats.statuses[res.statusCode ?? 0] = (stats.statuses[res.statusCode ?? 0] ?? 0) + 1;
      if (res.statusCode === 200) stats.ok += 1;
      else stats.failed += 1;
      res.resume();
      res.on("end", () => (inFlight -= 1));
    });
    req.on("error", (error) => {
      inFlight -= 1;
      stats.failed += 1;
      stats.lastError = error.message;
    });
    req.end(body);
  };

  const timer = setInterval(() => {
    const elapsedMs = performance.now() - startedAt;
    if (elapsedMs > args.maxDurationMs) return;
    const target = Math.floor((elapsedMs * args.ratePerS) / 1000);
    // Bounded per tick: a stalled event loop must not turn into an unbounded burst.
    const burst = Math.min(target - due, Math.ceil(args.ratePerS / 10) + 1);
    for (let i = 0; i < burst; i += 1) {
      if (inFlight >= MAX_IN_FLIGHT) stats.skipped += 1;
      else sendOne();
    }
    due = target;
  }, TICK_MS);

  return {
    async stop() {
      clearInterval(timer);
      const elapsedMs = performance.now() - startedAt;
      // Let in-flight requests finish (bounded) so their statuses are counted.
      for (let i = 0; i < 100 && inFlight > 0; i += 1) await new Promise((r) => setTimeout(r, 20));
      return { ...stats, elapsedMs, achievedRatePerS: (stats.sent * 1000) / elapsedMs };
    },
  };
}

serveWorker(
  {
    start(args) {
      if (current) throw new Error("producer already running");
      current = startRun(args);
      return { ok: true };
    },
    async stop() {
      if (!current) return null;
      const run = current;
      current = null;
      return run.stop();
    },
  },
  async () => {
    if (current) await current.stop();
    agent.destroy();
  },
);
