import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserHandle, ChildService, DashboardStack } from "./harness";
import { collectErrors, ingest, seriesTimestamps, startDashboardStack, until } from "./harness";

const SERIES = "test.ui.requests";

describe("view controls and URL state", () => {
  let stack: DashboardStack;
  let server: ChildService;
  let web: ChildService;
  let browser: BrowserHandle;

  beforeAll(async () => {
    stack = await startDashboardStack(SERIES);
    ({ server, web, browser } = stack);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it("pause freezes the time axis but keeps buffering; window change, explorer add and reload keep the view", async () => {
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${web.url}/`);
    const badge = page.getByTestId("connection-badge");
    await until("badge live", async () => ((await badge.getAttribute("data-status")) === "live" ? true : undefined));

    // Window: 1m, reflected in the URL and in the drawn range.
    await page.locator('[data-window="1m"]').click();
    await until("url window=1m", () => (page.url().includes("window=1m") ? true : undefined));
    const cpuHost = page.locator('[data-chart="cpu-usage"] .chart-host');
    await until("1-minute range drawn", async () => {
      const from = Number(await cpuHost.getAttribute("data-from-ms"));
      const to = Number(await cpuHost.getAttribute("data-to-ms"));
      return to - from === 60_000 ? true : undefined;
    });

    // Explorer: search the catalog and add a chart for the pushed series.
    await page.getByTestId("explorer-toggle").click();
    await page.getByTestId("explorer-search").fill("test.ui");
    await page.locator(`[data-add-series="${SERIES}"]`).click();
    const custom = page.locator(`[data-chart="custom:${SERIES}"]`);
    await custom.locator("canvas").first().waitFor();
    await until("url charts", () => (page.url().includes(`charts=${SERIES}`) ? true : undefined));

    // Pause: the axis stops, points keep landing in the buffer.
    await page.getByTestId("pause").click();
    await until("url paused", () => (page.url().includes("paused=1") ? true : undefined));
    // The first frame after the click draws at the pause instant; from then on the axis stays put.
    const countAtPause = (await seriesTimestamps(page, SERIES)).length;
    await until("points buffered while paused", async () => ((await seriesTimestamps(page, SERIES)).length >= countAtPause + 3 ? true : undefined));
    const frozenTo = Number(await cpuHost.getAttribute("data-to-ms"));
    await until("more points buffered while paused", async () => ((await seriesTimestamps(page, SERIES)).length >= countAtPause + 8 ? true : undefined));
    expect(Number(await cpuHost.getAttribute("data-to-ms"))).toBe(frozenTo);

    // Resume: the axis catches up to now with everything buffered meanwhile.
    await page.getByTestId("pause").click();
    await until("axis caught up", async () => (Number(await cpuHost.getAttribute("data-to-ms")) > frozenTo + 1000 ? true : undefined));
    expect(page.url()).not.toContain("paused=1");

    // Remove and re-add through the URL, then reload: the view comes back from the link alone.
    await page.goto(`${web.url}/?window=15m&charts=${SERIES}&paused=1`);
    await page.reload();
    await page.locator(`[data-chart="custom:${SERIES}"] canvas`).first().waitFor();
    expect(await page.locator('[data-window="15m"]').getAttribute("aria-pressed")).toBe("true");
    expect(await page.getByTestId("pause").getAttribute("aria-pressed")).toBe("true");
    // The chart was backfilled from metrics.history, not only from live points after the reload.
    await until("history backfill", async () => {
      const ts = await seriesTimestamps(page, SERIES);
      return ts.length > 0 && (ts[0] as number) < Date.now() - 5000 ? true : undefined;
    });

    // Remove the custom chart with its button.
    await page.getByRole("button", { name: `Remove chart ${SERIES}` }).click();
    await until("chart removed", async () => ((await page.locator(`[data-chart="custom:${SERIES}"]`).count()) === 0 ? true : undefined));
    expect(page.url()).not.toContain("charts=");
    await page.close();
    expect(errors).toEqual([]);
  });

  it("hovering one chart moves the crosshair and legend values of every chart", async () => {
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${web.url}/?window=1m`);
    const cpu = page.locator('[data-chart="cpu-usage"]');
    const mem = page.locator('[data-chart="mem"]');
    await cpu.locator(".u-over").waitFor();
    await mem.locator(".u-over").waitFor();
    await until("both charts drawn", async () =>
      (await cpu.locator(".chart-host").getAttribute("data-to-ms")) && (await mem.locator(".chart-host").getAttribute("data-to-ms")) ? true : undefined,
    );
    const memTime = mem.locator(".u-legend .u-series").first().locator(".u-value");
    expect(await memTime.textContent()).toBe("latest");
    const box = await cpu.locator(".u-over").boundingBox();
    if (box === null) throw new Error("cpu chart has no plot area");
    await page.mouse.move(box.x + box.width * 0.8, box.y + box.height / 2);
    // The memory chart shows the hovered time, not "latest": the cursor is synced across charts.
    await until("synced legend", async () => ((await memTime.textContent()) !== "latest" ? true : undefined));
    expect(await mem.locator(".u-cursor-x").getAttribute("class")).not.toContain("u-off");
    await page.close();
    expect(errors).toEqual([]);
  });

  it("colors a series by its thresholds", async () => {
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    const series = "test.ui.queue_depth";
    const describe = await fetch(`${server.url}/trpc/metrics.describe`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ series: [{ series, unit: "count", thresholds: { warn: 50, crit: 80 } }] }),
    });
    expect(describe.ok).toBe(true);
    await ingest(server.url, [{ series, value: 10 }]);
    await page.goto(`${web.url}/?charts=${series}`);
    const tile = page.locator(`.tile[data-series="${series}"]`);
    await until("ok level", async () => ((await tile.getAttribute("data-level")) === "ok" && (await tile.locator(".value").textContent()) === "10" ? true : undefined));
    await ingest(server.url, [{ series, value: 60 }]);
    await until("warn level", async () => ((await tile.getAttribute("data-level")) === "warn" ? true : undefined));
    await ingest(server.url, [{ series, value: 95 }]);
    await until("crit level", async () => ((await tile.getAttribute("data-level")) === "crit" ? true : undefined));
    await page.close();
    expect(errors).toEqual([]);
  });

  it("is usable with the keyboard and on a phone-sized screen", async () => {
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${web.url}/`);
    // Every control is reachable with Tab: the window buttons, pause, explorer and theme.
    const reached = new Set<string>();
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press("Tab");
      const label = await page.evaluate(() => document.activeElement?.getAttribute("data-testid") ?? document.activeElement?.getAttribute("data-window") ?? "");
      if (label) reached.add(label);
    }
    for (const control of ["1m", "5m", "15m", "1h", "pause", "explorer-toggle", "theme-toggle"]) expect(reached).toContain(control);
    await page.getByTestId("theme-toggle").press("Enter");
    const theme = await page.evaluate(() => document.documentElement.dataset.theme);
    expect(theme === "light" || theme === "dark").toBe(true);
    // Nothing overflows sideways at phone width.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.close();
    expect(errors).toEqual([]);
  });
});
