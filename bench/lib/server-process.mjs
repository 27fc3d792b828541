import { spawn } from "node:child_process";

export { freePort } from "@livedash/test-support";

/** Polls GET /healthz (or healthPath) until 200 or timeout. */
export async function waitHealthy(/** @type {string} */ baseUrl, timeoutMs = 20_000, healthPath = "/healthz") {
  const deadline = Date.now() + timeoutMs;
  let lastError = "";
  for (let attempt = 0; attempt < 1000 && Date.now() < deadline; attempt += 1) {
    try {
      const res = await fetch(new URL(healthPath, baseUrl));
      if (res.ok) return;
      lastError = `status ${res.status}`;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server at ${baseUrl} not healthy within ${timeoutMs} ms: ${lastError}`);
}

/**
 * Starts a server process (node directly, never through npm, so `pid` is the process we measure)
 * and waits until /healthz answers. `command` runs another program (VictoriaMetrics) with its own health path.
 * @param {{ name: string, args: string[], env: Record<string, string>, port: number, cwd: string, command?: string, healthPath?: string }} spec
 */
export async function startServerProcess(spec) {
  const child = spawn(spec.command ?? process.execPath, spec.args, {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const keep = (/** @type {Buffer} */ chunk) => {
    // Keep the tail only: a chatty server must not grow the orchestrator's memory.
    log = (log + chunk.toString()).slice(-8000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const url = `http://127.0.0.1:${spec.port}`;
  try {
    await Promise.race([
      waitHealthy(url, 20_000, spec.healthPath),
      exited.then((status) => {
        throw new Error(`${spec.name} exited during startup ${JSON.stringify(status)}:\n${log}`);
      }),
    ]);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return {
    name: spec.name,
    url,
    pid: /** @type {number} */ (child.pid),
    log: () => log,
    /** SIGTERM, then SIGKILL after graceMs. */
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
