/**
 * Turns the results object into the markdown printed at the end of `npm run bench` (and pasted in
 * docs/benchmarks.md). Ratios are against the raw-ws baseline measured in the same run.
 */
import { WS_CLOSE } from "@livedash/events";

/** The issue's targets, as ratios against the raw baseline (null = no target for that cell). */
const TARGETS = {
  "raw-ws": { throughput: null, cpu: null, rss: null },
  "trpc-ws": { throughput: 0.8, cpu: 1.5, rss: 1.5 },
  sse: { throughput: 0.8, cpu: 1.5, rss: 2 },
  "trpc-sse": { throughput: 0.5, cpu: 1.5, rss: 2 },
};

const fmt = (/** @type {number | null | undefined} */ value, digits = 0) =>
  value === null || value === undefined || Number.isNaN(value) ? "n/a" : value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ratio = (a, b) => (a === null || a === undefined || !b ? null : a / b);
/** "0.93x ok" / "0.41x MISS (>= 0.8x)"; higher is better when `atLeast`. */
function verdict(value, target, atLeast) {
  if (value === null) return "n/a";
  const text = `${fmt(value, 2)}x`;
  if (target === null) return text;
  const ok = atLeast ? value >= target : value <= target;
  return `${text} ${ok ? "ok" : `MISS (${atLeast ? ">=" : "<="} ${target}x)`}`;
}
const table = (/** @type {string[]} */ header, /** @type {string[][]} */ rows) =>
  [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");

export function renderMarkdown(/** @type {any} */ results) {
  const out = [];
  const { machine, args } = results;
  out.push(`# Livedash bench ${results.startedAt}`);
  out.push(`Machine: ${machine.cpus} x ${machine.cpuModel}, ${fmt(machine.memTotalMb)} MB RAM, Node ${machine.node}, open files ${machine.openFilesLimit}. ` +
    `Server commit ${results.serverCommit}${args.url ? ` (external ${args.url})` : ""}. ${args.subscribers} subscribers, ${args.pointsPerBatch} points/batch, ` +
    `${args.durationMs / 1000} s per step${args.quick ? " (--quick)" : ""}.`);

  const fan = results.fanout ?? [];
  const raw = fan.find((r) => r.transport === "raw-ws");
  if (fan.length > 0) {
    out.push(`\n## Fan-out: best delivered rate with p99 < 250 ms`);
    out.push(table(
      ["transport", "points/s delivered", "vs raw", "events/s", "at batches/s", "p50 ms", "p99 ms", "server CPU us/point", "vs raw", "server CPU %", "client CPU %", "RSS/idle conn KB", "vs raw"],
      fan.map((r) => {
        const t = TARGETS[r.transport];
        const b = r.best;
        if (r.error) return [r.transport, `error: ${r.error.slice(0, 80)}`, ...Array(11).fill("")];
        return [r.transport, fmt(b?.deliveredPointsPerS), r.transport === "raw-ws" ? "1x" : verdict(ratio(b?.deliveredPointsPerS, raw?.best?.deliveredPointsPerS), t.throughput, true),
          fmt(b?.deliveredEventsPerS), fmt(b?.offeredBatchesPerS), fmt(b?.p50Ms), fmt(b?.p99Ms), fmt(b?.serverCpuUsPerPoint, 2),
          r.transport === "raw-ws" ? "1x" : verdict(ratio(b?.serverCpuUsPerPoint, raw?.best?.serverCpuUsPerPoint), t.cpu, false),
          fmt(b?.serverCpuPct), fmt(b?.clientCpuPct), fmt(r.idle?.rssPerIdleConnKb, 1),
          r.transport === "raw-ws" ? "1x" : verdict(ratio(r.idle?.rssPerIdleConnKb, raw?.idle?.rssPerIdleConnKb), t.rss, false)];
      }),
    ));
    out.push(`\nCPU per point is compared at each transport's best step; a transport that saturates earlier is compared at a lower load. ` +
      `Transports are measured interleaved (each offered load for every transport back to back, ${args.repeats} tries in alternating order, ` +
      `the least contended try reported). "other procs CPU %" is what ran on the box besides the server and the load processes ` +
      `(100 = one core): a high value means that step shared the machine.`);
    out.push(`\n### Every step`);
    out.push(table(
      ["transport", "offered batches/s", "achieved", "points/s delivered", "delivered/expected", "bytes/event", "p50 ms", "p99 ms", "max ms", "server CPU %", "us/point", "client CPU %", "other procs CPU %", "server RSS MB"],
      fan.flatMap((r) => r.steps.map((s) => [r.transport, fmt(s.offeredBatchesPerS), fmt(s.achievedBatchesPerS, 1), fmt(s.deliveredPointsPerS),
        fmt(s.deliveredRatio, 2), fmt(s.bytesPerEvent), fmt(s.p50Ms), fmt(s.p99Ms), fmt(s.maxMs), fmt(s.serverCpuPct), fmt(s.serverCpuUsPerPoint, 2),
        fmt(s.clientCpuPct), fmt(s.otherCpuPct), fmt(s.serverRssMb, 1)])),
    ));
    const moderate = args.rates[0];
    out.push(`\n### Latency at moderate load (${moderate} batches/s = ${fmt(moderate * args.pointsPerBatch * args.subscribers)} points/s offered to ${args.subscribers} subscribers)`);
    const rawFirst = raw?.steps?.[0];
    out.push(table(["transport", "p50 ms", "p99 ms", "raw p50 ms", "raw p99 ms"],
      fan.map((r) => [r.transport, fmt(r.steps[0]?.p50Ms), fmt(r.steps[0]?.p99Ms), fmt(rawFirst?.p50Ms), fmt(rawFirst?.p99Ms)])));
  }

  const check = results.trpcClient;
  if (check) {
    out.push(`\n## Standard @trpc/client links (sanity)`);
    if (check.error) out.push(`error: ${check.error}`);
    else out.push(table(["link", "clients", "receiving", "points", "p50 ms", "p99 ms", "errors"],
      Object.entries(check.byLink).map(([link, s]) => [link, fmt(s.clients), fmt(s.receiving), fmt(s.points), fmt(s.p50Ms), fmt(s.p99Ms), s.errors.join("; ") || "-"])));
  }

  const win = results.batchWindow;
  if (win) {
    out.push(`\n## Batching window (LIVEDASH_BATCH_WINDOW_MS), trpc-ws at ${win.ratePerS} batches/s`);
    out.push(table(["window ms", "events/s", "bytes/event", "p50 ms", "p99 ms", "server CPU us/point", "server CPU %", "other procs CPU %"],
      win.rows.map((r) => r.error ? [fmt(r.windowMs), `error: ${r.error.slice(0, 80)}`, "", "", "", "", "", ""]
        : [fmt(r.windowMs), fmt(r.deliveredEventsPerS), fmt(r.bytesPerEvent), fmt(r.p50Ms), fmt(r.p99Ms), fmt(r.serverCpuUsPerPoint, 2), fmt(r.serverCpuPct), fmt(r.otherCpuPct)])));
  }

  const tenK = results.tenK;
  if (tenK) {
    out.push(`\n## ${fmt(tenK.target)} concurrent subscribers (mixed WS and SSE)`);
    if (tenK.error) out.push(`error: ${tenK.error}`);
    else out.push(table(["held", "still open at end", "receiving", "by wire (opened/requested)", "open time s", "server RSS MB", "RSS/conn KB", "p99 ms at 2 batches/s"],
      [[fmt(tenK.held), fmt(tenK.stillOpen), fmt(tenK.receiving), tenK.perWire.map((w) => `${w.wire} ${w.opened}/${w.requested}`).join(", "),
        fmt(tenK.openMs / 1000, 1), `${fmt(tenK.rssBeforeMb)} -> ${fmt(tenK.rssHeldMb)}`, fmt(tenK.rssPerConnKb, 1), fmt(tenK.step?.p99Ms)]]));
  }

  const slow = results.slowConsumer;
  if (slow) {
    out.push(`\n## Slow consumer (one WS client stops reading; a control server gets the same load without one)`);
    if (slow.error) out.push(`error: ${slow.error}`);
    else out.push(table(["paused s", "hot load per server", "RSS growth MB: with slow / control", "attributable MB", "others p99 ms: with slow / control", "ratio",
      "server closed it after s", "client saw close code", "resume"],
      [[fmt(slow.pauseS), `${slow.hot.others} others, ${slow.hot.achievedBatchesPerS} x ${slow.hot.pointsPerBatch} points/s`,
        `${fmt(slow.rssGrowthMb.paused, 1)} / ${fmt(slow.rssGrowthMb.control, 1)}`,
        slow.rssGrowthAttributableMb === null ? "n/a" : `${fmt(slow.rssGrowthAttributableMb, 1)} ${slow.rssGrowthAttributableMb < 50 ? "ok" : "MISS (< 50)"}`,
        `${fmt(slow.othersDuring.paused.p99Ms)} / ${fmt(slow.othersDuring.control.p99Ms)}`, verdict(slow.othersP99Ratio, 2, false),
        fmt(slow.serverClosedAfterS),
        slow.slow.closeCode === null ? "not closed" : `${slow.slow.closeCode}${slow.slow.closeCode === WS_CLOSE.slowConsumer ? " ok" : ` MISS (${WS_CLOSE.slowConsumer})`}`,
        slow.resumed ? `from ${slow.resumed.fromId}: ${slow.resumed.receivedAfterReconnect} events, ${slow.resumed.resetsAfterReconnect} resets` : "-"]]));
    const th = slow.throttled;
    if (th) {
      out.push(`\nA second slow client on the same server read one socket chunk (<= 64 KB) every ${slow.throttle.periodMs} ms (slow, not stopped):`);
      out.push(table(["events received", "id gaps (coalesced)", "most batches skipped at once", "most series in one event", "open at end of pause", "close code"],
        [[fmt(th.after.events), fmt(th.after.idGaps), fmt(th.after.maxIdGap), fmt(th.after.seriesPerEventMax), th.during.open ? "yes" : "no",
          th.after.closeCode === null ? "not closed" : String(th.after.closeCode)]]));
    }
  }

  const pat = results.patterns;
  if (pat) {
    out.push(`\n## Adversarial patterns (${pat.patternsPerSubscriber ?? "?"} patterns per subscriber, each subscriber a group of its own)`);
    if (pat.error) out.push(`error: ${pat.error}`);
    else out.push(table(["subscribers", "opened in s", "matcher alone: us per name (256 patterns)", "cold batch: delivered to all ms", "worst /healthz ms meanwhile",
      "steady delivered ratio", "steady p50 / p99 ms", "server CPU %"],
      [[fmt(pat.subscribers), fmt(pat.openMs / 1000, 1), fmt(pat.micro.usPerNameAllPatterns, 1), fmt(pat.cold.deliveredMs), fmt(pat.cold.healthzMaxMs, 1),
        fmt(pat.steady.deliveredRatio, 3), `${fmt(pat.steady.p50Ms)} / ${fmt(pat.steady.p99Ms)}`, fmt(pat.steady.serverCpuPct, 1)]]));
  }

  const agg = results.aggregate;
  if (agg) {
    out.push(`\n## Live aggregation (in process, ${fmt(agg.subscribers)} subscribers, ${fmt(agg.pointsPerBatch)} points per batch: 50 hosts x 16 cpus)`);
    out.push(table(["subscribers are", "us per batch", "bytes written per batch", "computations per batch"],
      [["raw (host.cpu.*)", fmt(agg.raw.usPerBatch), fmt(agg.raw.bytesPerBatch), "-"],
        ["sum by (host)", fmt(agg.aggregate.usPerBatch), fmt(agg.aggregate.bytesPerBatch), fmt(agg.aggregate.computationsPerBatch)]]));
  }

  const st = results.storage;
  if (st) {
    out.push(`\n## Durable storage (disk store vs memory store, docs/storage.md)`);
    if (st.error) out.push(`error: ${st.error}`);
    const rows = [];
    if (st.ingest) rows.push([`sustained ingest (${st.ingest.seconds} s, 1000-point requests, 4 in flight)`, `${fmt(st.ingest.diskPointsPerS)} points/s = ${fmt(st.ingest.ratio, 2)}x memory (${fmt(st.ingest.memoryPointsPerS)})`, ">= 0.7x"]);
    for (const q of [st.query30dF64, st.query30d, st.query30dPoints, st.query30dMax, st.query30dThreeTiers, st.query30dThreeTiersMax]) {
      if (!q) continue;
      // Points returned per series (min-max over the series), not asked: a 30-day answer of 720 hourly rows is not "1000 points".
      const perSeries = q.pointsPerSeries ? `${fmt(q.pointsPerSeries.min)}${q.pointsPerSeries.max !== q.pointsPerSeries.min ? `-${fmt(q.pointsPerSeries.max)}` : ""} points per series` : `${fmt(q.pointsReturned)} points`;
      const answer = `${perSeries}${q.answerBytes ? `, ${fmt(q.answerBytes / 1048576, 2)} MiB` : ""}`;
      const tiers = q === st.query30dThreeTiers || q === st.query30dThreeTiersMax ? ", tiers 1s:24h,1m:30d,1h:365d" : "";
      const asked = `${q.series} series x maxPoints ${fmt(q.maxPoints ?? 1000)}`;
      const aim = q === st.query30dF64 ? "p99 < 50 ms, 1000 points per series (what the dashboard asks)" : q === st.query30dMax || q === st.query30dThreeTiersMax ? "bounded rows per series: never a second" : "";
      rows.push([`30-day history, ${asked} (${q.runs} runs${q.procedure ? `, ${q.procedure}` : ""}${q.encoding === "f64" ? ", encoding f64" : ""}${tiers})`, `first (cold) ${fmt(q.firstMs, 1)} ms; p50 ${fmt(q.p50Ms, 1)} ms, p99 ${fmt(q.p99Ms, 1)} ms${q.maxMs !== undefined ? `, max ${fmt(q.maxMs, 1)} ms` : ""} (${answer})`, aim]);
    }
    if (st.collectorBytes) rows.push([`bytes per point, collectors' own series, raw tier (${st.collectorBytes.series} series, ${st.collectorBytes.seconds} s at 1 s)`, `${fmt(st.collectorBytes.bytesPerPoint, 2)} B/point`, "<= 3"]);
    if (st.start) rows.push([`start on ${st.start.series} series x ${st.start.hours} h at 1 s (${fmt(st.start.fileMiB, 1)} MiB, ${fmt(st.start.bytesPerPoint, 2)} B/point)`, `${fmt(st.start.startMs)} ms (memory store: ${fmt(st.start.memoryStartMs)} ms)`, "< 3 s for 24 h"]);
    if (st.rss) rows.push([`server RSS, ${fmt(st.rss.series)} series x ${st.rss.hours} h on disk`, `${fmt(st.rss.afterStartMiB, 1)} MiB after start, ${fmt(st.rss.underIngestMiB, 1)} MiB under 10k points/s`, "bounded"]);
    if (rows.length > 0) out.push(table(["measure", "result", "aim"], rows));
  }

  const ing = results.ingest;
  if (ing) {
    out.push(`\n## Ingest speed beside VictoriaMetrics (${ing.vmVersion ? `victoria-metrics ${ing.vmVersion}` : "victoria-metrics not installed"})`);
    out.push(`${fmt(ing.lines)}-line bodies over ${fmt(ing.series)} series, one client with ${ing.concurrency} requests in flight, ${ing.seconds} s per target after a warm-up. ` +
      `Server CPU is utime+stime of the server process (all threads) over the window, per accepted point. Aim: Livedash within 2x of VictoriaMetrics' CPU per point on line protocol.`);
    out.push(table(["format", "target", "points/s", "server CPU us/point", "vs VictoriaMetrics", "server CPU %", "requests (2xx)"],
      ing.rows.map((/** @type {any} */ r) => r.error
        ? [r.format, r.target, `error: ${String(r.error).slice(0, 80)}`, "", "", "", ""]
        : [r.format, r.target, fmt(r.pointsPerS), fmt(r.cpuUsPerPoint, 2), r.target === "victoria-metrics" ? "1x" : verdict(r.cpuVsVm, r.format === "line protocol" ? 2 : null, false),
          fmt(r.serverCpuPct, 0), `${fmt(r.requests)} (${fmt(r.okRequests)})`])));
  }
  return out.join("\n");
}
