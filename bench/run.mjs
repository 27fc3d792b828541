/**
 * `npm run bench`: fan-out benchmarks of the Livedash server against a raw `ws` baseline measured in
 * the same run on the same machine. Server, producer and subscribers are separate processes.
 * Prints a markdown report and writes bench/results/<timestamp>.json. See bench/README.md.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readArgs } from "./lib/args.mjs";
import { closeSubscribers, delay } from "./lib/measure.mjs";
import { describeMachine } from "./lib/proc-stats.mjs";
import { renderMarkdown } from "./lib/report.mjs";
import { buildServer, gitCommit, startLivedash, startRawWs, startVictoriaMetrics } from "./lib/targets.mjs";
import { spawnWorker } from "./lib/worker-ipc.mjs";
import { runBatchWindow } from "./scenarios/batch-window.mjs";
import { runFanoutSweep } from "./scenarios/fanout.mjs";
import { runIdleRss } from "./scenarios/idle-rss.mjs";
import { runIngest } from "./scenarios/ingest.mjs";
import { runPatterns } from "./scenarios/patterns.mjs";
import { runSlowConsumer } from "./scenarios/slow-consumer.mjs";
import { runStorage } from "./scenarios/storage.mjs";
import { runTenK } from "./scenarios/ten-k.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "..");
/** Subscriber processes: 2 keeps one core for the server on a 2-core box while clients still parse in parallel. */
const SUBSCRIBER_PROCESSES = 2;
/** File descriptors kept free for everything that is not a subscriber socket (pipes, logs, listening socket). */
const FD_HEADROOM = 200;

const args = readArgs();
const startedAt = new Date();
/** Progress goes to stderr with elapsed seconds, so stdout stays the clean markdown report. */
const log = (/** @type {string} */ line) => console.error(`[${((Date.now() - startedAt.getTime()) / 1000).toFixed(1).padStart(5)}s] ${line}`);
const machine = describeMachine();
/** @type {any} the report: shape documented by lib/report.mjs, written as JSON */
const results = { startedAt: startedAt.toISOString(), machine, serverCommit: gitCommit(repoRoot), args, fanout: [],
  trpcClient: null, batchWindow: null, tenK: null, slowConsumer: null, patterns: null, aggregate: null, storage: null, ingest: null, notes: /** @type {string[]} */ ([]) };

// Node cannot raise its own RLIMIT_NOFILE; say what is possible instead of failing mid-run.
const fdLimit = machine.openFilesLimit ?? 1024;
if (args.tenK + FD_HEADROOM > fdLimit) {
  const possible = Math.max(0, fdLimit - FD_HEADROOM);
  const note = `ulimit -n is ${fdLimit}: the server can hold ~${possible} sockets, so the 10k scenario runs with ${possible}. Raise it with \`ulimit -n 20000\` before npm run bench.`;
  results.notes.push(note);
  log(note);
  args.tenK = possible;
}
log(`machine: ${machine.cpus} x ${machine.cpuModel}, node ${machine.node}, ulimit -n ${fdLimit}; server commit ${results.serverCommit}`);

const livedashNeeded = args.transports.some((t) => t !== "raw-ws") || ["trpc-client", "10k", "slow", "patterns", "storage", "ingest"].some((s) => !args.skip.includes(s));
const serverEntry = args.url || args.fromSource || !livedashNeeded ? null : buildServer(repoRoot);

/** Every server we start is tracked so Ctrl-C never leaves one behind. */
const running = new Set();
const tracked = (/** @type {(env?: Record<string, string>) => Promise<any>} */ start) => async (/** @type {Record<string, string>} */ env = {}) => {
  const server = await start(env);
  running.add(server);
  const stop = server.stop;
  server.stop = async () => {
    running.delete(server);
    await stop();
  };
  return server;
};
const startOurs = tracked((env) => startLivedash({ repoRoot, args, serverEntry }, env));
const startRaw = tracked(() => startRawWs(repoRoot, Number(args.serverEnv.LIVEDASH_BATCH_WINDOW_MS ?? 0)));
const startVm = tracked((/** @type {any} */ env) => startVictoriaMetrics(env.dataDir));

// Tokens reach the load processes through their env, never argv (which `ps` shows to everyone).
const workerEnv = { BENCH_READ_TOKEN: args.readToken ?? "", BENCH_INGEST_TOKEN: args.ingestToken ?? "" };
const subs = Array.from({ length: SUBSCRIBER_PROCESSES }, (_, i) => spawnWorker(path.join(here, "subscriber.mjs"), { name: `subscriber-${i}`, env: workerEnv }));
const producer = spawnWorker(path.join(here, "producer.mjs"), { name: "producer", env: workerEnv });
const workers = [...subs, producer];
async function cleanup() {
  await Promise.all([...running].map((s) => s.stop()));
  await Promise.all(workers.map((w) => w.stop()));
}
process.on("SIGINT", () => void cleanup().then(() => process.exit(130)));

