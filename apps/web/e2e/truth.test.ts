import type { Page, WebSocketRoute } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DashboardStack } from "./harness";
import { collectErrors, seriesTimestamps, startDashboardStack, until } from "./harness";

const SERIES = "test.truth.wave";

/** Shifts the page's wall clock (Date, Date.now) by `skewMs` before any page script runs; performance.now stays. */
async function skewBrowserClock(page: Page, skewMs: number): Promise<void> {
  await page.addInitScript((offset: number) => {
    const RealDate = Date;
    class SkewedDate extends RealDate {
      constructor(...args: unknown[]) {
        if (args.length === 0) super(RealDate.now() + offset);
        else super(...(args as [number]));
      }
      static override now(): number {
        return RealDate.now() + offset;
      }
    }
    (globalThis as { Date: DateConstructor }).Date = SkewedDate as DateConstructor;
  }, skewMs);
}

/** Records every data-status the badge takes from now on (a MutationObserver in the page), so no brief state is missed. */
async function recordBadgeStatuses(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const badge = document.querySelector('[data-testid="connection-badge"]') as HTMLElement;
    const seen: string[] = [badge.dataset.status ?? ""];
    (window as unknown as { __statuses: string[] }).__statuses = seen;
    new MutationObserver(() => {
      const status = badge.dataset.status ?? "";
      if (seen.at(-1) !== status) seen.push(status);
    }).observe(badge, { attributes: true, attributeFilter: ["data-status"] });
  });
  return () => page.evaluate(() => [...(window as unknown as { __statuses: string[] }).__statuses]);
}

/** The page's WebSockets, proxied through the test so it can inject frames and hold back the server's. */
async function proxySockets(page: Page) {
  const sockets: { route: WebSocketRoute; subscriptionIds: number[]; stalled: boolean }[] = [];
  let rewrite: ((frame: string) => string) | null = null;
  await page.routeWebSocket(/\/trpc/, (route) => {
    const entry = { route, subscriptionIds: [] as number[], stalled: false };
    sockets.push(entry);
    const upstream = route.connectToServer();
    route.onMessage((message) => {
      const text = String(message);
      const parsed = text.startsWith("{") ? (JSON.parse(text) as { id?: unknown; method?: string }) : null;
      if (parsed?.method === "subscription" && typeof parsed.id === "number") entry.subscriptionIds.push(parsed.id);
      upstream.send(message);
    });
    upstream.onMessage((message) => {
      if (entry.stalled) return;
      route.send(rewrite ? rewrite(String(message)) : message);
    });
  });
  return {
    current: () => sockets.at(-1)!,
    count: () => sockets.length,
    setRewrite: (fn: ((frame: string) => string) | null) => (rewrite = fn),
  };
}

async function liveWithPoints(page: Page) {
  const badge = page.getByTestId("connection-badge");
  await until("badge live", async () => ((await badge.getAttribute("data-status")) === "live" ? true : undefined));
  await until("points arriving", async () => ((await seriesTimestamps(page, SERIES)).length >= 10 ? true : undefined));
  return badge;
}

/** Points the pusher had accepted between `from` and `to` that the page's buffer lacks (some must exist). */
async function missingBetween(page: Page, sent: readonly number[], from: number, to: number, atLeast: number): Promise<number[]> {
  const have = new Set(await seriesTimestamps(page, SERIES));
  const expected = sent.filter((t) => t >= from && t <= to);
  expect(expected.length).toBeGreaterThan(atLeast);
  return expected.filter((t) => !have.has(t));
}

/** Waits for live again and for points newer than that moment; returns when it was live. */
async function backLive(page: Page, badge: ReturnType<Page["getByTestId"]>, timeoutMs: number): Promise<number> {
  await until("live again", async () => ((await badge.getAttribute("data-status")) === "live" ? true : undefined), timeoutMs);
  const backAt = Date.now();
  await until("points after the reconnect", async () => ((await seriesTimestamps(page, SERIES)).at(-1) ?? 0) > backAt + 500 ? true : undefined);
  return backAt;
}

