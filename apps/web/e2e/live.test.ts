import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserHandle, ChildService, DashboardStack } from "./harness";
import { collectErrors, seriesTimestamps, startDashboardStack, until } from "./harness";

const SERIES = "test.e2e.wave";

describe("dashboard live updates per transport", () => {
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

  /** Waits until the page's buffer for SERIES grows by `count` points after the call. */
  async function expectGrowing(page: Page, count = 5) {
    const before = (await seriesTimestamps(page, SERIES)).length;
    await until(`${count} new points of ${SERIES}`, async () => ((await seriesTimestamps(page, SERIES)).length >= before + count ? true : undefined));
  }

  it("charts update live over WebSocket and the badge says ws/live", async () => {
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${web.url}/?charts=${SERIES}`);
    const badge = page.getByTestId("connection-badge");
    await until("badge live", async () => ((await badge.getAttribute("data-status")) === "live" ? true : undefined));
    expect(await badge.getAttribute("data-transport")).toBe("ws");
    // The badge names the instance serving this page, as /healthz reports it.
    const { instanceId } = (await (await fetch(`${server.url}/healthz`)).json()) as { instanceId: string };
    await until("badge instance", async () => ((await badge.getAttribute("data-instance")) === instanceId ? true : undefined));
    await expectGrowing(page);
    // The host panels are backfilled and drawn too: a uPlot canvas per chart.
    await until("cpu chart drawn", async () => ((await page.locator('[data-chart="cpu-usage"] canvas').count()) > 0 ? true : undefined));
    await page.close();
    expect(errors).toEqual([]);
  });

  it("keeps updating over SSE when WebSocket is blocked in the browser", async () => {
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    // A WebSocket that the browser sees close before any message: the ladder must step down to SSE.
    await page.routeWebSocket(/.*/, (ws) => ws.close());
    await page.goto(`${web.url}/?charts=${SERIES}`);
    const badge = page.getByTestId("connection-badge");
    await until("badge sse/live", async () =>
      (await badge.getAttribute("data-transport")) === "sse" && (await badge.getAttribute("data-status")) === "live" ? true : undefined,
    );
    await expectGrowing(page);
    await page.close();
    expect(errors).toEqual([]);
  });

  it("works over long-polling when forced with ?transport=poll", async () => {
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${web.url}/?transport=poll&charts=${SERIES}`);
    const badge = page.getByTestId("connection-badge");
    await until("badge poll/live", async () =>
      (await badge.getAttribute("data-transport")) === "poll" && (await badge.getAttribute("data-status")) === "live" ? true : undefined,
    );
    await expectGrowing(page);
    await page.close();
    expect(errors).toEqual([]);
  });

  it("shows the same stream over ws, sse, long-poll and short-poll on /transports", async () => {
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${web.url}/transports?series=${SERIES}`);
    for (const kind of ["ws", "sse", "long-poll", "short-poll"]) {
      const card = page.locator(`[data-probe="${kind}"]`);
      await until(`${kind} receiving`, async () => {
        const events = Number(await card.locator('[data-field="events"]').textContent());
        return (await card.getAttribute("data-status")) === "live" && events >= 2 ? true : undefined;
      });
      expect(await card.locator('[data-field="bytes-per-event"]').textContent()).toMatch(/B$/);
    }
    // Short-poll issues about one request a second; WebSocket one handshake.
    await until("short-poll request rate", async () => {
      const rpm = Number(await page.locator('[data-probe="short-poll"] [data-field="rpm"]').textContent());
      return rpm >= 3 ? true : undefined;
    });
    expect(Number(await page.locator('[data-probe="ws"] [data-field="rpm"]').textContent())).toBe(1);
    await page.close();
    expect(errors).toEqual([]);
  });
});
