import { mergeSparse } from "../lib/histogram.mjs";
import { closeSubscribers, delay, openSubscribers, round } from "../lib/measure.mjs";
import { readRssBytes } from "../lib/proc-stats.mjs";

/**
 * A hot stream in bytes, cheap in frames: 10 batches/s x 2000 points is ~1.3 MB/s per subscriber,
 * so a consumer that stops reading for 60 s would pin ~80 MB in the server if nothing bounded it
 * (past the 50 MB bar and the few MB the kernel's socket buffers absorb), while the healthy ones stay
 * well inside what a 2-core box delivers. 2000 distinct series, so coalescing to latest-per-series
 * bounds the slow one's backlog to 2000 points.
 */
const HOT = { ratePerS: 10, pointsPerBatch: 2000 };
/** Healthy subscribers on each server. */
const OTHERS = 5;
/**
 * The second slow client reads one socket chunk (<= 64 KB) every 100 ms, <= 640 KB/s of the ~1.3 MB/s
 * offered: it falls behind without stopping, so the server's coalescing (id gaps) becomes visible.
 */
const THROTTLE = { periodMs: 100 };
/** Parse one frame in this many for latency: a 130 KB JSON.parse per frame would load the clients more than the server. */
const SAMPLE_EVERY = 4;

/**
 * One WS subscriber stops reading while the stream runs hot. A control server gets the same load
 * and the same healthy subscribers at the same time but no slow one: the server keeps a replay window
 * and ring buffers, so RSS grows under hot ingest anyway, and the background load on a shared box
 * moves latency; only the difference between the two servers is the slow consumer's doing.
 * @param {{ subs: any[], producer: any, spawnProducer: () => any, args: any, log: (line: string) => void }} ctx
 * @param {() => Promise<any>} start
 */
