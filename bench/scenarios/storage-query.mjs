import { round } from "../lib/measure.mjs";

/** LIVEDASH_RETENTION without the intermediate 15-minute tier: the worst case a user can configure. */
const THREE_TIERS = "1s:24h,1m:30d,1h:365d";

/**
 * The 30-day history query of docs/storage.md "Queries": 50 series x 30 days at one point a minute,
 * seeded straight into the store, then queried over HTTP as the dashboard does:
 *  - maxPoints 1000 with the default tiers, as metrics.historyColumns with encoding f64 (what the
 *    dashboard reads), as JSON columns, and as metrics.history (an object per point);
 *  - the worst case the row budget bounds: 40 series at maxPoints 5000 (the most LIVEDASH_MAX_HISTORY_POINTS
 *    allows), with the default tiers and with THREE_TIERS (no 15-minute tier: the hourly rows answer).
 * Each row reports the points returned per series (min and max over the series), so a row cannot claim
 * 1000 points while the store answered fewer.
 * @param {{ args: any, log: (line: string) => void }} ctx
 * @param {(env?: Record<string, string>) => Promise<any>} startOurs
 * @param {(dir: string, series: number, hours: number, stepMs?: number) => any} seed
 * @param {string} dir
 * @param {Record<string, any>} result
 */
export async function runQuery30d(ctx, startOurs, seed, dir, result) {
  const { args, log } = ctx;
  const quick = Boolean(args.quick);
  const seeded = seed(dir, 50, 30 * 24, 60_000);
  log(`  seeded 50 series x 30 d at 1/min: ${seeded.points} points in ${round(seeded.seconds, 1)} s, ${round(seeded.fileBytes / 1048576, 1)} MiB`);
  const names = (/** @type {number} */ n) => Array.from({ length: n }, (_, i) => `bench.s${i}`);
  const window = { from: seeded.from, to: seeded.to };
  const env = { LIVEDASH_STORAGE: "disk", LIVEDASH_DATA_DIR: dir };
  const runs = quick ? 30 : 200;
  const server = await startOurs(env);
  try {
    // metrics.historyColumns with encoding f64 is what the dashboard reads (base64 doubles, decoded by the client);
    // the JSON columns (the default) and metrics.history (an object per point) stay for other callers.
    const variants = /** @type {const} */ ([
      ["query30dF64", "metrics.historyColumns", "f64"],
      ["query30d", "metrics.historyColumns", undefined],
      ["query30dPoints", "metrics.history", undefined],
    ]);
    for (const [key, procedure, encoding] of variants) {
      const input = { series: names(50), ...window, maxPoints: 1000, ...(encoding ? { encoding } : {}) };
      result[key] = await timeQueries(server.url, procedure, input, runs);
      log(`  30-day query (${procedure}${encoding ? `, encoding ${encoding}` : ""}), 50 series x maxPoints 1000: ${describe(result[key])}`);
    }
    const worst = { series: names(40), ...window, maxPoints: 5000, encoding: "f64" };
    result.query30dMax = await timeQueries(server.url, "metrics.historyColumns", worst, quick ? 10 : 40);
    log(`  30-day query, 40 series x maxPoints 5000 (f64): ${describe(result.query30dMax)}`);
  } finally {
    await server.stop();
  }
  // Last: starting with the three tiers deletes the 15-minute tier of this directory.
  const threeTiers = await startOurs({ ...env, LIVEDASH_RETENTION: THREE_TIERS });
  try {
    result.query30dThreeTiers = await timeQueries(threeTiers.url, "metrics.historyColumns", { series: names(50), ...window, maxPoints: 1000, encoding: "f64" }, quick ? 10 : 40);
    log(`  30-day query with ${THREE_TIERS}, 50 series x maxPoints 1000 (f64): ${describe(result.query30dThreeTiers)}`);
    result.query30dThreeTiersMax = await timeQueries(threeTiers.url, "metrics.historyColumns", { series: names(40), ...window, maxPoints: 5000, encoding: "f64" }, quick ? 10 : 40);
    log(`  30-day query with ${THREE_TIERS}, 40 series x maxPoints 5000 (f64): ${describe(result.query30dThreeTiersMax)}`);
  } finally {
    await threeTiers.stop();
  }
}

/** @param {any} r */
const describe = (r) => `first ${r.firstMs} ms, then p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, max ${r.maxMs} ms (${r.pointsPerSeries.min}-${r.pointsPerSeries.max} points per series, ${r.answerBytes} bytes)`;

/**
 * `runs` sequential GETs of one query, each timed until its answer is parsed (and, for f64, decoded
 * into number arrays as the dashboard's client does). The first is cold (JIT, page cache, decoded-chunk
 * cache): reported alone, percentiles over the rest.
 * @param {string} baseUrl
 * @param {string} procedure
 * @param {{ series: string[], maxPoints: number, encoding?: string }} input
 * @param {number} runs
 */
async function timeQueries(baseUrl, procedure, input, runs) {
  const url = `${baseUrl}/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`;
  const latencies = [];
  let perSeries = { min: 0, max: 0 };
  let bytes = 0;
  let pointsReturned = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const res = await fetch(url);
    const text = await res.text();
    if (!res.ok) throw new Error(`${procedure} answered ${res.status}: ${text.slice(0, 300)}`);
    const body = JSON.parse(text);
    const data = input.encoding === "f64" ? body.result.data.map((/** @type {any} */ s) => ({ series: s.series, ts: decodeF64(s.ts), value: decodeF64(s.value), min: decodeF64(s.min), max: decodeF64(s.max) })) : body.result.data;
    latencies.push(performance.now() - t0);
    bytes = text.length;
    const counts = data.map((/** @type {any} */ s) => (s.points ?? s.ts).length);
    perSeries = { min: Math.min(...counts), max: Math.max(...counts) };
    pointsReturned = counts.reduce((/** @type {number} */ n, /** @type {number} */ c) => n + c, 0);
  }
  const firstMs = round(latencies.shift() ?? 0, 1);
  latencies.sort((a, b) => a - b);
  const at = (/** @type {number} */ q) => round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0, 1);
  return { procedure, encoding: input.encoding ?? "json", runs, series: input.series.length, maxPoints: input.maxPoints, pointsReturned, pointsPerSeries: perSeries, answerBytes: bytes, firstMs, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: round(latencies.at(-1) ?? 0, 1) };
}

/**
 * Base64 little-endian doubles -> numbers, as decodeF64 in @livedash/events does it (the bench is plain
 * JavaScript and does not load the TypeScript workspace).
 * @param {string} text
 */
function decodeF64(text) {
  const bytes = Buffer.from(text, "base64");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = [];
  for (let offset = 0; offset + 8 <= bytes.byteLength; offset += 8) out.push(view.getFloat64(offset, true));
  return out;
}
