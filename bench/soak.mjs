/**
 * `npm run soak`: hours-long behaviour in minutes of reading. Starts the server (built dist, or
 * --from-source), an ingest producer and subscribers of every transport that drop and resume
 * periodically; samples the server's RSS, CPU, heap and event-loop lag; reports the RSS slope (MB/hour,
 * least squares after warm-up) and whether every subscriber saw every batch exactly once.
 * Server, producer and subscribers are separate processes; the lag comes from inside the server
 * (bench/lib/loop-lag-probe.mjs preloaded). Bounded: --minutes (default 30), fixed client counts.
 * Prints a markdown report (stdout), progress (stderr), and writes bench/results/soak-<time>.json.
 * Exit 1 when the server died or a subscriber saw a gap, a duplicate or an error.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { delay } from "./lib/measure.mjs";
import { describeMachine, readCpuMs, readRssBytes } from "./lib/proc-stats.mjs";
import { freePort, startServerProcess } from "./lib/server-process.mjs";
import { linearFit } from "./lib/slope.mjs";
import { readSoakArgs } from "./lib/soak-args.mjs";
import { buildServer, gitCommit } from "./lib/targets.mjs";
import { spawnWorker } from "./lib/worker-ipc.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "..");
const args = readSoakArgs();
const startedAt = new Date();
const log = (/** @type {string} */ line) => console.error(`[${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(5)}s] ${line}`);
/**
 * Samples in the warm-up are left out of the slope: the history and replay windows fill (both kept
 * small by default so they are full by then) and the heap reaches its steady size. 20% of the run,
 * at least 2 minutes, at most half the run.
 */
const warmupMs = (/** @type {number} */ runMs) => Math.min(Math.max(runMs * 0.2, 120_000), runMs * 0.5);
const MB = 1_048_576;

const lagDir = mkdtempSync(path.join(os.tmpdir(), "livedash-soak-"));
const lagFile = path.join(lagDir, "lag.json");
const durationMs = args.minutes * 60_000;
const port = await freePort();
const entry = args.fromSource ? ["--import", "tsx", path.join(repoRoot, "apps/server/src/main.ts")] : [buildServer(repoRoot)];
const server = await startServerProcess({
  name: "livedash",
  args: ["--import", path.join(here, "lib/loop-lag-probe.mjs"), ...entry],
  // Every soak client connects from 127.0.0.1: the per-address connection limit is raised for them.
  env: { HOST: "127.0.0.1", PORT: String(port), LIVEDASH_COLLECTORS: args.collectors, LIVEDASH_LOG: "silent", LIVEDASH_STORAGE: "memory", LIVEDASH_MAX_CONNECTIONS_PER_IP: "100000",
    LIVEDASH_RETENTION_MS: String(args.retentionSec * 1000), LIVEDASH_REPLAY_BATCHES: String(args.replayBatches),
    SOAK_LAG_FILE: lagFile, SOAK_LAG_INTERVAL_MS: String(args.sampleSec * 1000) },
  port,
  cwd: path.join(repoRoot, "apps/server"),
});
const engine = (await (await fetch(`${server.url}/healthz`)).json()).engine;
log(`server ${server.url} pid ${server.pid} (engine ${engine}); ${args.minutes} min, sample every ${args.sampleSec} s`);

