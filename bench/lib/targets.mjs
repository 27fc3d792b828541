import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { freePort, startServerProcess, waitHealthy } from "./server-process.mjs";

/**
 * The servers a scenario can run against. Each scenario starts a fresh process so RSS and CPU
 * figures are not polluted by the previous scenario's heap; with --url the external server is used
 * as is (and /proc figures need --server-pid).
 */

/**
 * Env our server gets in every bench run: loopback, no built-in collectors (only bench traffic flows).
 * Every bench client connects from 127.0.0.1 (10,000 at once in ten-k), past the default per-address
 * connection limit, so the bench raises it.
 */
const SERVER_BASE_ENV = {
  HOST: "127.0.0.1", LIVEDASH_COLLECTORS: "off", LIVEDASH_LOG: "silent", LIVEDASH_STORAGE: "memory", LIVEDASH_MAX_CONNECTIONS_PER_IP: "100000",
};

/** Builds apps/server/dist/main.js once per run (esbuild, about a second) so the bench never measures a stale build. */
export function buildServer(/** @type {string} */ repoRoot) {
  execFileSync("npm", ["run", "build", "-w", "@livedash/server"], { cwd: repoRoot, stdio: ["ignore", "ignore", "inherit"] });
  const entry = path.join(repoRoot, "apps/server/dist/main.js");
  if (!existsSync(entry)) throw new Error(`build did not produce ${entry}`);
  return entry;
}

/**
 * @param {{ repoRoot: string, args: ReturnType<typeof import("./args.mjs").readArgs>, serverEntry: string | null }} ctx
 * @returns {Promise<{ name: string, url: string, pid: number | null, stop: () => Promise<void>, log: () => string }>}
 */
export async function startLivedash(ctx, extraEnv = {}) {
  const { args, repoRoot } = ctx;
  if (args.url) {
    await waitHealthy(args.url, 5000);
    return { name: "livedash(external)", url: args.url, pid: args.serverPid ?? null, stop: async () => {}, log: () => "" };
  }
  const port = await freePort();
  // --cpu-prof: node writes the profile when the server exits (stop() ends it with SIGTERM, a clean exit).
  const profArgs = args.cpuProfDir ? ["--cpu-prof", "--cpu-prof-dir", path.resolve(args.cpuProfDir)] : [];
  const entryArgs = args.fromSource
    ? [...profArgs, "--import", "tsx", path.join(repoRoot, "apps/server/src/main.ts")]
    : [...profArgs, /** @type {string} */ (ctx.serverEntry)];
  return startServerProcess({
    name: "livedash",
    args: entryArgs,
    env: { ...SERVER_BASE_ENV, ...args.serverEnv, ...extraEnv, PORT: String(port) },
    port,
    cwd: path.join(repoRoot, "apps/server"),
  });
}

/** The raw ws baseline, always local. `batchMs` mirrors the server's batching window when it has one. */
export async function startRawWs(/** @type {string} */ repoRoot, batchMs = 0) {
  const port = await freePort();
  return startServerProcess({
    name: "raw-ws",
    args: ["--import", "tsx", path.join(repoRoot, "bench/raw-ws-server.mjs"), "--port", String(port), "--batch-ms", String(batchMs)],
    env: {},
    port,
    cwd: repoRoot,
  });
}

/**
 * VictoriaMetrics from apt (`victoria-metrics`, Debian 1.79), on loopback with its data in `dataDir`:
 * the baseline of the ingest scenario. Its Go runtime may use every core; /proc counts all its threads.
 */
export async function startVictoriaMetrics(/** @type {string} */ dataDir) {
  const port = await freePort();
  return startServerProcess({
    name: "victoria-metrics",
    command: "victoria-metrics",
    args: [`-storageDataPath=${dataDir}`, `-httpListenAddr=127.0.0.1:${port}`, "-loggerLevel=ERROR"],
    env: {},
    port,
    cwd: dataDir,
    healthPath: "/health",
  });
}

export function gitCommit(/** @type {string} */ repoRoot) {
  try {
    const sha = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot }).toString().trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "apps/server", "packages/api", "packages/events"], { cwd: repoRoot }).toString().trim();
    return dirty ? `${sha}+dirty` : sha;
  } catch {
    return "unknown";
  }
}
