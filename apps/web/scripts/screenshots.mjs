#!/usr/bin/env node
// Takes the README/docs screenshots: overview (dark and light), the transports page, a phone view, the
// alerts ones (a firing rule's outlined chart with annotation markers, the alerts page) and the hosts page.
//
//   node apps/web/scripts/screenshots.mjs [--warmup-seconds 45] [--only alerts|hosts]
//
// Starts the real server (collectors on) and `next start` (building first if needed), pushes a demo
// series so the "Your charts" panel has something, lets data accumulate, then shoots with Debian's
// chromium into docs/screenshots/.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, launchChromiumContext } from "@livedash/test-support";

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = path.resolve(webDir, "../..");
const outDir = path.join(repoRoot, "docs/screenshots");
const nextBin = path.join(repoRoot, "node_modules/.bin/next");
const i = process.argv.indexOf("--warmup-seconds");
const warmupMs = (i >= 0 ? Number(process.argv[i + 1]) : 45) * 1000;
const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : null;

const waitFor = async (url) => {
  for (let n = 0; n < 300; n++) {
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within 30 s`);
};
const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("LIVEDASH_") && k !== "PORT"));

if (!existsSync(path.join(webDir, ".next/BUILD_ID"))) {
  if (spawnSync(nextBin, ["build"], { cwd: webDir, stdio: "inherit" }).status !== 0) throw new Error("next build failed");
}
const serverPort = await freePort();
const webPort = await freePort();
const serverUrl = `http://127.0.0.1:${serverPort}`;
const webUrl = `http://127.0.0.1:${webPort}`;
const children = [
  spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: path.join(repoRoot, "apps/server"),
    env: { ...cleanEnv(), PORT: String(serverPort), LIVEDASH_ALLOWED_ORIGINS: webUrl, LIVEDASH_LOG: "silent", LIVEDASH_STORAGE: "memory" },
    stdio: "ignore",
  }),
  spawn(nextBin, ["start", "-H", "127.0.0.1", "-p", String(webPort)], {
    cwd: webDir,
    env: { ...cleanEnv(), LIVEDASH_URL: serverUrl, NEXT_TELEMETRY_DISABLED: "1" },
    stdio: "ignore",
  }),
];
const stopAll = () => children.forEach((c) => c.exitCode === null && c.kill("SIGTERM"));
process.on("exit", stopAll);
await waitFor(`${serverUrl}/healthz`);
await waitFor(webUrl);

// A demo "pushed" series: requests per second of an imaginary service, with thresholds.
await fetch(`${serverUrl}/trpc/metrics.describe`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ series: [{ series: "app.checkout.latency_ms", unit: "ms", kind: "gauge", description: "checkout p95 latency", thresholds: { warn: 180, crit: 250 } }] }),
});
let t = 0;
const pusher = setInterval(() => {
  t++;
  const value = 120 + 60 * Math.sin(t / 15) + Math.random() * 30 + (t % 90 > 80 ? 80 : 0);
  void fetch(`${serverUrl}/api/ingest`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ points: [{ series: "app.checkout.latency_ms", value }] }) }).catch(() => {});
}, 250);

