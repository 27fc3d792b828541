import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { delay, round, settledRss } from "../lib/measure.mjs";

/**
 * Durable storage (docs/storage.md), each figure beside the memory store in the same run:
 *  - sustained ingest, disk vs memory (HTTP, 1000-point requests over 100 series, 4 in flight);
 *  - a 30-day history query for 50 series x 1000 points (p50/p99 over repeated queries), as columns
 *    (metrics.historyColumns, with encoding f64 as the dashboard asks and in plain JSON) and as points (metrics.history);
 *  - bytes per point of the built-in collectors' series (raw tier, 300 s at 1 s; quick: 45 s);
 *  - server start on 24 h x 1000 series at 1 s (quick: 1 h);
 *  - server RSS on 10 000 series (24 h at 1 s, quick: 15 min) after start and under live ingest.
 * Histories are written by apps/server/scripts/seed-disk-store.ts straight into the store (no HTTP).
 * @param {{ args: any, log: (line: string) => void }} ctx
 * @param {(env?: Record<string, string>) => Promise<any>} startOurs
 * @param {string} repoRoot
 */
export async function runStorage(ctx, startOurs, repoRoot) {
  const { args, log } = ctx;
  const quick = Boolean(args.quick);
  const dirs = /** @type {string[]} */ ([]);
  const tempDir = () => {
    const dir = mkdtempSync(path.join(tmpdir(), "livedash-bench-"));
    dirs.push(dir);
    return dir;
  };
  const seed = (/** @type {string} */ dir, /** @type {number} */ series, /** @type {number} */ hours, stepMs = 1000) => {
    const out = execFileSync(process.execPath, ["--import", "tsx", "scripts/seed-disk-store.ts", "--dir", dir, "--series", String(series), "--hours", String(hours), "--step-ms", String(stepMs)], {
      cwd: path.join(repoRoot, "apps/server"),
      maxBuffer: 1_048_576,
    });
    return JSON.parse(out.toString().trim().split("\n").at(-1) ?? "{}");
  };
  const disk = (/** @type {string} */ dir) => ({ LIVEDASH_STORAGE: "disk", LIVEDASH_DATA_DIR: dir });
  /** @type {Record<string, any>} */
  const result = {};
  try {
    // --- sustained ingest ---
    const seconds = quick ? 3 : 10;
    const ingestEnv = { LIVEDASH_INGEST_RATE: "100000000", LIVEDASH_MAX_SERIES: "100000" };
    const rates = /** @type {Record<string, number>} */ ({});
    for (const kind of ["memory", "disk"]) {
      const server = await startOurs(kind === "disk" ? { ...ingestEnv, ...disk(tempDir()) } : { ...ingestEnv, LIVEDASH_STORAGE: "memory" });
      try {
        rates[kind] = await sustainedIngest(server.url, seconds);
      } finally {
        await server.stop();
      }
      log(`  ingest ${kind}: ${Math.round(rates[kind] ?? 0)} points/s`);
    }
    result.ingest = { seconds, memoryPointsPerS: Math.round(rates.memory ?? 0), diskPointsPerS: Math.round(rates.disk ?? 0), ratio: round((rates.disk ?? 0) / (rates.memory || 1), 2) };

    // --- 30-day query ---
    const queryDir = tempDir();
    const seeded30 = seed(queryDir, 50, 30 * 24, 60_000);
    log(`  seeded 50 series x 30 d at 1/min: ${seeded30.points} points in ${round(seeded30.seconds, 1)} s, ${round(seeded30.fileBytes / 1048576, 1)} MiB`);
    const queryServer = await startOurs(disk(queryDir));
    try {
      const runs = quick ? 30 : 200;
      const input = { series: Array.from({ length: 50 }, (_, i) => `bench.s${i}`), from: seeded30.from, to: seeded30.to, maxPoints: 1000 };
      // metrics.historyColumns with encoding f64 is what the dashboard reads (base64 doubles, decoded by the client);
      // the JSON columns (the default) and metrics.history (an object per point) stay for other callers.
      const variants = /** @type {const} */ ([
        ["query30dF64", "metrics.historyColumns", "f64"],
        ["query30d", "metrics.historyColumns", undefined],
        ["query30dPoints", "metrics.history", undefined],
      ]);
      for (const [key, procedure, encoding] of variants) {
        const latencies = [];
        let points = 0;
        let bytes = 0;
        const url = `${queryServer.url}/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(encoding ? { ...input, encoding } : input))}`;
        for (let i = 0; i < runs; i++) {
          const t0 = performance.now();
          const text = await (await fetch(url)).text();
          const body = JSON.parse(text);
          // The f64 answer is timed with its decoding into number arrays, as the dashboard's client does it.
          const data = encoding === "f64" ? body.result.data.map((/** @type {any} */ s) => ({ series: s.series, ts: decodeF64(s.ts), value: decodeF64(s.value), min: decodeF64(s.min), max: decodeF64(s.max) })) : body.result.data;
          latencies.push(performance.now() - t0);
          bytes = text.length;
          points = data.reduce((/** @type {number} */ n, /** @type {any} */ s) => n + (s.points ?? s.ts).length, 0);
        }
        const at = (/** @type {number} */ q) => round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0, 1);
        // The first query is cold (JIT, page cache, decoded-chunk cache): reported alone, percentiles over the rest.
        const firstMs = round(latencies.shift() ?? 0, 1);
        latencies.sort((a, b) => a - b);
        result[key] = { procedure, encoding: encoding ?? "json", runs, series: 50, pointsReturned: points, answerBytes: bytes, firstMs, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: round(latencies.at(-1) ?? 0, 1) };
        log(`  30-day query (${procedure}${encoding ? `, encoding ${encoding}` : ""}), 50 series x 1000 points: first ${firstMs} ms, then p50 ${at(0.5)} ms, p99 ${at(0.99)} ms (${points} points, ${bytes} bytes)`);
      }
    } finally {
      await queryServer.stop();
    }

    // --- bytes per point of the built-in collectors' own series (raw tier) ---
    const collectSeconds = quick ? 45 : 300;
    const collectDir = tempDir();
    const collectServer = await startOurs({ ...disk(collectDir), LIVEDASH_COLLECTORS: "on" });
    await delay(collectSeconds * 1000);
    await collectServer.stop();
    const measured = JSON.parse(
      execFileSync(process.execPath, ["--import", "tsx", "scripts/raw-bytes-per-point.ts", "--dir", collectDir], { cwd: path.join(repoRoot, "apps/server"), maxBuffer: 1_048_576 }).toString().trim().split("\n").at(-1) ?? "{}",
    );
    result.collectorBytes = { seconds: collectSeconds, series: measured.series, points: measured.points, bytesPerPoint: measured.bytesPerPoint, costliest: measured.costliest };
    log(`  collectors' series on disk after ${collectSeconds} s at 1 s: ${measured.bytesPerPoint} bytes/point (${measured.series} series, ${measured.points} points; costliest ${JSON.stringify(measured.costliest)})`);

    // --- start time ---
    const startHours = quick ? 1 : 24;
    const startDir = tempDir();
    const seededStart = seed(startDir, 1000, startHours);
    log(`  seeded 1000 series x ${startHours} h at 1 s: ${seededStart.points} points in ${round(seededStart.seconds, 1)} s, ${round(seededStart.fileBytes / 1048576, 1)} MiB (${round(seededStart.fileBytes / seededStart.points, 2)} bytes/point)`);
    const t0 = performance.now();
    const startServer = await startOurs(disk(startDir));
    const startMs = performance.now() - t0;
    const memoryT0 = performance.now();
    const memoryServer = await startOurs({ LIVEDASH_STORAGE: "memory" });
    const memoryStartMs = performance.now() - memoryT0;
    await memoryServer.stop();
    await startServer.stop();
    result.start = { series: 1000, hours: startHours, points: seededStart.points, fileMiB: round(seededStart.fileBytes / 1048576, 1), bytesPerPoint: round(seededStart.fileBytes / seededStart.points, 2), startMs: Math.round(startMs), memoryStartMs: Math.round(memoryStartMs) };
    log(`  start on it: ${Math.round(startMs)} ms until /healthz (memory store: ${Math.round(memoryStartMs)} ms)`);

    // --- RSS with 10k series ---
    const rssHours = quick ? 0.25 : 24;
    const rssDir = tempDir();
    const seededRss = seed(rssDir, 10_000, rssHours);
    log(`  seeded 10000 series x ${rssHours} h at 1 s: ${seededRss.points} points in ${round(seededRss.seconds, 1)} s (seed process peak RSS ${round(seededRss.peakRssBytes / 1048576, 1)} MiB)`);
    const rssServer = await startOurs({ ...disk(rssDir), LIVEDASH_MAX_SERIES: "100000", LIVEDASH_INGEST_RATE: "100000000" });
    try {
      const afterStart = rssServer.pid ? await settledRss(rssServer.pid) : null;
      // Live ingest on the same 10k series: 10 requests of 1000 points a second, for a few seconds.
      for (let s = 0; s < (quick ? 3 : 10); s++) {
        const ts = Date.now();
        await Promise.all(Array.from({ length: 10 }, (_, r) => postPoints(rssServer.url, Array.from({ length: 1000 }, (_, i) => ({ series: `bench.s${r * 1000 + i}`, ts, value: i })))));
        await delay(1000);
      }
      const underIngest = rssServer.pid ? await settledRss(rssServer.pid) : null;
      result.rss = { series: 10_000, hours: rssHours, points: seededRss.points, afterStartMiB: afterStart === null ? null : round(afterStart / 1048576, 1), underIngestMiB: underIngest === null ? null : round(underIngest / 1048576, 1) };
      log(`  server RSS with 10000 series: ${result.rss.afterStartMiB} MiB after start, ${result.rss.underIngestMiB} MiB under 10k points/s`);
    } finally {
      await rssServer.stop();
    }
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    log(`  storage: FAILED ${result.error}`);
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

async function postPoints(/** @type {string} */ url, /** @type {any[]} */ points) {
  const res = await fetch(`${url}/api/ingest`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ points }) });
  if (!res.ok) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
}

/**
 * Accepted points per second with 4 requests in flight for `seconds`. Each worker owns 25 series and
 * sends 40 in-order points of each per request (1000 points), 1 ms apart, so no point arrives late.
 */
async function sustainedIngest(/** @type {string} */ url, /** @type {number} */ seconds) {
  const deadline = performance.now() + seconds * 1000;
  const t0 = performance.now();
  const base = Date.now() - 10 * 60_000;
  let accepted = 0;
  const worker = async (/** @type {number} */ w) => {
    // Bounded: at most 100 000 requests per worker whatever the speed.
    for (let i = 0; i < 100_000 && performance.now() < deadline; i++) {
      const points = Array.from({ length: 1000 }, (_, p) => ({ series: `bench.ingest${w * 25 + (p % 25)}`, ts: base + i * 40 + Math.floor(p / 25), value: Math.sin(p + i) }));
      await postPoints(url, points);
      accepted += points.length;
    }
  };
  await Promise.all([0, 1, 2, 3].map(worker));
  return accepted / ((performance.now() - t0) / 1000);
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
