import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { adversarialPatterns, LONG_PREFIX } from "../lib/adversarial-patterns.mjs";
import { closeSubscribers, delay, measureStep, openSubscribers, round } from "../lib/measure.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
/** Adversarial patterns per subscriber (issue #10); the server's default LIVEDASH_MAX_PATTERNS is 256. */
const PATTERNS = 256;
/** Batches/s in the steady step: every batch carries pointsPerBatch long series names. */
const RATE_BATCHES_PER_S = 20;

/**
 * Hostile patterns at scale: every subscriber has 256 adversarial patterns plus one pattern of its own
 * (so each is a hub group of its own: no shared filtering) and, last, one that matches, so every
 * adversarial pattern is tried before the match. Measures:
 * - cold: the first batch of never-seen long names (every group matches every name once), its
 *   delivery time to all subscribers and the worst /healthz round trip meanwhile (event-loop stall);
 * - steady: delivery, latency and server CPU at 20 batches/s once results are memoised;
 * - micro: the matcher alone in-process (no cache), per name against all 256 patterns.
 * @param {{ subs: any[], producer: any, args: any, log: (line: string) => void }} ctx
 * @param {(env: Record<string, string>) => Promise<any>} start
 */
export async function runPatterns(ctx, start) {
  const { subs, producer, args, log } = ctx;
  const micro = runMicro(PATTERNS, args.quick ? 500 : 5000);
  log(`  matcher alone: ${micro.usPerNameAllPatterns} us per ~190-char name against ${PATTERNS} patterns ` +
    `(${micro.nsPerNamePerPattern} ns per pattern), compile ${micro.compileMs} ms`);
  log(`  selectors alone: ${micro.selectors.usPerKeyAllSelectors} us per key (1000-char label value) against ${PATTERNS} selectors ` +
    `with (a*)*b-style regexes (${micro.selectors.nsPerKeyPerSelector} ns per selector), compile ${micro.selectors.compileMs} ms`);
  // Two more than the adversarial ones: the per-connection pattern and the matching one.
  // Every subscriber here comes from one loopback address but stands for a client of its own, so the
  // per-address cap of distinct live patterns is lifted; the server-wide one (2048) still holds them all.
  const server = await start({ LIVEDASH_MAX_PATTERNS: String(PATTERNS + 2), LIVEDASH_MAX_LIVE_PATTERNS_PER_ADDRESS: String(PATTERNS + args.subscribers + 2) });
  try {
    const series = [...adversarialPatterns(PATTERNS), `${LONG_PREFIX}.s*`];
    const opened = await openSubscribers(subs, { url: server.url, transport: "ws", count: args.subscribers, series, uniquePattern: true });
    log(`  opened ${opened.opened}/${args.subscribers} subscribers with ${series.length + 1} patterns each in ${Math.round(opened.openMs)} ms` +
      (opened.errors.length ? ` (errors: ${opened.errors.join("; ")})` : ""));

    await Promise.all(subs.map((sub) => sub.call("reset")));
    const probe = healthProbe(server.url);
    const coldStart = performance.now();
    const points = Array.from({ length: args.pointsPerBatch }, (_, i) => ({ series: `${LONG_PREFIX}.s${i}`, value: i }));
    const ingest = await fetch(`${server.url}/api/ingest`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ points }) });
    if (!ingest.ok) throw new Error(`cold ingest answered ${ingest.status}: ${await ingest.text()}`);
    let coldMs = null;
    for (let waited = 0; waited < 30_000; waited += 20) {
      const reports = await Promise.all(subs.map((sub) => sub.call("counts")));
      if (reports.reduce((sum, r) => sum + r.events, 0) >= opened.opened) {
        coldMs = Math.round(performance.now() - coldStart);
        break;
      }
      await delay(20);
    }
    const healthzMaxMs = await probe.stop();
    log(`  cold batch (${args.pointsPerBatch} new names x ${opened.opened} groups): all delivered in ${coldMs ?? "> 30000"} ms, worst /healthz ${healthzMaxMs} ms`);

    const steady = await measureStep({ subs, producer, url: server.url, pid: server.pid, ratePerS: RATE_BATCHES_PER_S,
      pointsPerBatch: args.pointsPerBatch, seriesPrefix: LONG_PREFIX, warmupMs: args.warmupMs, measureMs: args.durationMs, subscribers: opened.opened });
    log(`  steady ${RATE_BATCHES_PER_S} batches/s: ${steady.deliveredPointsPerS} points/s (ratio ${steady.deliveredRatio}), p50 ${steady.p50Ms} ms, ` +
      `p99 ${steady.p99Ms} ms, server CPU ${steady.serverCpuPct}%`);
    return { patternsPerSubscriber: series.length + 1, subscribers: opened.opened, openMs: Math.round(opened.openMs), micro, cold: { deliveredMs: coldMs, healthzMaxMs }, steady };
  } finally {
    await closeSubscribers(subs).catch(() => {});
    await server.stop();
  }
}

/** The matcher alone, in a child with tsx (it is TypeScript source in packages/events). */
function runMicro(/** @type {number} */ patterns, /** @type {number} */ names) {
  const out = spawnSync(process.execPath, ["--import", "tsx", path.join(here, "../pattern-micro.mjs"), String(patterns), String(names)],
    { encoding: "utf8", timeout: 60_000 });
  if (out.status !== 0) throw new Error(`pattern-micro failed: ${out.stderr || out.error}`);
  return JSON.parse(out.stdout.trim());
}

/** GETs /healthz back to back and keeps the slowest round trip: how long the event loop was blocked. */
function healthProbe(/** @type {string} */ url) {
  let running = true;
  let maxMs = 0;
  const loop = (async () => {
    // Bounded by the caller's stop() (at most the cold phase's 30 s).
    while (running) {
      const t0 = performance.now();
      await fetch(`${url}/healthz`).then((res) => res.arrayBuffer()).catch(() => null);
      maxMs = Math.max(maxMs, performance.now() - t0);
      await delay(10);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return round(maxMs, 1);
    },
  };
}