const browser = await launchChromiumContext({ viewport: { width: 1440, height: 1000 } });
const { context } = browser;
const trpc = (procedure, input) =>
  fetch(`${serverUrl}/trpc/${procedure}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(input) }).then((r) => r.json());

/** A rule firing on the demo series (another one silenced), a deploy marker and a load-test band, then the two alert shots. */
async function alertShots(page) {
  await trpc("alerts.saveRule", { name: "checkout-slow", series: "app.checkout.latency_ms", above: 100, clear: 50, for: "2s", severity: "critical", description: "checkout p95 over 100 ms" });
  await trpc("alerts.saveRule", { name: "checkout-watch", series: "app.checkout.latency_ms", above: 90, clear: 40, severity: "info" });
  await trpc("alerts.silence", { rule: "checkout-watch", reason: "known: CDN migration until Friday", duration: "3d" });
  const now = Date.now();
  await trpc("metrics.annotate", { text: "load test", ts: now - 45_000, endTs: now - 30_000, tags: ["test"] });
  await trpc("metrics.annotate", { text: "deploy checkout v1.4", ts: now - 15_000, tags: ["deploy"] });
  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.goto(`${webUrl}/?window=1m&charts=app.checkout.latency_ms&theme=dark`);
  const chart = '[data-chart="custom:app.checkout.latency_ms"]';
  await page.waitForSelector('[data-testid="alert-bell"][data-firing="1"]', { timeout: 30_000 });
  await page.waitForSelector(`${chart}[data-alert="firing"][data-alert-silenced="false"]`, { timeout: 30_000 });
  await page.waitForSelector(`${chart} [data-annotation^="user:"][data-kind="line"]`, { timeout: 30_000 });
  // Focused rather than hovered: the text stays while the live axis slides the marker along.
  await page.locator(`${chart} [data-annotation^="user:"][data-kind="line"]`).first().focus();
  await new Promise((r) => setTimeout(r, 500));
  await page.screenshot({ path: path.join(outDir, "alerts-chart.png"), clip: { x: 0, y: 0, width: 1440, height: 560 } });
  await page.goto(`${webUrl}/alerts?theme=dark`);
  await page.waitForSelector('[data-section="firing"] [data-alert-row="checkout-slow"]', { timeout: 30_000 });
  await page.screenshot({ path: path.join(outDir, "alerts-page.png"), fullPage: true });
}

try {
  const page = await context.newPage();
  if (only === "hosts") {
    await hostsShot(page);
  } else {
    if (only === "alerts") await new Promise((r) => setTimeout(r, warmupMs));
    else await mainShots(page);
    await alertShots(page);
    await hostsShot(page);
  }
  console.log(`screenshots written to ${path.relative(process.cwd(), outDir)}`);
} finally {
  clearInterval(pusher);
  await browser.close();
  stopAll();
}

/** Overview (dark, light, top, phone) and the transports page. */
async function mainShots(page) {
  await page.goto(`${webUrl}/transports?series=host.*,process.*,livedash.*`);
  await new Promise((r) => setTimeout(r, warmupMs));
  await page.screenshot({ path: path.join(outDir, "transports.png") });
  // Tall enough for every panel at once: charts off screen are paused by design and would show empty.
  await page.setViewportSize({ width: 1440, height: 3800 });
  for (const theme of ["dark", "light"]) {
    await page.goto(`${webUrl}/?window=1m&charts=app.checkout.latency_ms&theme=${theme}`);
    await page.waitForFunction(() => document.querySelectorAll(".uplot").length >= 8);
    await new Promise((r) => setTimeout(r, 3000));
    await page.screenshot({ path: path.join(outDir, `overview-${theme}.png`), fullPage: true });
    if (theme === "dark") await page.screenshot({ path: path.join(outDir, "overview-top.png"), clip: { x: 0, y: 0, width: 1440, height: 1000 } });
  }
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${webUrl}/?window=1m&theme=dark`);
  await new Promise((r) => setTimeout(r, 3000));
  await page.screenshot({ path: path.join(outDir, "overview-phone.png") });
}

/** The fleet: this server's own host plus three pushed ones reporting every second, one of which stops. */
async function hostsShot(page) {
  const hosts = ["db-1", "web-1", "web-2"];
  let round = 0;
  const report = () => {
    round++;
    const points = hosts
      .filter((host) => host !== "web-2" || round < 20)
      .flatMap((host, i) => {
        const labels = { host };
        const wave = Math.sin(round / 6 + i);
        return [
          { series: "host.cpu.total", labels, value: 25 + i * 20 + 15 * wave + Math.random() * 5 },
          { series: "host.mem.used_percent", labels, value: 40 + i * 12 + 3 * wave },
          { series: "host.load.1m", labels, value: 0.4 + i * 0.8 + 0.3 * wave },
          { series: "livedash.agent.interval_seconds", labels, value: 1 },
        ];
      });
    void fetch(`${serverUrl}/api/ingest`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ points }) }).catch(() => {});
  };
  const reporter = setInterval(report, 1000);
  try {
    await page.setViewportSize({ width: 1440, height: 520 });
    await page.goto(`${webUrl}/hosts?theme=dark`);
    await page.waitForSelector('tr[data-host="web-2"][data-state="down"]', { timeout: 60_000 });
    await new Promise((r) => setTimeout(r, 3000));
    await page.screenshot({ path: path.join(outDir, "hosts.png") });
  } finally {
    clearInterval(reporter);
  }
}