describe("the chart never lies", () => {
  let stack: DashboardStack;

  beforeAll(async () => {
    stack = await startDashboardStack(SERIES);
    // Some history before any page opens: the window backfill must find it in server time.
    await until("points pushed before the pages open", () => (stack.pusher.sent.length >= 20 ? true : undefined));
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** A page whose sockets go through the test's proxy, live with points flowing, its badge statuses recorded. */
  async function openProxiedPage() {
    const page = await stack.browser.context.newPage();
    const errors = collectErrors(page);
    const proxy = await proxySockets(page);
    await page.goto(`${stack.web.url}/?window=1m&charts=${SERIES}`);
    const badge = await liveWithPoints(page);
    const statuses = await recordBadgeStatuses(page);
    return { page, errors, proxy, badge, statuses };
  }

  it.each([
    ["5 minutes behind", -300_000],
    ["5 minutes ahead", 300_000],
  ])("a browser clock %s changes nothing the user sees: chart edge, newest points, history and trimming in server time", async (_label, skewMs) => {
    const page = await stack.browser.context.newPage();
    const errors = collectErrors(page);
    await skewBrowserClock(page, skewMs);
    const openedAt = Date.now();
    await page.goto(`${stack.web.url}/?window=1m&charts=${SERIES}`);
    expect(Math.abs((await page.evaluate(() => Date.now())) - Date.now() - skewMs)).toBeLessThan(2_000);
    await liveWithPoints(page);
    // The page learned the server's clock: its offset undoes the skew.
    await until("clock synced", async () => {
      const offset = await page.evaluate(() => (window as unknown as { __livedash: { clockOffsetMs(): number } }).__livedash.clockOffsetMs());
      return Math.abs(offset + skewMs) < 2_000 ? true : undefined;
    });
    const host = page.locator(`[data-chart="custom:${SERIES}"] .chart-host`);
    // Let a few trims run (one a second): with the browser's clock 5 minutes ahead they would drop every point.
    const syncedAt = Date.now();
    await until("3 s of live points after the sync", async () => ((await seriesTimestamps(page, SERIES)).at(-1) ?? 0) > syncedAt + 3_000 ? true : undefined);
    const toMs = await until("chart drawn", async () => Number((await host.getAttribute("data-to-ms")) ?? Number.NaN) || undefined);
    const serverNow = Date.now();
    expect(Math.abs(toMs - serverNow)).toBeLessThan(3_000);
    const ts = await seriesTimestamps(page, SERIES);
    // The newest points are inside the drawn range, not hidden past the edge or trimmed away.
    expect(ts.length).toBeGreaterThan(15);
    expect(ts.at(-1)!).toBeGreaterThan(serverNow - 3_000);
    expect(ts.at(-1)!).toBeLessThanOrEqual(toMs + 1_000);
    // The window backfill asked for the server's last minute: every point from before the page opened is there.
    const have = new Set(ts);
    const sentBeforeOpen = stack.pusher.sent.filter((t) => t < openedAt - 500 && t > serverNow - 50_000);
    expect(sentBeforeOpen.length).toBeGreaterThan(10);
    expect(sentBeforeOpen.filter((t) => !have.has(t))).toEqual([]);
    await page.close();
    expect(errors).toEqual([]);
  });

  it("a dead subscription (a 500 on the last subscription) is not shown as live: the badge says failed and why, then the page resubscribes with nothing missing", async () => {
    const { page, errors, proxy, badge, statuses } = await openProxiedPage();
    const { route, subscriptionIds } = proxy.current();
    const subscriptionId = subscriptionIds.at(-1)!;
    // On a phone: the reason must fit (the badge wraps and shortens it rather than pushing the page sideways).
    await page.setViewportSize({ width: 390, height: 800 });
    const failedAt = Date.now();
    route.send(JSON.stringify({ id: subscriptionId, error: { message: "test: internal failure", code: -32603, data: { code: "INTERNAL_SERVER_ERROR", httpStatus: 500, path: "metrics.live" } } }));
    const overflowWhileFailed = await until("badge failed with the reason", async () => {
      const shown = await page.evaluate(() => {
        const el = document.querySelector('[data-testid="connection-badge"]') as HTMLElement;
        return { status: el.dataset.status, error: el.dataset.error ?? "", overflow: document.documentElement.scrollWidth > window.innerWidth };
      });
      return shown.status === "failed" && shown.error.includes("test: internal failure") ? { overflow: shown.overflow } : undefined;
    });
    expect(overflowWhileFailed).toEqual({ overflow: false });
    await until("the page says it resubscribes", async () => ((await page.getByTestId("resubscribe").count()) > 0 ? true : undefined));
    // The page resubscribes by itself (a new socket, since the failed one was the last subscription).
    const backAt = await backLive(page, badge, 40_000);
    expect(proxy.count()).toBeGreaterThan(1);
    const seen = await statuses();
    expect(seen.slice(0, 2)).toEqual(["live", "failed"]);
    expect(seen.at(-1)).toBe("live");
    // Resumed from the last id: every point accepted around the failure is in the buffer.
    expect(await missingBetween(page, stack.pusher.sent, failedAt - 1_000, backAt, 3)).toEqual([]);
    expect(await page.getByTestId("last-error").count()).toBe(0);
    await page.close();
    // The client reports the failure it was sent (as the dashboard's error line, not the console).
    expect(errors).toEqual([]);
  });

  it("a stalled connection (the socket stays open, nothing arrives) leaves live, reconnects and fills the stall by replay", async () => {
    const { page, errors, proxy, badge, statuses } = await openProxiedPage();
    const stalledAt = Date.now();
    proxy.current().stalled = true;
    // The client's keepalive (PING every 10 s, PONG within 5 s) must notice within about 15 s.
    await until("badge leaves live", async () => ((await badge.getAttribute("data-status")) !== "live" ? true : undefined), 25_000);
    const backAt = await backLive(page, badge, 20_000);
    const seen = await statuses();
    expect(seen[0]).toBe("live");
    expect(seen.slice(1, -1).length).toBeGreaterThan(0);
    expect(seen.slice(1, -1).every((s) => s !== "live")).toBe(true);
    expect(await missingBetween(page, stack.pusher.sent, stalledAt, backAt, 20)).toEqual([]);
    await page.close();
    expect(errors).toEqual([]);
  });

  it("a coalesced event (the server fell behind) shows 'latest values only' on the badge", async () => {
    const { page, errors, proxy, badge } = await openProxiedPage();
    expect(await badge.getAttribute("data-coalesced")).toBe("false");
    // Mark the next points event the way the server does when it coalesces for a slow subscriber.
    let marked = false;
    proxy.setRewrite((frame) => {
      if (marked || !frame.includes('"type":"points"')) return frame;
      marked = true;
      return frame.replace('"type":"points"', '"type":"points","coalesced":true');
    });
    await until("coalesced note", async () => ((await badge.getAttribute("data-coalesced")) === "true" ? true : undefined));
    expect(await page.getByTestId("coalesced-note").textContent()).toContain("latest values only");
    await page.close();
    expect(errors).toEqual([]);
  });
});
