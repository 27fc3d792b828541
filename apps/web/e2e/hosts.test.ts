import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserHandle, ChildService } from "./harness";
import { collectErrors, freePort, ingest, launchBrowser, startDashboard, startLivedashServer, until } from "./harness";

/** How often each reporter collects, declared to the server as an agent does: down after 3 missed, 1.5 s. */
const INTERVAL_MS = 500;
const HOSTS = ["fleet-a", "fleet-b", "fleet-c"];

/**
 * A reporter like `livedash agent`: collects CPU, memory and load every INTERVAL_MS stamped at
 * collection, and sends them (with its declared interval). While paused it keeps collecting into a
 * buffer and sends nothing; resumed, it sends the buffer first, in order. Bounded: 600 rounds at most.
 */
function reporter(serverUrl: string, host: string) {
  const labels = { host };
  let paused = false;
  let stopped = false;
  const buffer: { series: string; value: number; ts: number; labels: Record<string, string> }[] = [];
  const collectedWhilePaused: number[] = [];
  let round = 0;
  const done = (async () => {
    for (; !stopped && round < 600; round++) {
      const ts = Date.now();
      buffer.push(
        { series: "host.cpu.total", labels, ts, value: 20 + (round % 10) },
        { series: "host.mem.used_percent", labels, ts, value: 40 },
        { series: "host.load.1m", labels, ts, value: 0.25 },
        { series: "livedash.agent.interval_seconds", labels, ts, value: INTERVAL_MS / 1000 },
      );
      if (paused) collectedWhilePaused.push(ts);
      else await ingest(serverUrl, buffer.splice(0));
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, INTERVAL_MS - (Date.now() - ts))));
    }
  })();
  return {
    collectedWhilePaused,
    pause: () => void (paused = true),
    resume: () => void (paused = false),
    async stop() {
      stopped = true;
      await done;
    },
  };
}

async function rows(page: Page): Promise<Record<string, string>> {
  const found: [string, string][] = await page.locator("tr[data-host]").evaluateAll((trs) => trs.map((tr): [string, string] => [tr.getAttribute("data-host") ?? "", tr.getAttribute("data-state") ?? ""]));
  return Object.fromEntries(found);
}

/** The server's raw history of a host's CPU in [from, to]. */
async function cpuHistory(serverUrl: string, host: string, from: number, to: number): Promise<number[]> {
  const input = encodeURIComponent(JSON.stringify({ series: [`host.cpu.total{host="${host}"}`], from, to, maxPoints: 10_000 }));
  const res = await fetch(`${serverUrl}/trpc/metrics.historyColumns?input=${input}`);
  const body = (await res.json()) as { result: { data: { ts: number[] }[] } };
  return body.result.data[0]?.ts ?? [];
}

describe("fleet view (/hosts)", () => {
  let server: ChildService;
  let web: ChildService;
  let browser: BrowserHandle;
  let reporters: ReturnType<typeof reporter>[] = [];

  beforeAll(async () => {
    const webPort = await freePort();
    // Collectors off: the three reporters are the whole fleet.
    server = await startLivedashServer({ dashboardOrigin: `http://127.0.0.1:${webPort}`, env: { LIVEDASH_COLLECTORS: "off", LIVEDASH_HOST_MIN_INTERVAL_MS: "100" } });
    web = await startDashboard({ port: webPort, serverUrl: server.url });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await Promise.all(reporters.map((r) => r.stop()));
    await browser?.close();
    await web?.stop();
    await server?.stop();
  });

  it("three reporters: three rows up, live; one stops -> down, comes back -> up with its buffered points in history", async () => {
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${web.url}/hosts`);
    await until("the empty fleet", () => page.locator('[data-testid="hosts-empty"]').isVisible());
    // Live without reload: the hosts appear on the open page.
    reporters = HOSTS.map((host) => reporter(server.url, host));
    await until("three rows up", async () => {
      const now = await rows(page);
      return JSON.stringify(now) === JSON.stringify({ "fleet-a": "up", "fleet-b": "up", "fleet-c": "up" }) ? now : undefined;
    });
    // Values and sparklines arrive through the page's live subscription.
    const cpu = page.locator('tr[data-host="fleet-a"] .tile[data-series="host.cpu.total{host=\\"fleet-a\\"}"] .value');
    await until("fleet-a's CPU", async () => ((await cpu.textContent()) ?? "").includes("%"));
    await expect(page.locator('[data-testid="hosts-counts"]').textContent()).resolves.toBe("3 up, 0 down");

    const [, b] = reporters;
    b!.pause();
    await until("fleet-b down", async () => ((await rows(page))["fleet-b"] === "down" ? true : undefined));
    expect(await rows(page)).toEqual({ "fleet-a": "up", "fleet-b": "down", "fleet-c": "up" });
    await expect(page.locator('[data-testid="hosts-counts"]').textContent()).resolves.toBe("2 up, 1 down");
    // Down once 3 intervals passed without a report, not earlier.
    const listed = (await (await fetch(`${server.url}/trpc/hosts.list`)).json()) as { result: { data: { hosts: { host: string; since: number; lastSeenAt: number }[] } } };
    const fleetB = listed.result.data.hosts.find((h) => h.host === "fleet-b")!;
    expect(fleetB.since - fleetB.lastSeenAt).toBeGreaterThan(3 * INTERVAL_MS);

    b!.resume();
    await until("fleet-b up again", async () => ((await rows(page))["fleet-b"] === "up" ? true : undefined));
    // Everything it collected while it could not send is in the server's history.
    const buffered = [...b!.collectedWhilePaused];
    expect(buffered.length).toBeGreaterThanOrEqual(3);
    const history = await cpuHistory(server.url, "fleet-b", buffered[0]! - 1, buffered.at(-1)! + 1);
    expect(history).toEqual(expect.arrayContaining(buffered));

    // A row links to that host's overview, with the host picker set.
    await page.locator('tr[data-host="fleet-c"] th a').click();
    await page.waitForURL((url) => url.pathname === "/" && url.searchParams.get("host") === "fleet-c");
    await until("the host picker on fleet-c", async () => ((await page.locator('[data-testid="host-select"]').inputValue()) === "fleet-c" ? true : undefined));
    // And back through the top bar's Hosts link.
    await page.locator('[data-testid="hosts-link"]').click();
    await page.waitForURL((url) => url.pathname === "/hosts");
    await until("rows again", async () => (Object.keys(await rows(page)).length === 3 ? true : undefined));
    expect(errors).toEqual([]);
  });
});
