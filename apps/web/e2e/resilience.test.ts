import type { WebSocketRoute } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserHandle, ChildService } from "./harness";
import { collectErrors, freePort, launchBrowser, seriesTimestamps, startDashboard, startLivedashServer, startPusher, until } from "./harness";

const SERIES = "test.resilience.wave";

/**
 * What Chromium itself logs while the server is down (failed WebSocket handshakes, refused fetches).
 * Only the crash test tolerates these, and only these; anything the app logs still fails it.
 */
const EXPECTED_WHILE_DOWN = [/WebSocket connection to .* failed/, /net::ERR_CONNECTION_REFUSED/, /Failed to load resource/];

describe("reconnects without gaps", () => {
  let server: ChildService;
  let web: ChildService;
  let browser: BrowserHandle;
  let pusher: ReturnType<typeof startPusher>;
  let serverPort: number;
  let dashboardOrigin: string;

  beforeAll(async () => {
    const webPort = await freePort();
    dashboardOrigin = `http://127.0.0.1:${webPort}`;
    serverPort = await freePort();
    server = await startLivedashServer({ port: serverPort, dashboardOrigin });
    web = await startDashboard({ port: webPort, serverUrl: server.url });
    browser = await launchBrowser();
    pusher = startPusher(() => server.url, SERIES, 100);
  });

  afterAll(async () => {
    pusher?.stop();
    await browser?.close();
    await web?.stop();
    await server?.stop();
  });

  it("a dropped WebSocket resumes by id and the server's replay leaves no gap", async () => {
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    const routes: WebSocketRoute[] = [];
    // Proxy every socket through the test so it can cut the page's connection (the server stays up).
    const sentByPage: string[] = [];
    await page.routeWebSocket(/\/trpc/, (ws) => {
      const upstream = ws.connectToServer();
      ws.onMessage((m) => {
        sentByPage.push(String(m));
        upstream.send(m);
      });
      routes.push(ws);
    });
    await page.goto(`${web.url}/?window=1m&charts=${SERIES}`);
    const badge = page.getByTestId("connection-badge");
    await until("live over ws", async () =>
      (await badge.getAttribute("data-status")) === "live" && (await badge.getAttribute("data-transport")) === "ws" ? true : undefined,
    );
    await until("points arriving", async () => ((await seriesTimestamps(page, SERIES)).length >= 10 ? true : undefined));

    const cutAt = Date.now();
    const reconnectsBefore = Number((await badge.textContent())?.match(/↻ (\d+)/)?.[1] ?? 0);
    await routes.at(-1)?.close({ code: 4000, reason: "test: cut" });
    await until("reconnected and live", async () => {
      const text = (await badge.textContent()) ?? "";
      const reconnects = Number(text.match(/↻ (\d+)/)?.[1] ?? 0);
      return reconnects > reconnectsBefore && (await badge.getAttribute("data-status")) === "live" ? true : undefined;
    });
    // Every point the server accepted around the cut is in the page's buffer: replayed, not lost.
    const settleAt = Date.now();
    await until("points after the reconnect", async () => ((await seriesTimestamps(page, SERIES)).at(-1) ?? 0) > settleAt + 500 ? true : undefined);
    const have = new Set(await seriesTimestamps(page, SERIES));
    const expected = pusher.sent.filter((ts) => ts >= cutAt - 1000 && ts <= settleAt);
    expect(expected.length).toBeGreaterThan(5);
    expect(expected.filter((ts) => !have.has(ts))).toEqual([]);
    await page.close();
    expect(errors).toEqual([]);
  });

  it("server killed and restarted: reconnecting, then live again; the reset refetches and nothing goes blank", async () => {
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${web.url}/?window=1m&charts=${SERIES}`);
    const badge = page.getByTestId("connection-badge");
    await until("live", async () => ((await badge.getAttribute("data-status")) === "live" ? true : undefined));
    await until("points arriving", async () => ((await seriesTimestamps(page, SERIES)).length >= 10 ? true : undefined));

    await server.kill();
    const killedAt = Date.now();
    await until("badge reconnecting", async () => {
      const status = await badge.getAttribute("data-status");
      return status === "reconnecting" || status === "connecting" ? true : undefined;
    });
    const beforeRestart = await seriesTimestamps(page, SERIES);

    server = await startLivedashServer({ port: serverPort, dashboardOrigin });
    const restartedAt = Date.now();
    await until("live again", async () => ((await badge.getAttribute("data-status")) === "live" ? true : undefined), 30_000);
    await until("new points after the restart", async () => ((await seriesTimestamps(page, SERIES)).at(-1) ?? 0) > restartedAt ? true : undefined);

    const after = await seriesTimestamps(page, SERIES);
    // Never blank: what was drawn before the crash is still there...
    const kept = new Set(after);
    expect(beforeRestart.filter((ts) => ts < killedAt - 1000 && ts > Date.now() - 50_000 && !kept.has(ts))).toEqual([]);
    // ...the outage itself is a real gap (nothing invented), and the data is sorted with no duplicates.
    expect(after.filter((ts) => ts > killedAt + 200 && ts < restartedAt - 3000)).toEqual([]);
    expect(after.every((ts, i) => i === 0 || ts > (after[i - 1] as number))).toBe(true);
    await page.close();
    expect(errors.filter((e) => !EXPECTED_WHILE_DOWN.some((re) => re.test(e)))).toEqual([]);
  });
});
