import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, launchChromiumContext, type ChromiumContext } from "@livedash/test-support";
import type { Page } from "playwright-core";

export { freePort };

export const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const REPO_ROOT = path.resolve(WEB_DIR, "../..");
const SERVER_DIR = path.join(REPO_ROOT, "apps/server");
const NEXT_BIN = path.join(REPO_ROOT, "node_modules/.bin/next");

/** Env for children without this process's LIVEDASH_* and PORT (the server rejects settings it does not know). */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };
  for (const key of Object.keys(env)) if (key.startsWith("LIVEDASH_") || key === "PORT") delete env[key];
  return Object.assign(env, extra);
}

/** Resolves when `check` does, polling every 100 ms for at most `timeoutMs`. */
export async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}`);
}

export interface ChildService {
  url: string;
  port: number;
  process: ChildProcess;
  output: () => string;
  /** SIGTERM and wait for exit (SIGKILL after 5 s). */
  stop(): Promise<void>;
  /** SIGKILL: the crash case. */
  kill(): Promise<void>;
}

function own(child: ChildProcess, url: string, port: number): ChildService {
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };
  return { url, port, process: child, output: () => output, stop: () => end("SIGTERM"), kill: () => end("SIGKILL") };
}

/** The real Livedash server as a child process (so a test can kill it), on `port` or a free one. */
export async function startLivedashServer(opts: { port?: number; dashboardOrigin: string; env?: Record<string, string> }): Promise<ChildService> {
  const port = opts.port ?? (await freePort());
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: SERVER_DIR,
    env: childEnv({ PORT: String(port), HOST: "127.0.0.1", LIVEDASH_ALLOWED_ORIGINS: opts.dashboardOrigin, LIVEDASH_STORAGE: "memory", ...opts.env }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const service = own(child, `http://127.0.0.1:${port}`, port);
  await until(`the server on :${port} (output: ${service.output()})`, async () => {
    if (child.exitCode !== null) throw new Error(`server exited: ${service.output()}`);
    const res = await fetch(`${service.url}/healthz`).catch(() => null);
    return res?.ok ? true : undefined;
  });
  return service;
}

/** `next start` on the built app, pointed at the server through LIVEDASH_URL at run time. */
export async function startDashboard(opts: { port: number; serverUrl: string; env?: Record<string, string> }): Promise<ChildService> {
  const child = spawn(NEXT_BIN, ["start", "-H", "127.0.0.1", "-p", String(opts.port)], {
    cwd: WEB_DIR,
    env: childEnv({ LIVEDASH_URL: opts.serverUrl, ...opts.env }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const service = own(child, `http://127.0.0.1:${opts.port}`, opts.port);
  await until("next start", async () => {
    if (child.exitCode !== null) throw new Error(`next exited: ${service.output()}`);
    // With sign-in on, / answers a redirect to /login: any answer means it listens.
    const res = await fetch(service.url, { redirect: "manual" }).catch(() => null);
    return res && res.status < 400 ? true : undefined;
  }, 30_000);
  return service;
}

/** Debian's chromium with a fresh profile directory that is removed on close. */
export type BrowserHandle = ChromiumContext;
export const launchBrowser = (options: { ignoreHTTPSErrors?: boolean } = {}): Promise<BrowserHandle> => launchChromiumContext(options);

/** Console errors and uncaught exceptions of a page; tests assert the list is empty. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(`console: ${msg.text()} (${msg.location().url})`);
  });
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
  return errors;
}

/** Pushes points through the public HTTP ingest endpoint. */
export async function ingest(serverUrl: string, points: { series: string; value: number; ts?: number; labels?: Record<string, string> }[], token?: string): Promise<void> {
  const res = await fetch(`${serverUrl}/api/ingest`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ points }),
  });
  if (!res.ok) throw new Error(`ingest failed: ${res.status} ${await res.text()}`);
}

/**
 * A deterministic source: one point of `series` about every `intervalMs`, value counting up, each
 * request awaited before the next so the server accepts them in ts order. The owner stops it;
 * failures while the server is down are counted, not thrown.
 */
export function startPusher(getServerUrl: () => string, series: string, intervalMs = 200, token?: string) {
  let n = 0;
  let failures = 0;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const sent: number[] = [];
  const tick = async () => {
    const ts = Date.now();
    try {
      await ingest(getServerUrl(), [{ series, value: n++, ts }], token);
      sent.push(ts);
    } catch {
      failures++;
    }
    if (!stopped) timer = setTimeout(() => void tick(), Math.max(0, intervalMs - (Date.now() - ts)));
  };
  void tick();
  return {
    sent,
    failures: () => failures,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** Waits until the page's connection badge says `transport` and `live`. */
export async function untilLiveOn(page: Page, transport: "ws" | "sse" | "poll"): Promise<void> {
  const badge = page.getByTestId("connection-badge");
  await until(`badge ${transport}/live`, async () =>
    (await badge.getAttribute("data-transport")) === transport && (await badge.getAttribute("data-status")) === "live" ? true : undefined,
  );
}

/** Waits until the page's buffer of `series` grows by `count` points after the call. */
export async function untilGrowing(page: Page, series: string, count = 5): Promise<void> {
  const before = (await seriesTimestamps(page, series)).length;
  await until(`${count} new points of ${series}`, async () => ((await seriesTimestamps(page, series)).length >= before + count ? true : undefined));
}

/** Reads the page's buffers through the read-only debug handle the dashboard exposes. */
export async function seriesTimestamps(page: Page, series: string): Promise<number[]> {
  return page.evaluate((name) => {
    const debug = (window as unknown as { __livedash?: { timestamps(name: string): number[] } }).__livedash;
    return debug ? debug.timestamps(name) : [];
  }, series);
}

export interface DashboardStack {
  server: ChildService;
  web: ChildService;
  browser: BrowserHandle;
  pusher: ReturnType<typeof startPusher>;
  stop(): Promise<void>;
}

/** The usual e2e setup: a Livedash server, the built dashboard pointed at it, Chromium, and a steady pusher of `series`. */
export async function startDashboardStack(series: string): Promise<DashboardStack> {
  const webPort = await freePort();
  const server = await startLivedashServer({ dashboardOrigin: `http://127.0.0.1:${webPort}` });
  const web = await startDashboard({ port: webPort, serverUrl: server.url });
  const browser = await launchBrowser();
  const pusher = startPusher(() => server.url, series, 200);
  return {
    server,
    web,
    browser,
    pusher,
    async stop() {
      pusher.stop();
      await browser.close();
      await web.stop();
      await server.stop();
    },
  };
}
