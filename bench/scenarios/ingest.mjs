import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { INGEST_FORMATS } from "../lib/ingest-formats.mjs";
import { delay, round } from "../lib/measure.mjs";
import { readCpuMs } from "../lib/proc-stats.mjs";

/** The issue's bodies: 5000 lines over 1000 series per request. */
const LINES = 5000;
const SERIES = 1000;
/** Requests in flight from the one client. */
const CONCURRENCY = 4;
/** Wait after the last answer before reading CPU, so work a server does after answering (batcher, WAL) is counted. */
const SETTLE_MS = 500;

/**
 * Ingest speed: every format of lib/ingest-formats.mjs posted by one client (ingest-client.mjs, same
 * bodies) to VictoriaMetrics (apt, on loopback), Livedash with the memory store and Livedash with the
 * disk store (the default), one after the other in the same run. Per target: points/s accepted and server
 * CPU (utime+stime from /proc/<pid>/stat over the measured window) per point, and its ratio to VictoriaMetrics.
 * A warm-up first creates the series and lets the JIT settle: the steady state is what is measured.
 *
 * Other formats (OTLP protobuf, remote_write): add a body module and a row in lib/ingest-formats.mjs;
 * `measureIngestTarget` below is the one function that measures a (server, path, body) triple.
 * @param {{ args: any, log: (line: string) => void, spawnClient: () => any }} ctx
 * @param {{ startOurs: (env?: Record<string, string>) => Promise<any>, startVm: (dir: string) => Promise<any> }} starters
 */
export async function runIngest(ctx, starters) {
  const { args, log } = ctx;
  const seconds = args.quick ? 2 : 5;
  const warmupS = args.quick ? 1 : 2;
  const vmVersion = victoriaMetricsVersion();
  if (vmVersion === null) log("  victoria-metrics is not installed (apt-get install victoria-metrics): Livedash rows only");
  const client = ctx.spawnClient();
  const dirs = /** @type {string[]} */ ([]);
  const tempDir = () => {
    const dir = mkdtempSync(path.join(tmpdir(), "livedash-bench-ingest-"));
    dirs.push(dir);
    return dir;
  };
  // The series cap and rate limit are the product's guards, not what is measured here.
  const ourEnv = { LIVEDASH_INGEST_RATE: "100000000", LIVEDASH_MAX_SERIES: "100000" };
  /** @type {any[]} */
  const rows = [];
  try {
    for (const format of INGEST_FORMATS.filter((f) => args.ingestFormats.includes(f.body))) {
      const targets = [
        ...(vmVersion !== null && format.vmPath !== null ? [{ target: "victoria-metrics", path: format.vmPath, start: () => starters.startVm(tempDir()) }] : []),
        { target: "livedash memory", path: format.livedashPath, start: () => starters.startOurs({ ...ourEnv, LIVEDASH_STORAGE: "memory" }) },
        { target: "livedash disk", path: format.livedashPath, start: () => starters.startOurs({ ...ourEnv, LIVEDASH_STORAGE: "disk", LIVEDASH_DATA_DIR: tempDir() }) },
      ];
      for (const t of targets) {
        const server = await t.start();
        try {
          const row = await measureIngestTarget(client, { url: server.url, pid: server.pid, path: t.path, body: format.body, seconds, warmupS });
          rows.push({ format: format.name, target: t.target, ...row });
          log(`  ${format.name} -> ${t.target}: ${Math.round(row.pointsPerS)} points/s, ${row.cpuUsPerPoint} us CPU/point${row.lastError ? ` (last error ${row.lastError.slice(0, 120)})` : ""}`);
        } catch (error) {
          const detail = error instanceof Error ? error.message : String(error);
          rows.push({ format: format.name, target: t.target, error: detail });
          log(`  ${format.name} -> ${t.target}: FAILED ${detail}`);
        } finally {
          await server.stop();
        }
      }
    }
  } finally {
    await client.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
  for (const row of rows) {
    const vm = rows.find((r) => r.format === row.format && r.target === "victoria-metrics" && !r.error);
    row.cpuVsVm = vm && row.cpuUsPerPoint ? round(row.cpuUsPerPoint / vm.cpuUsPerPoint, 2) : null;
  }
  return { lines: LINES, series: SERIES, concurrency: CONCURRENCY, seconds, vmVersion, rows };
}

/**
 * Measures one server on one format: warm-up, then `seconds` of posting with the CPU of `pid` read
 * before and after. Bounded: at most 100 requests per second of the window per lane.
 * @param {any} client the ingest-client worker
 * @param {{ url: string, pid: number | null, path: string, body: string, seconds: number, warmupS: number }} spec
 */
export async function measureIngestTarget(client, spec) {
  const maxRequests = Math.ceil(spec.seconds * 100 * CONCURRENCY);
  await client.call("target", { url: spec.url, path: spec.path, body: spec.body, lines: LINES, series: SERIES, startMs: Date.now() - 3_600_000 });
  await client.call("send", { seconds: spec.warmupS, concurrency: CONCURRENCY, maxRequests }, (spec.warmupS + 30) * 1000);
  await delay(SETTLE_MS);
  const cpu0 = spec.pid ? readCpuMs(spec.pid) : null;
  const sent = await client.call("send", { seconds: spec.seconds, concurrency: CONCURRENCY, maxRequests }, (spec.seconds + 30) * 1000);
  await delay(SETTLE_MS);
  const cpu1 = spec.pid ? readCpuMs(spec.pid) : null;
  const cpuMs = cpu0 === null || cpu1 === null ? null : cpu1 - cpu0;
  return {
    requests: sent.requests,
    okRequests: sent.ok,
    points: sent.points,
    pointsPerS: (sent.points * 1000) / sent.elapsedMs,
    cpuUsPerPoint: cpuMs === null || sent.points === 0 ? null : round((cpuMs * 1000) / sent.points, 2),
    serverCpuPct: cpuMs === null ? null : round((cpuMs * 100) / (sent.elapsedMs + SETTLE_MS), 1),
    statuses: sent.statuses,
    lastError: sent.lastError,
  };
}

/** The installed VictoriaMetrics' version (the Debian build prints none itself: dpkg's), or null when it is missing. */
function victoriaMetricsVersion() {
  try {
    execFileSync("victoria-metrics", ["-version"], { stdio: "ignore" });
  } catch {
    return null;
  }
  try {
    return execFileSync("dpkg-query", ["-W", "-f", "${Version}", "victoria-metrics"], { stdio: ["ignore", "pipe", "ignore"] }).toString().trim() || "unknown";
  } catch {
    return "unknown";
  }
}
