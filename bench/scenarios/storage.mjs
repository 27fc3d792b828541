import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { delay, round, settledRss } from "../lib/measure.mjs";
import { runQuery30d } from "./storage-query.mjs";

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
  /** @type {string[]} */
  const parts = args.storageParts ?? ["ingest", "query", "bytes", "start", "rss"];
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
    if (parts.includes("ingest")) {
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
    }

    if (parts.includes("query")) await runQuery30d(ctx, startOurs, seed, tempDir(), result);

    // --- bytes per point of the built-in collectors' own series (raw tier) ---
    if (parts.includes("bytes")) {
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
    }

    // --- start time ---
    if (parts.includes("start")) {
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
    }

    // --- RSS with 10k series ---
    if (parts.includes("rss")) {
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
