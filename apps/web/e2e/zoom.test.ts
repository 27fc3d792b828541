import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Locator, Page } from "playwright-core";
import type { BrowserHandle, ChildService } from "./harness";
import { collectErrors, freePort, ingest, launchBrowser, seriesTimestamps, startDashboard, startLivedashServer, startPusher, until } from "./harness";

const OLD = "test.zoom.old";
const LIVE = "test.zoom.live";
const HOUR = 3_600_000;
/** Seeded history: one point every 10 minutes from 20 h ago to 2 h ago, older than any live point. */
const SEED_FROM_AGO = 20 * HOUR;
const SEED_TO_AGO = 2 * HOUR;
const SEED_STEP = 600_000;

async function drawnRange(host: Locator): Promise<{ from: number; to: number }> {
  return { from: Number(await host.getAttribute("data-from-ms")), to: Number(await host.getAttribute("data-to-ms")) };
}

/** Drags across the plot area of `chart` from fraction a to fraction b of its width. */
async function drag(page: Page, chart: Locator, a: number, b: number): Promise<{ left: number; width: number; x1: number; x2: number }> {
  const box = await chart.locator(".u-over").boundingBox();
  if (box === null) throw new Error("chart has no plot area");
  const x1 = box.x + box.width * a;
  const x2 = box.x + box.width * b;
  const y = box.y + box.height / 2;
  await page.mouse.move(x1, y);
  await page.mouse.down();
  await page.mouse.move((x1 + x2) / 2, y, { steps: 4 });
  await page.mouse.move(x2, y, { steps: 4 });
  await page.mouse.up();
  return { left: box.x, width: box.width, x1, x2 };
}