export async function runSlowConsumer(ctx, start) {
  const { subs, producer, args, log } = ctx;
  const baselineMs = args.quick ? 1000 : 5000;
  /** How long to wait, after the slow one resumes reading, for it to be closed or catch up. */
  const afterResumeMs = args.quick ? 2000 : 10_000;
  const servers = [];
  const controlProducer = ctx.spawnProducer();
  try {
    const paused = await start();
    servers.push(paused);
    // An external server (--url) is the only one there is: no control then, the figures are absolute.
    const control = args.url ? null : await start();
    if (control) servers.push(control);
    const slowSub = subs[0];
    const wsOpts = { url: paused.url, transport: "ws", count: 1, concurrency: 1, series: ["bench.*"], connectTimeoutMs: 15_000, group: "slow" };
    const slowOpen = await slowSub.call("open", { ...wsOpts, trackIds: true });
    if (slowOpen.opened !== 1) throw new Error(`slow consumer did not open: ${slowOpen.errors.join("; ")}`);
    const slowIndex = 0;
    const throttledOpen = await slowSub.call("open", { ...wsOpts, trackIds: true });
    if (throttledOpen.opened !== 1) throw new Error(`throttled consumer did not open: ${throttledOpen.errors.join("; ")}`);
    const throttledIndex = 1;
    await openSubscribers(subs, { url: paused.url, transport: "ws", count: OTHERS, group: "paused" });
    if (control) await openSubscribers(subs, { url: control.url, transport: "ws", count: OTHERS, group: "control" });
    await Promise.all(subs.map((sub) => sub.call("setSampleEvery", { every: SAMPLE_EVERY })));
    const maxDurationMs = args.warmupMs + baselineMs + args.slowPauseMs + afterResumeMs + 10_000;
    const hotStart = { ratePerS: HOT.ratePerS, pointsPerBatch: HOT.pointsPerBatch, maxDurationMs };
    await producer.call("start", { url: paused.url, ...hotStart });
    if (control) await controlProducer.call("start", { url: control.url, ...hotStart });
    await delay(args.warmupMs);

    await Promise.all(subs.map((sub) => sub.call("reset")));
    await delay(baselineMs);
    const before = { paused: await latencyOf(subs, "paused"), control: await latencyOf(subs, "control") };
    const rssBase = { paused: rssMb(paused), control: control ? rssMb(control) : null };

    const closedBefore = await slowClosedTotal(paused.url);
    await slowSub.call("pause", { index: slowIndex });
    await slowSub.call("throttle", { index: throttledIndex, ...THROTTLE });
    const pausedAt = Date.now();
    await Promise.all(subs.map((sub) => sub.call("reset")));
    const rssPeak = { ...rssBase };
    /** When the server's slow-closed counter moved: the client cannot tell while it is not reading. */
    let serverClosedAfterS = null;
    for (let waited = 0; waited < args.slowPauseMs; waited += 1000) {
      await delay(Math.min(1000, args.slowPauseMs - waited));
      rssPeak.paused = maxOrNull(rssPeak.paused, rssMb(paused));
      if (control) rssPeak.control = maxOrNull(rssPeak.control, rssMb(control));
      if (serverClosedAfterS === null && closedBefore !== null && ((await slowClosedTotal(paused.url)) ?? 0) > closedBefore) {
        serverClosedAfterS = round((Date.now() - pausedAt) / 1000, 0);
      }
    }
    const during = { paused: await latencyOf(subs, "paused"), control: await latencyOf(subs, "control") };

    const throttledDuring = await slowSub.call("slowInfo", { index: throttledIndex });
    await slowSub.call("resume", { index: slowIndex });
    if (throttledDuring.open) await slowSub.call("resume", { index: throttledIndex });
    let slow = await slowSub.call("slowInfo", { index: slowIndex });
    for (let waited = 0; waited < afterResumeMs && slow.open; waited += 250) {
      await delay(250);
      slow = await slowSub.call("slowInfo", { index: slowIndex });
    }
    const afterResume = slow;
    const throttled = { during: throttledDuring, after: await slowSub.call("slowInfo", { index: throttledIndex }) };
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
    if (control) await controlProducer.call("stop");
    const growth = { paused: diff(rssPeak.paused, rssBase.paused), control: diff(rssPeak.control, rssBase.control) };
    const attributableMb = growth.paused === null || growth.control === null ? null : round(growth.paused - growth.control, 1);
    // Against the control server at the same time; without one (external server), against before the pause.
    const reference = control ? during.control.p99Ms : before.paused.p99Ms;
    const othersP99Ratio = during.paused.p99Ms !== null && reference ? round(during.paused.p99Ms / reference, 2) : null;
    log(`  slow consumer: paused ${args.slowPauseMs / 1000} s; RSS +${growth.paused} MB vs control +${growth.control} MB; ` +
      `others p99 ${during.paused.p99Ms} ms vs control ${during.control.p99Ms} ms; server closed it after ${serverClosedAfterS ?? "-"} s, ` +
      `client saw close code ${afterResume.closeCode ?? "(still open)"}` + (resumed ? `; resumed from ${resumed.fromId}: ${resumed.receivedAfterReconnect} events` : "") +
      `; throttled reader: ${throttled.after.idGaps} id gaps (max ${throttled.after.maxIdGap} batches skipped), ` +
      `close code ${throttled.after.closeCode ?? "(open)"}`);
    await closeSubscribers(subs);
    return {
      hot: { ...HOT, achievedBatchesPerS: round(produced.achievedRatePerS, 1), ingestFailed: produced.failed, others: OTHERS },
      pauseS: args.slowPauseMs / 1000,
      rssBaseMb: rssBase, rssPeakMb: rssPeak, rssGrowthMb: growth, rssGrowthAttributableMb: attributableMb,
      othersBefore: before, othersDuring: during, othersP99Ratio,
      slow: afterResume, serverClosedAfterS, resumed, throttled, throttle: THROTTLE,
    };
  } catch (error) {
    await Promise.all([producer, controlProducer].map((p) => p.call("stop").catch(() => {})));
    await closeSubscribers(subs).catch(() => {});
    const detail = error instanceof Error ? error.message : String(error);
    log(`  slow consumer: FAILED ${detail}\n${servers.map((s) => s.log().slice(-2000)).join("\n")}`);
    return { error: detail };
  } finally {
    await controlProducer.stop();
    for (const server of servers) await server.stop();
  }
}

const rssMb = (/** @type {{ pid: number | null }} */ server) => (server.pid ? round(readRssBytes(server.pid) / 1048576, 1) : null);
const maxOrNull = (/** @type {number | null} */ a, /** @type {number | null} */ b) => (a === null || b === null ? null : Math.max(a, b));
const diff = (/** @type {number | null} */ a, /** @type {number | null} */ b) => (a === null || b === null ? null : round(a - b, 1));

/** The server's own count of slow consumers it closed (GET /metrics), or null if it has none. */
async function slowClosedTotal(/** @type {string} */ url) {
  try {
    const text = await (await fetch(new URL("/metrics", url))).text();
    const match = /^livedash_slow_consumers_closed_total(?:\{[^}]*\})? (\d+)/m.exec(text);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** Latency of one group of healthy subscribers since the last reset. */
async function latencyOf(subs, group) {
  const reports = await Promise.all(subs.map((sub) => sub.call("report", { group })));
  const hist = mergeSparse(reports.map((r) => r.histogram));
  return { p50Ms: hist.quantile(0.5), p99Ms: hist.quantile(0.99), samples: hist.total };
}