const producer = spawnWorker(path.join(here, "producer.mjs"), { name: "producer" });
const subscribers = spawnWorker(path.join(here, "soak-clients.mjs"), { name: "soak-clients" });
let exitCode = 0;
try {
  await subscribers.call("open", { url: server.url, counts: { ws: args.ws, sse: args.sse, "trpc-sse": args.trpcSse, poll: args.poll },
    reconnectSec: args.reconnectSec, checkSequence: engine === "memory" });
  await producer.call("start", { url: server.url, ratePerS: args.rate, pointsPerBatch: args.pointsPerBatch, maxDurationMs: durationMs, seriesPrefix: "soak" });

  /** @type {Array<{ tMs: number, loadAvg1m: number, rssMb: number, heapMb: number | null, cpuPct: number, lag: any, connections: Record<string, number> }>} */
  const samples = [];
  const t0 = performance.now();
  let lastCpu = readCpuMs(server.pid);
  let lastAt = t0;
  const sampleCount = Math.ceil(durationMs / (args.sampleSec * 1000));
  for (let i = 0; i < sampleCount; i++) {
    await delay(Math.max(0, t0 + (i + 1) * args.sampleSec * 1000 - performance.now()));
    const now = performance.now();
    const cpu = readCpuMs(server.pid);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const heap = /^nodejs_heap_used_bytes (\d+)/m.exec(metrics);
    /** @type {Record<string, number>} */
    const connections = {};
    for (const m of metrics.matchAll(/^livedash_connections\{transport="(\w+)"\} (\d+)$/gm)) connections[String(m[1])] = Number(m[2]);
    const sample = { tMs: now - t0, loadAvg1m: os.loadavg()[0] ?? 0, rssMb: readRssBytes(server.pid) / MB, heapMb: heap ? Number(heap[1]) / MB : null,
      cpuPct: ((cpu - lastCpu) / (now - lastAt)) * 100, lag: existsSync(lagFile) ? JSON.parse(readFileSync(lagFile, "utf8")) : null, connections };
    samples.push(sample);
    lastCpu = cpu;
    lastAt = now;
    log(`rss ${sample.rssMb.toFixed(1)} MB heap ${sample.heapMb?.toFixed(1)} MB cpu ${sample.cpuPct.toFixed(0)}% lag p99 ${sample.lag?.p99Ms.toFixed(1)} ms ` +
      `conns ${JSON.stringify(connections)}`);
  }

  const produced = await producer.call("stop");
  const clients = await subscribers.call("stop");
  const stopAt = performance.now();
  await server.stop(10_000);
  const shutdown = { ms: Math.round(performance.now() - stopAt), log: server.log().slice(-400) };

  const steady = samples.filter((s) => s.tMs >= warmupMs(durationMs));
  const perHour = (/** @type {any} */ fit) => (fit ? { mbPerHour: +(fit.slope * 3_600_000).toFixed(2), r2: +fit.r2.toFixed(2) } : null);
  const lags = samples.map((s) => s.lag).filter(Boolean);
  const sorted = (/** @type {number[]} */ xs) => [...xs].sort((a, b) => a - b);
  const median = (/** @type {number[]} */ xs) => sorted(xs)[Math.floor(xs.length / 2)] ?? NaN;
  const first = /** @type {(typeof samples)[number]} */ (samples[0]);
  const last = /** @type {(typeof samples)[number]} */ (samples.at(-1));
  const result = {
    startedAt: startedAt.toISOString(), machine: describeMachine(), serverCommit: gitCommit(repoRoot), args, engine,
    rss: { firstMb: +first.rssMb.toFixed(1), lastMb: +last.rssMb.toFixed(1), maxMb: +Math.max(...samples.map((s) => s.rssMb)).toFixed(1),
      slopeAfterWarmup: perHour(linearFit(steady.map((s) => [s.tMs, s.rssMb]))), slopeWholeRun: perHour(linearFit(samples.map((s) => [s.tMs, s.rssMb]))) },
    heap: { slopeAfterWarmup: perHour(linearFit(steady.flatMap((s) => (s.heapMb === null ? [] : [/** @type {[number, number]} */ ([s.tMs, s.heapMb])])))) },
    cpuPctMedian: +median(samples.map((s) => s.cpuPct)).toFixed(1),
    // The machine's 1-minute load average: on a shared box other work inflates lag; read the figures beside it.
    loadAvgMedian: +median(samples.map((s) => s.loadAvg1m)).toFixed(1),
    eventLoopLag: { p99MedianMs: +median(lags.map((l) => l.p99Ms)).toFixed(1), p99WorstMs: +Math.max(...lags.map((l) => l.p99Ms)).toFixed(1),
      maxMs: +Math.max(...lags.map((l) => l.maxMs)).toFixed(1) },
    produced, clients, shutdown, samples,
    /** @type {{ refused: number, networkErrors: number, lastError: string } | null} */
    ingest: null,
  };
  const kinds = Object.values(clients.byKind);
  const broken = kinds.reduce((n, k) => n + k.gaps + k.duplicates + k.errors + k.resets, 0);
  // A refused ingest (a non-200 answer) fails the soak; a request lost to a network error is reported
  // beside it (a keep-alive socket the server closed as the producer reused it shows up as ECONNRESET).
  const answered = Object.values(produced.statuses).reduce((sum, n) => sum + n, 0);
  result.ingest = { refused: answered - produced.ok, networkErrors: produced.failed - (answered - produced.ok), lastError: produced.lastError };
  if (broken > 0 || result.ingest.refused > 0) exitCode = 1;

  mkdirSync(path.resolve(repoRoot, args.out), { recursive: true });
  const outFile = path.resolve(repoRoot, args.out, `soak-${startedAt.toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
  console.log(renderMarkdown(result, outFile));
} catch (error) {
  log(`soak failed: ${error instanceof Error ? error.stack : error}\n${server.log().slice(-2000)}`);
  exitCode = 1;
} finally {
  await Promise.all([producer.stop(), subscribers.stop()]);
  await server.stop();
  rmSync(lagDir, { recursive: true, force: true });
}
process.exit(exitCode);

function renderMarkdown(/** @type {any} */ r, /** @type {string} */ outFile) {
  const slope = (/** @type {any} */ s) => (s ? `${s.mbPerHour} MB/h (R² ${s.r2})` : "n/a");
  const rows = Object.entries(r.clients.byKind).map(([kind, k]) =>
    `| ${kind} | ${k.clients} | ${k.events} | ${k.reconnects} | ${k.serverCloses} | ${k.gaps} | ${k.duplicates} | ${k.resets} | ${k.coalesced} | ${k.errors} |`);
  return [
    `## Soak ${r.args.minutes} min — ${r.machine.cpus} x ${r.machine.cpuModel}, node ${r.machine.node}, server ${r.serverCommit} (${r.engine})`,
    "",
    `Load: ${r.args.rate} batches/s x ${r.args.pointsPerBatch} points (sent ${r.produced.sent}, ok ${r.produced.ok}, refused ${r.ingest.refused}, lost to network errors ${r.ingest.networkErrors}${r.ingest.networkErrors ? ` (${r.produced.lastError})` : ""}), collectors ${r.args.collectors}; ` +
      `every subscriber drops and resumes about every ${r.args.reconnectSec} s.`,
    "",
    `Server windows: history ${r.args.retentionSec} s, replay ${r.args.replayBatches} batches; warm-up (left out of the slopes) ${Math.round(warmupMs(r.args.minutes * 60_000) / 1000)} s.`,
    "",
    `- RSS: ${r.rss.firstMb} -> ${r.rss.lastMb} MB (max ${r.rss.maxMb}); slope after warm-up ${slope(r.rss.slopeAfterWarmup)}, whole run ${slope(r.rss.slopeWholeRun)}`,
    `- V8 heap slope after warm-up: ${slope(r.heap.slopeAfterWarmup)}`,
    `- Event-loop lag (server): p99 median ${r.eventLoopLag.p99MedianMs} ms, worst p99 ${r.eventLoopLag.p99WorstMs} ms, max ${r.eventLoopLag.maxMs} ms; server CPU median ${r.cpuPctMedian}%, machine load average median ${r.loadAvgMedian} on ${r.machine.cpus} cores`,
    `- Shutdown (SIGTERM) took ${r.shutdown.ms} ms`,
    "",
    "| transport | clients | events | own reconnects | server closes | gaps | duplicates | resets | coalesced | errors |",
    "|---|---|---|---|---|---|---|---|---|---|",
    ...rows,
    "",
    r.clients.problems.length ? `Problems (first ${r.clients.problems.length}):\n${r.clients.problems.map((p) => `- ${p}`).join("\n")}` : "No gap, duplicate, reset or error on any transport.",
    "",
    `JSON: ${path.relative(repoRoot, outFile)}`,
  ].join("\n");
}