describe("long windows and zoom", () => {
  let server: ChildService;
  let web: ChildService;
  let browser: BrowserHandle;
  let pusher: ReturnType<typeof startPusher>;

  beforeAll(async () => {
    const webPort = await freePort();
    // The memory store keeps what it accepts for its retention: two days covers the 24-hour window.
    server = await startLivedashServer({ dashboardOrigin: `http://127.0.0.1:${webPort}`, env: { LIVEDASH_RETENTION_MS: String(48 * HOUR) } });
    const now = Date.now();
    const seed: { series: string; value: number; ts: number }[] = [];
    for (let ts = now - SEED_FROM_AGO, i = 0; ts <= now - SEED_TO_AGO; ts += SEED_STEP, i++) seed.push({ series: OLD, value: 100 + i, ts });
    await ingest(server.url, seed);
    web = await startDashboard({ port: webPort, serverUrl: server.url });
    browser = await launchBrowser();
    pusher = startPusher(() => server.url, LIVE, 200);
  });

  afterAll(async () => {
    pusher?.stop();
    await browser?.close();
    await web?.stop();
    await server?.stop();
  });

  it("24h shows the seeded history; a drag zooms every chart into the range; double-click and the button go back to live", async () => {
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${web.url}/?charts=${OLD},${LIVE}`);
    const badge = page.getByTestId("connection-badge");
    await until("badge live", async () => ((await badge.getAttribute("data-status")) === "live" ? true : undefined));
    const oldChart = page.locator(`[data-chart="custom:${OLD}"]`);
    const oldHost = oldChart.locator(".chart-host");
    const liveHost = page.locator(`[data-chart="custom:${LIVE}"] .chart-host`);
    const cpuHost = page.locator('[data-chart="cpu-usage"] .chart-host');
    await oldChart.locator(".u-over").waitFor();

    // 24h: the seeded points from 20 h ago load from history into the same chart, drawn over 24 hours.
    await page.locator('[data-window="24h"]').click();
    await until("url window=24h", () => (page.url().includes("window=24h") ? true : undefined));
    const seededFrom = Date.now() - SEED_FROM_AGO;
    await until("seeded history in the buffer", async () => {
      const ts = await seriesTimestamps(page, OLD);
      return ts.length > 0 && (ts[0] as number) < seededFrom + HOUR ? true : undefined;
    });
    await until("24-hour range drawn", async () => {
      const r = await drawnRange(oldHost);
      return r.to - r.from === 24 * HOUR ? true : undefined;
    });
    expect(await page.locator("main").getAttribute("data-zoomed")).toBeNull();

    // Drag over the middle of the seeded stretch: every chart shows exactly the selected range.
    const before = await drawnRange(oldHost);
    const box = await drag(page, oldChart, 0.3, 0.6);
    await until("zoomed", async () => ((await page.locator("main").getAttribute("data-zoomed")) === "true" ? true : undefined));
    const span = before.to - before.from;
    const expectedFrom = before.from + ((box.x1 - box.left) / box.width) * span;
    const expectedTo = before.from + ((box.x2 - box.left) / box.width) * span;
    // One pixel column of a 24-hour chart is a couple of minutes: the selection is right to within two.
    const pxMs = span / box.width;
    const zoomed = await until("every chart drawn in the zoom", async () => {
      const [o, l, c] = await Promise.all([drawnRange(oldHost), drawnRange(liveHost), drawnRange(cpuHost)]);
      return o.to - o.from < span && o.from === l.from && o.to === l.to && o.from === c.from && o.to === c.to ? o : undefined;
    });
    expect(Math.abs(zoomed.from - expectedFrom)).toBeLessThanOrEqual(2 * pxMs);
    expect(Math.abs(zoomed.to - expectedTo)).toBeLessThanOrEqual(2 * pxMs);
    const url = new URL(page.url());
    expect(Number(url.searchParams.get("from"))).toBe(zoomed.from);
    expect(Number(url.searchParams.get("to"))).toBe(zoomed.to);
    expect(url.searchParams.get("window")).toBe("24h");
    await expect(page.getByTestId("back-to-live").isVisible()).resolves.toBe(true);
    // History for the range at the range's resolution: the seeded 10-minute points inside it are held.
    const inRange = (await seriesTimestamps(page, OLD)).filter((t) => t >= zoomed.from && t <= zoomed.to);
    expect(inRange.length).toBeGreaterThan(0);
    // Live points keep landing, but the zoomed axis does not move.
    const liveCount = (await seriesTimestamps(page, LIVE)).length;
    await until("live points buffered while zoomed", async () => ((await seriesTimestamps(page, LIVE)).length >= liveCount + 5 ? true : undefined));
    expect(await drawnRange(liveHost)).toEqual(zoomed);

    // Double-click: back to live, the 24-hour window ending now, new live points drawn.
    const zoomBox = await oldChart.locator(".u-over").boundingBox();
    if (zoomBox === null) throw new Error("chart has no plot area");
    await page.mouse.dblclick(zoomBox.x + zoomBox.width / 2, zoomBox.y + zoomBox.height / 2);
    await until("not zoomed", async () => ((await page.locator("main").getAttribute("data-zoomed")) === null ? true : undefined));
    expect(new URL(page.url()).searchParams.get("from")).toBeNull();
    await until("live again", async () => {
      const r = await drawnRange(liveHost);
      return r.to - r.from === 24 * HOUR && r.to > zoomed.to + 1000 ? true : undefined;
    });
    const atLive = await seriesTimestamps(page, LIVE);
    await until("new live points", async () => {
      const ts = await seriesTimestamps(page, LIVE);
      return ts.length > atLive.length && (ts.at(-1) as number) > (atLive.at(-1) as number) ? true : undefined;
    });

    // Zoom again, then the visible button goes back to live too.
    await drag(page, oldChart, 0.5, 0.7);
    await until("zoomed again", async () => ((await page.locator("main").getAttribute("data-zoomed")) === "true" ? true : undefined));
    await page.getByTestId("back-to-live").click();
    await until("live after the button", async () => ((await page.locator("main").getAttribute("data-zoomed")) === null ? true : undefined));
    expect(await page.getByTestId("back-to-live").count()).toBe(0);

    await page.close();
    expect(errors).toEqual([]);
  });

  it("a zoom link opens zoomed, with the range's history loaded", async () => {
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    const to = Date.now() - 5 * HOUR;
    const from = to - 6 * HOUR;
    await page.goto(`${web.url}/?window=1h&charts=${OLD}&from=${from}&to=${to}`);
    const host = page.locator(`[data-chart="custom:${OLD}"] .chart-host`);
    await until("zoom drawn", async () => {
      const r = await drawnRange(host);
      return r.from === from && r.to === to ? true : undefined;
    });
    expect(await page.locator("main").getAttribute("data-zoomed")).toBe("true");
    // The range lies hours before the 1-hour window: only the zoom's history request can have brought these.
    await until("history of the range", async () => {
      const ts = (await seriesTimestamps(page, OLD)).filter((t) => t >= from && t <= to);
      return ts.length >= 30 ? true : undefined;
    });
    await page.close();
    expect(errors).toEqual([]);
  });
});
