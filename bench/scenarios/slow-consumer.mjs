import { mergeSparse } from "../lib/histogram.mjs";
import { closeSubscribers, delay, openSubscribers, round } from "../lib/measure.mjs";
import { readRssBytes } from "../lib/proc-stats.mjs";

/**
 * A hot stream in bytes, cheap in frames: 50 batches/s x 400 points is ~1.3 MB/s per subscriber, so
 * a consumer that stops reading for 60 s would pin ~80 MB in the server if nothing bounded it (past
 * the 50 MB bar and the few MB the kernel's socket buffers absorb), while the healthy ones stay well
 * inside what a 2-core box delivers. 400 distinct series, so coalescing to latest-per-series bounds
 * the slow one's backlog to 400 points.
 */
const HOT = { ratePerS: 50, pointsPerBatch: 400 };
/** Healthy subscribers sharing the server with the slow one. */
const OTHERS = 20;

/**
 * One WS subscriber stops reading while the stream runs hot: server RSS growth, the others' p99
 * (before vs during), and what happened to the slow one (closed with 4008? resumed by id?).
 * @param {{ subs: any[], producer: any, args: any, log: (line: string) => void }} ctx
 * @param {() => Promise<any>} start
 */
export async function runSlowConsumer(ctx, start) {
  const { subs, producer, args, log } = ctx;
  const server = await start();
  const baselineMs = args.quick ? 1000 : 5000;
  /** How long to wait, after the slow one resumes reading, for it to be closed or catch up. */
  const afterResumeMs = args.quick ? 2000 : 10_000;
  try {
    const slowSub = subs[0];
    const wsOpts = { url: server.url, transport: "ws", count: 1, concurrency: 1, series: ["bench.*"], connectTimeoutMs: 15_000 };
    const slowOpen = await slowSub.call("open", { ...wsOpts, trackIds: true });
    if (slowOpen.opened !== 1) throw new Error(`slow consumer did not open: ${slowOpen.errors.join("; ")}`);
    const slowIndex = 0;
    const others = await openSubscribers(subs, { url: server.url, transport: "ws", count: OTHERS });
    await Promise.all(subs.map((sub) => sub.call("setSampleEvery", { every: Math.ceil((OTHERS * HOT.ratePerS) / subs.length / 2000) })));
    await producer.call("start", { url: server.url, ratePerS: HOT.ratePerS, pointsPerBatch: HOT.pointsPerBatch,
      maxDurationMs: args.warmupMs + baselineMs + args.slowPauseMs + afterResumeMs + 10_000 });
    await delay(args.warmupMs);

    await Promise.all(subs.map((sub) => sub.call("reset")));
    await delay(baselineMs);
    const before = await othersLatency(subs);
    const rssBaseBytes = server.pid ? readRssBytes(server.pid) : null;

    await slowSub.call("pause", { index: slowIndex });
    await Promise.all(subs.map((sub) => sub.call("reset")));
    let rssPeakBytes = rssBaseBytes;
    for (let waited = 0; waited < args.slowPauseMs; waited += 1000) {
      await delay(Math.min(1000, args.slowPauseMs - waited));
      if (server.pid) rssPeakBytes = Math.max(/** @type {number} */ (rssPeakBytes), readRssBytes(server.pid));
    }
    const during = await othersLatency(subs);
    const rssAtResumeBytes = server.pid ? readRssBytes(server.pid) : null;

    await slowSub.call("resume", { index: slowIndex });
    let slow = await slowSub.call("slowInfo", { index: slowIndex });
    for (let waited = 0; waited < afterResumeMs && slow.open; waited += 250) {
      await delay(250);
      slow = await slowSub.call("slowInfo", { index: slowIndex });
    }
    const afterResume = slow;
    let resumed = null;
    if (!slow.open) {
      // The contract: a closed slow consumer reconnects with its last id and gets replay (or reset) then live.
      const reconnect = await slowSub.call("reconnect", { index: slowIndex, opts: wsOpts });
      let info = await slowSub.call("slowInfo", { index: slowIndex });
      for (let waited = 0; waited < 5000 && info.events === 0; waited += 100) {
        await delay(100);
        info = await slowSub.call("slowInfo", { index: slowIndex });
      }
      resumed = { fromId: reconnect.lastEventId, receivedAfterReconnect: info.events, resetsAfterReconnect: info.resets, open: info.open };
    }
    const produced = await producer.call("stop");
    const growthMb = rssBaseBytes === null || rssPeakBytes === null ? null : round((rssPeakBytes - rssBaseBytes) / 1048576, 1);
    log(`  slow consumer: paused ${args.slowPauseMs / 1000} s, server RSS +${growthMb} MB, others p99 ${before.p99Ms} -> ${during.p99Ms} ms, ` +
      `slow closed with ${afterResume.closeCode ?? "(still open)"}` + (resumed ? `, resumed from ${resumed.fromId}: ${resumed.receivedAfterReconnect} events` : ""));
    await closeSubscribers(subs);
    return {
      hot: { ...HOT, achievedBatchesPerS: round(produced.achievedRatePerS, 1), ingestFailed: produced.failed, others: others.opened },
      pauseS: args.slowPauseMs / 1000,
      rssBaseMb: rssBaseBytes === null ? null : round(rssBaseBytes / 1048576, 1),
      rssPeakMb: rssPeakBytes === null ? null : round(rssPeakBytes / 1048576, 1),
      rssAtResumeMb: rssAtResumeBytes === null ? null : round(rssAtResumeBytes / 1048576, 1),
      rssGrowthMb: growthMb,
      othersBefore: before,
      othersDuring: during,
      othersP99Ratio: before.p99Ms && during.p99Ms !== null ? round(during.p99Ms / before.p99Ms, 2) : null,
      slow: afterResume,
      resumed,
    };
  } catch (error) {
    await producer.call("stop").catch(() => {});
    await closeSubscribers(subs).catch(() => {});
    const detail = error instanceof Error ? error.message : String(error);
    log(`  slow consumer: FAILED ${detail}\n${server.log().slice(-2000)}`);
    return { error: detail };
  } finally {
    await server.stop();
  }
}

/** Latency of everyone but the slow one: while paused it receives nothing, so it adds no samples. */
async function othersLatency(subs) {
  const reports = await Promise.all(subs.map((sub) => sub.call("report")));
  const hist = mergeSparse(reports.map((r) => r.histogram));
  const elapsedS = (reports[0]?.elapsedMs ?? 1) / 1000;
  return { p50Ms: hist.quantile(0.5), p99Ms: hist.quantile(0.99), samples: hist.total,
    pointsPerS: Math.round(reports.reduce((sum, r) => sum + r.points, 0) / elapsedS), open: reports.reduce((sum, r) => sum + r.open, 0) };
}
