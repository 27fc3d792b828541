import { closeSubscribers, measureStep, openSubscribers } from "../lib/measure.mjs";

/** Windows compared (LIVEDASH_BATCH_WINDOW_MS); 0 merges only what arrives in the same event-loop turn. */
const WINDOWS_MS = [0, 25, 100];
/** A load where merging matters: many small ingests per second. */
const RATE_BATCHES_PER_S = 50;

/**
 * The batching window trade-off: a fresh server per window, WebSocket subscribers, the same offered
 * load; fewer, bigger events cost less CPU per point and add up to one window of latency.
 * @param {{ subs: any[], producer: any, args: any, log: (line: string) => void }} ctx
 * @param {(env: Record<string, string>) => Promise<any>} start
 */
export async function runBatchWindow(ctx, start) {
  const { subs, producer, args, log } = ctx;
  const rows = [];
  for (const windowMs of args.quick ? [WINDOWS_MS[0], WINDOWS_MS[WINDOWS_MS.length - 1]] : WINDOWS_MS) {
    const server = await start({ LIVEDASH_BATCH_WINDOW_MS: String(windowMs) });
    try {
      const opened = await openSubscribers(subs, { url: server.url, transport: "ws", count: args.subscribers });
      const step = await measureStep({ subs, producer, url: server.url, pid: server.pid, ratePerS: RATE_BATCHES_PER_S,
        pointsPerBatch: args.pointsPerBatch, warmupMs: args.warmupMs, measureMs: args.durationMs, subscribers: opened.opened });
      log(`  window ${windowMs} ms: ${step.deliveredEventsPerS} events/s, ${step.bytesPerEvent} bytes/event, p50 ${step.p50Ms} ms, ` +
        `p99 ${step.p99Ms} ms, ${step.serverCpuUsPerPoint} us/point, other procs ${step.otherCpuPct}%`);
      rows.push({ windowMs, ...step });
    } catch (error) {
      rows.push({ windowMs, error: error instanceof Error ? error.message : String(error) });
    } finally {
      await closeSubscribers(subs).catch(() => {});
      await server.stop();
    }
  }
  return { ratePerS: RATE_BATCHES_PER_S, rows };
}
