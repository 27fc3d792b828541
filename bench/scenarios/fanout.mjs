import { closeSubscribers, delay, measureStep, openSubscribers, round, settledRss } from "../lib/measure.mjs";
import { readRssBytes } from "../lib/proc-stats.mjs";

/** The issue's acceptable-latency bar for "delivered at acceptable latency". */
export const P99_LIMIT_MS = 250;
/** A step this far behind (p99 or delivered ratio) is saturated; higher offered load only adds queueing. */
const SATURATED_P99_MS = 1000;
const SATURATED_DELIVERED_RATIO = 0.8;

/**
 * One transport on one fresh server: idle RSS per connection, then a sweep of offered load.
 * @param {{ subs: any[], producer: any, args: any, log: (line: string) => void }} ctx
 * @param {{ transport: string, wire: "ws" | "sse" | "trpc-sse", start: () => Promise<any> }} spec
 */
export async function runFanout(ctx, spec) {
  const { args, subs, producer, log } = ctx;
  const server = await spec.start();
  try {
    await delay(500);
    const rssBeforeBytes = server.pid ? await settledRss(server.pid) : null;
    const opened = await openSubscribers(subs, { url: server.url, transport: spec.wire, count: args.subscribers });
    log(`  ${spec.transport}: ${opened.opened}/${args.subscribers} subscribers open in ${Math.round(opened.openMs)} ms` +
      (opened.failed ? `, ${opened.failed} failed: ${opened.errors.join("; ")}` : ""));
    const rssIdleBytes = server.pid ? await settledRss(server.pid) : null;
    const idle = {
      subscribersOpen: opened.opened,
      subscribersFailed: opened.failed,
      openErrors: opened.errors,
      openMs: Math.round(opened.openMs),
      rssBeforeMb: rssBeforeBytes === null ? null : round(rssBeforeBytes / 1048576, 1),
      rssIdleMb: rssIdleBytes === null ? null : round(rssIdleBytes / 1048576, 1),
      rssPerIdleConnKb: rssBeforeBytes === null || rssIdleBytes === null || opened.opened === 0
        ? null : round((rssIdleBytes - rssBeforeBytes) / opened.opened / 1024, 1),
    };
    const steps = [];
    if (opened.opened > 0) {
      // Unrecorded priming step: JIT and lazily loaded code paths would otherwise inflate the first step.
      await measureStep({ subs, producer, url: server.url, pid: server.pid, ratePerS: args.rates[0], pointsPerBatch: args.pointsPerBatch,
        warmupMs: args.warmupMs, measureMs: 500, subscribers: opened.opened });
      for (const ratePerS of args.rates) {
        const step = await measureStep({ subs, producer, url: server.url, pid: server.pid, ratePerS, pointsPerBatch: args.pointsPerBatch,
          warmupMs: args.warmupMs, measureMs: args.durationMs, subscribers: opened.opened });
        steps.push(step);
        log(`    ${ratePerS} batches/s: ${step.deliveredPointsPerS} points/s delivered (${step.deliveredRatio}), ` +
          `p50 ${step.p50Ms} ms, p99 ${step.p99Ms} ms, server CPU ${step.serverCpuPct}%, ${step.serverCpuUsPerPoint} us/point, ` +
          `clients ${step.clientCpuPct}%${step.ingestFailed ? `, ingest failed ${step.ingestFailed} ${JSON.stringify(step.ingestStatuses)}` : ""}`);
        if ((step.p99Ms ?? Infinity) >= SATURATED_P99_MS || (step.deliveredRatio ?? 0) < SATURATED_DELIVERED_RATIO) break;
      }
    }
    await closeSubscribers(subs);
    const rssEndMb = server.pid ? round(readRssBytes(server.pid) / 1048576, 1) : null;
    return { transport: spec.transport, serverName: server.name, idle, steps, best: bestStep(steps), rssEndMb };
  } catch (error) {
    await closeSubscribers(subs).catch(() => {});
    const detail = error instanceof Error ? error.message : String(error);
    log(`  ${spec.transport}: FAILED ${detail}\n${server.log().slice(-2000)}`);
    return { transport: spec.transport, serverName: server.name, error: detail, idle: null, steps: [], best: null };
  } finally {
    await server.stop();
  }
}

/** Highest delivered points/s among steps with p99 under the limit and nothing lost on the way. */
function bestStep(steps) {
  let best = null;
  for (const step of steps) {
    if (step.p99Ms === null || step.p99Ms >= P99_LIMIT_MS) continue;
    if (step.ingestFailed > 0) continue;
    if (!best || step.deliveredPointsPerS > best.deliveredPointsPerS) best = step;
  }
  return best;
}