/** Extra load processes a scenario asks for are tracked like the rest, so cleanup stops them too. */
const spawnProducer = () => {
  const extra = spawnWorker(path.join(here, "producer.mjs"), { name: `producer-${workers.length}`, env: workerEnv });
  workers.push(extra);
  return extra;
};
/** The ingest scenario's client, tracked like the other load processes. */
const spawnIngestClient = () => {
  const client = spawnWorker(path.join(here, "ingest-client.mjs"), { name: "ingest-client", env: workerEnv });
  workers.push(client);
  return client;
};
const ctx = { subs, producer, spawnProducer, args, log };
try {
  if (!args.skip.includes("fanout")) {
    log(`idle RSS per connection (${args.subscribers} subscribers, a fresh server per transport)`);
    const idle = await runIdleRss(ctx, { transports: args.transports, startRaw, startOurs });
    log(`fan-out ${args.transports.join(", ")} (${args.subscribers} subscribers each, interleaved)`);
    results.fanout = (await runFanoutSweep(ctx, { transports: args.transports, startRaw, startOurs }))
      .map((r) => ({ ...r, idle: idle[r.transport] ?? null }));
  }
  if (!args.skip.includes("trpc-client")) {
    log("standard @trpc/client links");
    results.trpcClient = await runTrpcClientCheck();
  }
  if (!args.skip.includes("window") && !args.url) {
    log(`batching window trade-off (trpc-ws, ${args.subscribers} subscribers)`);
    results.batchWindow = await runBatchWindow(ctx, startOurs);
  }
  if (!args.skip.includes("10k")) {
    log(`${args.tenK} concurrent subscribers`);
    results.tenK = await runTenK(ctx, startOurs, args.tenK);
  }
  if (!args.skip.includes("slow")) {
    log(`slow consumer (${args.slowPauseMs / 1000} s pause)`);
    results.slowConsumer = await runSlowConsumer(ctx, startOurs);
  }
  if (!args.skip.includes("patterns") && !args.url) {
    log(`adversarial patterns (${args.subscribers} subscribers x 256 patterns)`);
    results.patterns = await runPatterns(ctx, startOurs);
  }
  if (!args.skip.includes("aggregate") && !args.url) {
    log("live aggregation: subscribers of one aggregation vs raw subscribers, same batches, in process");
    results.aggregate = runAggregateMicro(args.quick ? 200 : 1000, args.quick ? 50 : 200);
    log(`  ${results.aggregate.subscribers} subscribers, ${results.aggregate.pointsPerBatch} points per batch: raw ${results.aggregate.raw.usPerBatch} us and ` +
      `${results.aggregate.raw.bytesPerBatch} bytes per batch; sum by (host) ${results.aggregate.aggregate.usPerBatch} us and ${results.aggregate.aggregate.bytesPerBatch} bytes ` +
      `(${results.aggregate.aggregate.computationsPerBatch} computation per batch)`);
  }
  if (!args.skip.includes("storage") && !args.url) {
    log("durable storage: ingest disk vs memory, 30-day query, start, RSS with 10k series");
    results.storage = await runStorage(ctx, startOurs, repoRoot);
  }
  if (!args.skip.includes("ingest") && !args.url) {
    log("ingest speed: the same bodies and client to VictoriaMetrics and Livedash (memory, disk)");
    results.ingest = await runIngest({ ...ctx, spawnClient: spawnIngestClient }, { startOurs, startVm: (dir) => startVm({ dataDir: dir }) });
  }
} finally {
  await cleanup();
}

results.durationS = Math.round((Date.now() - startedAt.getTime()) / 1000);
const markdown = renderMarkdown(results);
console.log(markdown);
const outDir = path.resolve(repoRoot, args.out);
mkdirSync(outDir, { recursive: true });
const outFile = path.join(outDir, `${startedAt.toISOString().replace(/[:.]/g, "-")}.json`);
writeFileSync(outFile, JSON.stringify(results, null, 2));
log(`\nwrote ${path.relative(repoRoot, outFile)} (${results.durationS} s)`);

/** 20 wsLink + 5 httpSubscriptionLink clients at 20 batches/s for a couple of seconds. */
async function runTrpcClientCheck() {
  const server = await startOurs();
  const check = spawnWorker(path.join(here, "trpc-client-check.mjs"), { name: "trpc-client-check", env: workerEnv });
  try {
    const opened = await check.call("open", { url: server.url, wsClients: 20, sseClients: 5, timeoutMs: 10_000 }, 20_000);
    await producer.call("start", { url: server.url, ratePerS: 20, pointsPerBatch: args.pointsPerBatch, maxDurationMs: 5000 });
    await delay(500);
    await check.call("reset");
    await delay(2000);
    const byLink = await check.call("report");
    await producer.call("stop");
    await check.call("close");
    log(`  ${JSON.stringify(byLink)}`);
    return { opened, byLink };
  } catch (error) {
    await producer.call("stop").catch(() => {});
    const detail = error instanceof Error ? error.message : String(error);
    log(`  trpc-client: FAILED ${detail}`);
    return { error: detail };
  } finally {
    await check.stop();
    await closeSubscribers(subs).catch(() => {});
    await server.stop();
  }
}

/** The live path in process (bench/aggregate-micro.mjs, TypeScript source through tsx), raw vs aggregated. */
function runAggregateMicro(/** @type {number} */ subscribers, /** @type {number} */ batches) {
  const out = spawnSync(process.execPath, ["--import", "tsx", path.join(path.dirname(fileURLToPath(import.meta.url)), "aggregate-micro.mjs"), String(subscribers), String(batches)],
    { encoding: "utf8", timeout: 120_000 });
  if (out.status !== 0) throw new Error(`aggregate-micro failed: ${out.stderr || out.error}`);
  return JSON.parse(out.stdout.trim());
}
