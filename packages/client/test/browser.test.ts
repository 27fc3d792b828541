import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type * as LivedashModule from "../src/index";
import type { LivedashClient } from "../src/index";
import { bundleForBrowser, launchChromium, servePage } from "./helpers/browser";
import { startProxy } from "./helpers/proxy";
import { startTestServer } from "./helpers/server";

declare global {
  interface Window {
    Livedash: typeof LivedashModule;
    client: LivedashClient;
    values: number[];
    ids: string[];
  }
}

let browser: Browser;
let page: { origin: string; close(): Promise<void> };
let bundleInputs: string[];

beforeAll(async () => {
  const { code, metafile } = await bundleForBrowser();
  bundleInputs = Object.keys(metafile.inputs);
  page = await servePage(code);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await page?.close();
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function openPage(): Promise<Page> {
  const context = await browser.newContext();
  cleanups.push(() => context.close());
  const tab = await context.newPage();
  await tab.goto(page.origin);
  await tab.waitForFunction(() => window.Livedash !== undefined);
  return tab;
}

async function subscribeInPage(tab: Page, url: string, transport: string) {
  await tab.evaluate(
    ({ url, transport }) => {
      window.values = [];
      window.ids = [];
      const ladder = { sseFirstEventTimeoutMs: 1_000, wsOpenTimeoutMs: 2_000, pollWaitMs: 1_000, probeIntervalMs: 500 };
      window.client = window.Livedash.createLivedashClient({ url, transport: transport as "auto", ladder });
      window.client.trpc.metrics.live.subscribe(
        { series: ["browser.*"] },
        {
          onData: ({ id, data }) => {
            window.ids.push(id);
            if (data.type === "points") for (const p of data.points) window.values.push(p.value);
          },
        },
      );
    },
    { url, transport },
  );
}

async function push(url: string, values: number[]) {
  for (const value of values) {
    const res = await fetch(`${url}/api/ingest`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ points: [{ series: "browser.counter", value }] }),
    });
    expect(res.status).toBe(200);
  }
}

describe("in Chromium", () => {
  it("the browser bundle does not pull in ws or eventsource", () => {
    expect(bundleInputs.some((f) => /node_modules\/(ws|eventsource)\//.test(f))).toBe(false);
    expect(bundleInputs.some((f) => f.endsWith("src/node.ts"))).toBe(false);
  });

  it.each(["auto", "ws", "sse", "poll"])("goes live and delivers points with native browser transports (%s)", async (transport) => {
    const server = await startTestServer({ LIVEDASH_ALLOWED_ORIGINS: page.origin });
    cleanups.push(() => server.close());
    const tab = await openPage();
    await subscribeInPage(tab, server.url, transport);
    const expected = transport === "auto" ? "ws" : transport;
    await vi.waitFor(async () => expect(await tab.evaluate(() => window.client.connection.get())).toMatchObject({ transport: expected, status: "live" }), {
      timeout: 10_000,
    });
    await push(server.url, [1, 2, 3, 4, 5]);
    await vi.waitFor(async () => expect(await tab.evaluate(() => window.values)).toEqual([1, 2, 3, 4, 5]), { timeout: 10_000 });
  });

  it("falls back to SSE behind a proxy that refuses WebSocket, where the browser gives no error detail", async () => {
    const server = await startTestServer({ LIVEDASH_ALLOWED_ORIGINS: page.origin });
    cleanups.push(() => server.close());
    const proxy = await startProxy(server.url, "refuse-ws");
    cleanups.push(() => proxy.close());
    const tab = await openPage();
    await subscribeInPage(tab, proxy.url, "auto");
    await vi.waitFor(async () => expect(await tab.evaluate(() => window.client.connection.get())).toMatchObject({ transport: "sse", status: "live" }), {
      timeout: 10_000,
    });
    await push(server.url, [1, 2, 3]);
    await vi.waitFor(async () => expect(await tab.evaluate(() => window.values)).toEqual([1, 2, 3]), { timeout: 10_000 });
    // Upgrades work again: the page moves back up to WebSocket and keeps the sequence whole.
    proxy.setMode("pass");
    await vi.waitFor(async () => expect(await tab.evaluate(() => window.client.connection.get())).toMatchObject({ transport: "ws", status: "live" }), {
      timeout: 10_000,
    });
    await push(server.url, [4, 5, 6]);
    await vi.waitFor(async () => expect(await tab.evaluate(() => window.values)).toEqual([1, 2, 3, 4, 5, 6]), { timeout: 10_000 });
    const ids = await tab.evaluate(() => window.ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
