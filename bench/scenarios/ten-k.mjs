import { closeSubscribers, delay, measureStep, openSubscribers, round, settledRss } from "../lib/measure.mjs";

/** Share of each wire in the mixed crowd: WebSocket is what the client ladder tries first. */
const MIX = [
  { wire: "ws", share: 0.5 },
  { wire: "sse", share: 0.25 },
  { wire: "trpc-sse", share: 0.25 },
];
/** Low offered load: this scenario checks holding and reaching everyone, not throughput. */
const RATE_BATCHES_PER_S = 2;

/**
 * Many concurrent subscribers (mixed WS and SSE) on one fresh server: how many are held, how many
 * still receive, and what they cost in RSS.
 * @param {{ subs: any[], producer: any, args: any, log: (line: string) => void }} ctx
 * @param {() => Promise<any>} start
 * @param {number} target
 */
export async function runTenK(ctx, start, target) {
  const { subs, producer, args, log } = ctx;
  const server = await start();
  try {
    await delay(500);
    const rssBeforeBytes = server.pid ? await settledRss(server.pid, args.settleMs) : null;
    const perWire = [];
    const t0 = performance.now();
    for (const { wire, share } of MIX) {
      const count = Math.round(target * share);
      const opened = await openSubscribers(subs, { url: server.url, transport: wire, count });
      perWire.push({ wire, requested: count, opened: opened.opened, failed: opened.failed, errors: opened.errors });
      log(`  10k: ${wire} ${opened.opened}/${count} open` + (opened.failed ? `, ${opened.failed} failed: ${opened.errors.join("; ")}` : ""));
    }
    const openMs = Math.round(performance.now() - t0);
    const held = perWire.reduce((sum, w) => sum + w.opened, 0);
    const rssHeldBytes = server.pid ? await settledRss(server.pid, args.settleMs + 2000) : null;
    const step = await measureStep({ subs, producer, url: server.url, pid: server.pid, ratePerS: RATE_BATCHES_PER_S,
      pointsPerBatch: args.pointsPerBatch, warmupMs: args.warmupMs, measureMs: Math.max(1500, args.durationMs), subscribers: held });
    log(`  10k: ${step.connectionsOpen} open, ${step.connectionsReceiving} receiving, p99 ${step.p99Ms} ms`);
    await closeSubscribers(subs);
    return {
      target, perWire, held, openMs,
      stillOpen: step.connectionsOpen,
      receiving: step.connectionsReceiving,
      rssBeforeMb: rssBeforeBytes === null ? null : round(rssBeforeBytes / 1048576, 1),
      rssHeldMb: rssHeldBytes === null ? null : round(rssHeldBytes / 1048576, 1),
      rssPerConnKb: rssBeforeBytes === null || rssHeldBytes === null || held === 0 ? null : round((rssHeldBytes - rssBeforeBytes) / held / 1024, 1),
      step,
    };
  } catch (error) {
    await closeSubscribers(subs).catch(() => {});
    const detail = error instanceof Error ? error.message : String(error);
    log(`  10k: FAILED ${detail}\n${server.log().slice(-2000)}`);
    return { target, error: detail };
  } finally {
    await server.stop();
  }
}
