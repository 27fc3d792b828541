import { closeSubscribers, delay, measureStep, openSubscribers, round } from "../lib/measure.mjs";
import { readRssBytes } from "../lib/proc-stats.mjs";

/** The acceptable-latency bar for "delivered at acceptable latency". */
export const P99_LIMIT_MS = 250;
/** A step this far behind (p99 or delivered ratio) is saturated; higher offered load only adds queueing. */
const SATURATED_P99_MS = 1000;
const SATURATED_DELIVERED_RATIO = 0.8;
/** Consecutive saturated steps before a transport leaves the sweep: one can be a burst of other work on a shared box. */
const SATURATED_STEPS_TO_STOP = 2;

/**
 * Every transport swept in one interleaved pass. The raw baseline and our server run side by side,
 * every transport's subscribers stay connected for the whole sweep (each group subscribes to its own
 * series prefix, and the producer feeds one group at a time), and each offered load is measured for
 * every transport back to back. On a shared 2-core box the background load drifts over minutes;
 * interleaving puts that drift into every transport alike instead of into the ratios.
 * @param {{ subs: any[], producer: any, args: any, log: (line: string) => void }} ctx
 * @param {{ transports: string[], startRaw: () => Promise<any>, startOurs: () => Promise<any> }} spec
 */
export async function runFanoutSweep(ctx, spec) {
  const { args, subs, producer, log } = ctx;
  const servers = [];
  try {
    const raw = spec.transports.includes("raw-ws") ? await spec.startRaw() : null;
    if (raw) servers.push(raw);
    const ours = spec.transports.some((t) => t !== "raw-ws") ? await spec.startOurs() : null;
    if (ours) servers.push(ours);
    await delay(500);
    /** @type {any[]} */
    const groups = [];
    for (const transport of spec.transports) {
      const server = transport === "raw-ws" ? raw : ours;
      const wire = transport === "raw-ws" || transport === "trpc-ws" ? "ws" : transport;
      const prefix = `bench.${transport}`;
      const opened = await openSubscribers(subs, { url: server.url, transport: wire, count: args.subscribers, series: [`${prefix}.*`], group: transport });
      log(`  ${transport}: ${opened.opened}/${args.subscribers} subscribers open in ${Math.round(opened.openMs)} ms` +
        (opened.failed ? `, ${opened.failed} failed: ${opened.errors.join("; ")}` : ""));
      groups.push({ transport, server, prefix, active: opened.opened > 0, opened: opened.opened, saturatedInARow: 0, steps: [],
        open: { subscribersOpen: opened.opened, subscribersFailed: opened.failed, openErrors: opened.errors, openMs: Math.round(opened.openMs) } });
    }
    const stepFor = (group, ratePerS, measureMs) => measureStep({ subs, producer, url: group.server.url, pid: group.server.pid, ratePerS,
      pointsPerBatch: args.pointsPerBatch, warmupMs: args.warmupMs, measureMs, subscribers: group.opened, seriesPrefix: group.prefix, group: group.transport });
    // Unrecorded priming step per group: JIT and lazily loaded code paths would otherwise inflate the first step.
    for (const group of groups) if (group.active) await stepFor(group, args.rates[0], args.quick ? 200 : 500);
    for (const ratePerS of args.rates) {
      const active = groups.filter((g) => g.active);
      /** @type {Map<object, any[]>} */
      const tries = new Map(active.map((g) => [g, []]));
      // Each load is measured `repeats` times, alternating forward and reverse order so no transport
      // always follows the same neighbour; the least contended try (lowest "other procs" CPU) counts.
      for (let pass = 0; pass < args.repeats; pass += 1) {
        for (const group of pass % 2 === 0 ? active : [...active].reverse()) {
          const step = await stepFor(group, ratePerS, args.durationMs);
          tries.get(group)?.push(step);
          log(`    ${group.transport} ${ratePerS} batches/s: ${step.deliveredPointsPerS} points/s (${step.deliveredRatio}), ` +
            `p50 ${step.p50Ms} ms, p99 ${step.p99Ms} ms, server ${step.serverCpuPct}% ${step.serverCpuUsPerPoint} us/point, ` +
            `clients ${step.clientCpuPct}%, other procs ${step.otherCpuPct}%` +
            (step.ingestFailed ? `, ingest failed ${step.ingestFailed} ${JSON.stringify(step.ingestStatuses)}` : ""));
        }
      }
      for (const group of active) {
        const all = tries.get(group) ?? [];
        const chosen = all.reduce((a, b) => (b.otherCpuPct < a.otherCpuPct ? b : a));
        group.steps.push({ ...chosen, tries: all.map((t) => ({ p50Ms: t.p50Ms, p99Ms: t.p99Ms, deliveredPointsPerS: t.deliveredPointsPerS, otherCpuPct: t.otherCpuPct })) });
        const saturated = (chosen.p99Ms ?? Infinity) >= SATURATED_P99_MS || (chosen.deliveredRatio ?? 0) < SATURATED_DELIVERED_RATIO;
        group.saturatedInARow = saturated ? group.saturatedInARow + 1 : 0;
        if (group.saturatedInARow >= SATURATED_STEPS_TO_STOP) group.active = false;
      }
    }
    await closeSubscribers(subs);
    return groups.map((g) => ({ transport: g.transport, serverName: g.server.name, open: g.open, steps: g.steps, best: bestStep(g.steps),
      serverRssEndMb: g.server.pid ? round(readRssBytes(g.server.pid) / 1048576, 1) : null }));
  } catch (error) {
    await closeSubscribers(subs).catch(() => {});
    const detail = error instanceof Error ? error.message : String(error);
    log(`  fan-out: FAILED ${detail}\n${servers.map((s) => s.log().slice(-2000)).join("\n")}`);
    return spec.transports.map((transport) => ({ transport, error: detail, steps: [], best: null }));
  } finally {
    for (const server of servers) await server.stop();
  }
}

/** Highest delivered points/s among steps with p99 under the limit and no failed ingest. */
function bestStep(steps) {
  let best = null;
  for (const step of steps) {
    if (step.p99Ms === null || step.p99Ms >= P99_LIMIT_MS) continue;
    if (step.ingestFailed > 0) continue;
    if (!best || step.deliveredPointsPerS > best.deliveredPointsPerS) best = step;
  }
  return best;
}
