import { mergeSparse } from "./histogram.mjs";
import { readCpuMs, readMachineBusyMs, readRssBytes } from "./proc-stats.mjs";

/** Latency samples per second each subscriber process aims for; more would make clients the bottleneck. */
const TARGET_SAMPLES_PER_S = 2000;

export const delay = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Opens `count` connections spread evenly over the subscriber processes.
 * @param {Array<ReturnType<typeof import("./worker-ipc.mjs").spawnWorker>>} subs
 * @param {{ url: string, transport: string, count: number, series?: string[], uniquePattern?: boolean, group?: string, token?: string }} spec
 */
export async function openSubscribers(subs, spec) {
  const startedAt = performance.now();
  const shares = subs.map((_, i) => Math.floor(spec.count / subs.length) + (i < spec.count % subs.length ? 1 : 0));
  const results = await Promise.all(
    subs.map((sub, i) =>
      sub.call("open", { url: spec.url, transport: spec.transport, count: shares[i], concurrency: 50, series: spec.series ?? ["bench.*"],
        uniquePattern: spec.uniquePattern, group: spec.group, connectTimeoutMs: 15_000, token: spec.token }, 180_000),
    ),
  );
  return {
    opened: results.reduce((sum, r) => sum + r.opened, 0),
    failed: results.reduce((sum, r) => sum + r.failed, 0),
    // Distinct and short: 1000 identical 401s are one finding.
    errors: [...new Set(results.flatMap((r) => r.errors).map((e) => String(e).slice(0, 160)))].slice(0, 3),
    openMs: performance.now() - startedAt,
  };
}

/** Closes every connection in every subscriber process. */
export async function closeSubscribers(subs) {
  await Promise.all(subs.map((sub) => sub.call("closeAll", {}, 60_000)));
}

/** Reads RSS repeatedly until two reads 250 ms apart differ by < 1% (bounded to maxMs). */
export async function settledRss(/** @type {number} */ pid, maxMs = 3000) {
  let previous = readRssBytes(pid);
  for (let waited = 0; waited < maxMs; waited += 250) {
    await delay(250);
    const current = readRssBytes(pid);
    if (Math.abs(current - previous) < previous * 0.01) return current;
    previous = current;
  }
  return previous;
}

/** Waits until subscribers stop receiving (the previous step's backlog is delivered), bounded. */
export async function drain(subs, maxMs = 5000) {
  let previous = -1;
  for (let waited = 0; waited < maxMs; waited += 300) {
    const reports = await Promise.all(subs.map((sub) => sub.call("counts")));
    const events = reports.reduce((sum, r) => sum + r.events, 0);
    if (events === previous) return;
    previous = events;
    await delay(300);
  }
}

/**
 * One load step: producer at `ratePerS`, warm up, then measure delivered points, latency and CPU of
 * the server, the load processes and (to flag a busy shared machine) everything else.
 * @param {{ subs: any[], producer: any, url: string, pid: number | null, ratePerS: number, pointsPerBatch: number,
 *   warmupMs: number, measureMs: number, subscribers: number, seriesPrefix?: string, group?: string }} step
 */
export async function measureStep(step) {
  const { subs, producer } = step;
  const framesPerSPerProc = (step.subscribers / subs.length) * step.ratePerS;
  await Promise.all(subs.map((sub) => sub.call("setSampleEvery", { every: Math.ceil(framesPerSPerProc / TARGET_SAMPLES_PER_S) })));
  await producer.call("start", { url: step.url, ratePerS: step.ratePerS, pointsPerBatch: step.pointsPerBatch,
    seriesPrefix: step.seriesPrefix, maxDurationMs: step.warmupMs + step.measureMs + 2000 });
  await delay(step.warmupMs);
  await Promise.all(subs.map((sub) => sub.call("reset")));
  const ownPids = [producer.pid, ...subs.map((sub) => sub.pid)];
  const before = { server: step.pid ? readCpuMs(step.pid) : null, own: sumCpuMs(ownPids), machine: readMachineBusyMs() };
  const t0 = performance.now();
  await delay(step.measureMs);
  const reports = await Promise.all(subs.map((sub) => sub.call("report")));
  const elapsedS = (performance.now() - t0) / 1000;
  const serverCpuMs = step.pid && before.server !== null ? readCpuMs(step.pid) - before.server : null;
  const ownCpuMs = sumCpuMs(ownPids) - before.own;
  const otherCpuMs = readMachineBusyMs() - before.machine - ownCpuMs - (serverCpuMs ?? 0);
  const rss = step.pid ? readRssBytes(step.pid) : null;
  const produced = await producer.call("stop");
  await drain(subs);
  const result = summarize(step, reports, produced, elapsedS, serverCpuMs, rss);
  // Other processes on the box (and, with an external server, that server too) in % of one core.
  result.otherCpuPct = round((otherCpuMs / (elapsedS * 1000)) * 100, 0);
  return result;
}

const sumCpuMs = (/** @type {number[]} */ pids) => pids.reduce((sum, pid) => sum + readCpuMs(pid), 0);

function summarize(step, reports, produced, elapsedS, serverCpuMs, rssBytes) {
  const points = reports.reduce((sum, r) => sum + r.points, 0);
  const events = reports.reduce((sum, r) => sum + r.events, 0);
  const clientCpuMs = reports.reduce((sum, r) => sum + r.cpuMs, 0);
  const hist = mergeSparse(reports.map((r) => r.histogram));
  const expectedPointsPerS = step.subscribers * produced.achievedRatePerS * step.pointsPerBatch;
  return {
    offeredBatchesPerS: step.ratePerS,
    achievedBatchesPerS: round(produced.achievedRatePerS, 1),
    ingestFailed: produced.failed,
    ingestSkipped: produced.skipped,
    ingestStatuses: produced.statuses,
    deliveredPointsPerS: Math.round(points / elapsedS),
    deliveredEventsPerS: Math.round(events / elapsedS),
    deliveredRatio: expectedPointsPerS > 0 ? round(points / elapsedS / expectedPointsPerS, 3) : null,
    bytesPerEvent: events > 0 ? Math.round(reports.reduce((sum, r) => sum + r.bytes, 0) / events) : null,
    latencySamples: hist.total,
    p50Ms: hist.quantile(0.5),
    p99Ms: hist.quantile(0.99),
    maxMs: hist.max(),
    serverCpuPct: serverCpuMs === null ? null : round((serverCpuMs / (elapsedS * 1000)) * 100, 1),
    serverCpuUsPerPoint: serverCpuMs === null || points === 0 ? null : round((serverCpuMs * 1000) / points, 3),
    serverCpuUsPerEvent: serverCpuMs === null || events === 0 ? null : round((serverCpuMs * 1000) / events, 2),
    clientCpuPct: round((clientCpuMs / (elapsedS * 1000)) * 100, 1),
    serverRssMb: rssBytes === null ? null : round(rssBytes / 1048576, 1),
    connectionsOpen: reports.reduce((sum, r) => sum + (step.group ? r.byGroup[step.group]?.open ?? 0 : r.open), 0),
    connectionsReceiving: reports.reduce((sum, r) => sum + (step.group ? r.byGroup[step.group]?.receiving ?? 0 : r.receiving), 0),
  };
}

export const round = (/** @type {number} */ value, /** @type {number} */ digits) => Math.round(value * 10 ** digits) / 10 ** digits;
