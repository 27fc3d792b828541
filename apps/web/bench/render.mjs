#!/usr/bin/env node
// Render benchmark of the dashboard's chart pipeline in headless Chromium (Debian's /usr/bin/chromium).
//
//   node apps/web/bench/render.mjs [--seconds 10] [--scenarios 50,500] [--hz 10] [--window 15m]
//
// Builds the app if .next is missing, runs `next start` on a free port, opens the hidden /bench page
// (synthetic in-page data: it measures drawing, not the network) and reports for each scenario the
// frame rate (requestAnimationFrame callbacks per second) and how busy the main thread was
// (CDP Performance.getMetrics TaskDuration delta over wall time). A benchmark, not a test: it prints
// figures and never fails on them.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cpus } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, launchChromiumContext } from "@livedash/test-support";

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const nextBin = path.resolve(webDir, "../../node_modules/.bin/next");
const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const seconds = Number(arg("seconds", "10"));
const warmupSeconds = Number(arg("warmup", "3"));
const scenarios = arg("scenarios", "50,500").split(",").map(Number);
const hz = Number(arg("hz", "10"));
const windowKey = arg("window", "15m");
const legend = arg("legend", "1") === "1" ? "1" : "0";
if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 120) throw new Error("--seconds must be in (0, 120]");
if (scenarios.some((n) => !Number.isInteger(n) || n < 1 || n > 2000)) throw new Error("--scenarios must be integers from 1 to 2000");


if (!existsSync(path.join(webDir, ".next/BUILD_ID"))) {
  const built = spawnSync(nextBin, ["build"], { cwd: webDir, stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
  if (built.status !== 0) throw new Error("next build failed");
}

const port = await freePort();
const next = spawn(nextBin, ["start", "-H", "127.0.0.1", "-p", String(port)], {
  cwd: webDir,
  stdio: ["ignore", "pipe", "pipe"],
  env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
});
const stopNext = () => {
  if (next.exitCode === null) next.kill("SIGTERM");
};
process.on("exit", stopNext);
const baseUrl = `http://127.0.0.1:${port}`;
for (let i = 0; i < 300; i++) {
  const ok = await fetch(`${baseUrl}/bench?series=1`).then((r) => r.ok, () => false);
  if (ok) break;
  if (i === 299) throw new Error("next start did not answer within 30 s");
  await new Promise((r) => setTimeout(r, 100));
}

const browser = await launchChromiumContext({ viewport: { width: 1280, height: 900 } });
const { context } = browser;

const results = [];
try {
  for (const seriesCount of scenarios) {
    const page = await context.newPage();
    const url = `${baseUrl}/bench?series=${seriesCount}&hz=${hz}&window=${windowKey}&legend=${legend}`;
    await page.goto(url);
    await page.waitForFunction(() => window.__benchReady === true, undefined, { timeout: 120_000 });
    const cdp = await context.newCDPSession(page);
    await cdp.send("Performance.enable", { timeDomain: "timeTicks" });
    await page.waitForTimeout(warmupSeconds * 1000);
    const metric = (m, name) => m.metrics.find((x) => x.name === name)?.value ?? 0;
    await page.evaluate(() => {
      window.__frames = 0;
      window.__longTasks = 0;
      const count = () => {
        window.__frames++;
        requestAnimationFrame(count);
      };
      requestAnimationFrame(count);
      new window.PerformanceObserver((list) => (window.__longTasks += list.getEntries().length)).observe({ type: "longtask" });
    });
    const m0 = await cdp.send("Performance.getMetrics");
    const t0 = Date.now();
    const points0 = await page.evaluate(() => window.__benchPoints ?? 0);
    await page.waitForTimeout(seconds * 1000);
    const m1 = await cdp.send("Performance.getMetrics");
    const elapsedS = (Date.now() - t0) / 1000;
    const { frames, longTasks, points1, heapMb } = await page.evaluate(() => ({
      frames: window.__frames,
      longTasks: window.__longTasks,
      points1: window.__benchPoints ?? 0,
      heapMb: performance.memory ? performance.memory.usedJSHeapSize / 1048576 : null,
    }));
    const busy = (metric(m1, "TaskDuration") - metric(m0, "TaskDuration")) / elapsedS;
    results.push({
      series: seriesCount,
      hz,
      window: windowKey,
      charts: Math.ceil(seriesCount / 5),
      fps: frames / elapsedS,
      mainThreadBusyPct: busy * 100,
      longTasks,
      pointsPerSecond: (points1 - points0) / elapsedS,
      heapMb,
    });
    await cdp.detach();
    await page.close();
  }
} finally {
  await browser.close();
  stopNext();
}

console.log(`\nDashboard rendering: ${seconds} s per scenario after ${warmupSeconds} s warm-up, ${cpus().length} cores, ${cpus()[0]?.model ?? "?"}, viewport 1280x900\n`);
console.log("| series | rate | window | charts (5 series each) | fps | main thread busy | long tasks | points/s | JS heap |");
console.log("|---:|---:|---|---:|---:|---:|---:|---:|---:|");
for (const r of results) {
  console.log(
    `| ${r.series} | ${r.hz} Hz | ${r.window} | ${r.charts} | ${r.fps.toFixed(1)} | ${r.mainThreadBusyPct.toFixed(1)} % | ${r.longTasks} | ${Math.round(r.pointsPerSecond)} | ${r.heapMb === null ? "?" : `${r.heapMb.toFixed(0)} MB`} |`,
  );
}
