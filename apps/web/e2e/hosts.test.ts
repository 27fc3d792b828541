import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { connect, createServer } from "node:net";
import type { Server, Socket } from "node:net";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserHandle, ChildService } from "./harness";
import { REPO_ROOT, collectErrors, freePort, launchBrowser, startDashboard, startLivedashServer, until } from "./harness";

/** The agents' --interval: a host is down once 3 of them (1.5 s) pass without a report. */
const INTERVAL_MS = 500;

/** `livedash agent` as a real process (the CLI from source), logging every tick it collects (`--verbose`). */
function startAgent(serverUrl: string, host: string) {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", "packages/client/src/cli/bin.ts", "agent", "--server", serverUrl, "--host", host, "--interval", `${INTERVAL_MS}ms`, "--max-backoff", "500ms", "--verbose"],
    { cwd: REPO_ROOT, env: { ...process.env, LIVEDASH_URL: "" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    output: () => output,
    /** The ts of every tick it collected so far, in order. */
    collectedTs: () => [...output.matchAll(/collected \d+ points at ts (\d+)/g)].map((m) => Number(m[1])),
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** A TCP proxy in front of the server that can play an outage: while down it cuts every connection. */
async function startOutageProxy(targetPort: number) {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let down = false;
  const cutAll = () => {
    for (const socket of sockets) socket.destroy();
  };
  const server: Server = createServer((client) => {
    if (down) return void client.destroy();
    const target = connect(targetPort, "127.0.0.1");
    for (const socket of [client, target]) {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
      // A cut connection errors on both sides: the agent's retry is what is being tested.
      socket.on("error", () => undefined);
    }
    client.pipe(target).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    down() {
      down = true;
      cutAll();
    },
    up() {
      down = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        cutAll();
        server.close(() => resolve());
      }),
  };
}

async function rows(page: Page): Promise<Record<string, string>> {
  const found: [string, string][] = await page.locator("tr[data-host]").evaluateAll((trs) => trs.map((tr): [string, string] => [tr.getAttribute("data-host") ?? "", tr.getAttribute("data-state") ?? ""]));
  return Object.fromEntries(found);
}

const untilRows = (page: Page, want: Record<string, string>, what: string) =>
  until(what, async () => {
    const now = await rows(page);
    return JSON.stringify(now) === JSON.stringify(want) ? now : undefined;
  }, 30_000);

/** The server's raw history of one series in [from, to]: its timestamps. */
async function historyTs(serverUrl: string, series: string, from: number, to: number): Promise<number[]> {
  const input = encodeURIComponent(JSON.stringify({ series: [series], from, to, maxPoints: 10_000 }));
  const res = await fetch(`${serverUrl}/trpc/metrics.historyColumns?input=${input}`);
  const body = (await res.json()) as { result: { data: { ts: number[] }[] } };
  return body.result.data[0]?.ts ?? [];
}

async function hostList(serverUrl: string) {
  const res = await fetch(`${serverUrl}/trpc/hosts.list`);
  return ((await res.json()) as { result: { data: { hosts: { host: string; since: number; lastSeenAt: number; intervalMs: number; intervalSource: string }[] } } }).result.data.hosts;
}

describe("fleet view (/hosts) with three `livedash agent` processes", () => {
  let server: ChildService;
  let web: ChildService;
  let browser: BrowserHandle;
  let proxy: Awaited<ReturnType<typeof startOutageProxy>>;
  const agents = new Map<string, ReturnType<typeof startAgent>>();

  beforeAll(async () => {
    const webPort = await freePort();
    // Collectors off: the three agents are the whole fleet.
    server = await startLivedashServer({ dashboardOrigin: `http://127.0.0.1:${webPort}`, env: { LIVEDASH_COLLECTORS: "off" } });
    web = await startDashboard({ port: webPort, serverUrl: server.url });
    browser = await launchBrowser();
    proxy = await startOutageProxy(server.port);
  });

  afterAll(async () => {
    await Promise.all([...agents.values()].map((a) => a.stop()));
    await proxy?.close();
    await browser?.close();
    await web?.stop();
    await server?.stop();
  });

  it("three rows up live; one killed -> down, restarted -> up; one cut off -> down, back -> up with its buffered points in history", async () => {
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${web.url}/hosts`);
    await until("the empty fleet", () => page.locator('[data-testid="hosts-empty"]').isVisible());
    // Live without reload: the hosts appear on the open page. agent-b reaches the server through the proxy.
    agents.set("agent-a", startAgent(server.url, "agent-a"));
    agents.set("agent-b", startAgent(proxy.url, "agent-b"));
    agents.set("agent-c", startAgent(server.url, "agent-c"));
    await untilRows(page, { "agent-a": "up", "agent-b": "up", "agent-c": "up" }, "three rows up");
    // A declared interval is trusted from a host's second report on (attack review F8).
    await until("the agents' intervals declared", async () => (await hostList(server.url)).every((h) => h.intervalSource === "declared"));
    expect((await hostList(server.url)).map((h) => [h.host, h.intervalMs, h.intervalSource])).toEqual([
      ["agent-a", INTERVAL_MS, "declared"],
      ["agent-b", INTERVAL_MS, "declared"],
      ["agent-c", INTERVAL_MS, "declared"],
    ]);
    // Values and sparklines arrive through the page's live subscription (CPU needs two ticks).
    const cpu = page.locator('tr[data-host="agent-a"] .tile[data-series="host.cpu.total{host=\\"agent-a\\"}"] .value');
    await until("agent-a's CPU", async () => ((await cpu.textContent()) ?? "").includes("%"));
    await expect(page.locator('[data-testid="hosts-counts"]').textContent()).resolves.toBe("3 up, 0 down");

    // Killed: down (once 3 intervals passed without a report, says the server), then restarted: up.
    await agents.get("agent-c")!.stop("SIGKILL");
    await untilRows(page, { "agent-a": "up", "agent-b": "up", "agent-c": "down" }, "agent-c down");
    await expect(page.locator('[data-testid="hosts-counts"]').textContent()).resolves.toBe("2 up, 1 down");
    const c = (await hostList(server.url)).find((h) => h.host === "agent-c")!;
    expect(c.since - c.lastSeenAt).toBeGreaterThan(3 * INTERVAL_MS);
    agents.set("agent-c", startAgent(server.url, "agent-c"));
    await untilRows(page, { "agent-a": "up", "agent-b": "up", "agent-c": "up" }, "agent-c up again");

    // Cut off from the server: it keeps collecting into its buffer; down. Back: up, and the buffer lands.
    const b = agents.get("agent-b")!;
    proxy.down();
    const cutAt = Date.now();
    await untilRows(page, { "agent-a": "up", "agent-b": "down", "agent-c": "up" }, "agent-b down");
    await until("agent-b buffering a few ticks", () => (b.collectedTs().filter((ts) => ts > cutAt).length >= 3 ? true : undefined));
    proxy.up();
    const backAt = Date.now();
    await untilRows(page, { "agent-a": "up", "agent-b": "up", "agent-c": "up" }, "agent-b up again");
    const buffered = b.collectedTs().filter((ts) => ts > cutAt && ts < backAt);
    expect(buffered.length).toBeGreaterThanOrEqual(3);
    // Every tick it collected while cut off is in the server's history (the interval gauge is sent every tick).
    await until("agent-b's buffered ticks in history", async () => {
      const held = new Set(await historyTs(server.url, 'livedash.agent.interval_seconds{host="agent-b"}', buffered[0]! - 1, buffered.at(-1)! + 1));
      return buffered.every((ts) => held.has(ts)) ? true : undefined;
    });

    // A row links to that host's overview, with the host picker set; the top bar's Hosts link leads back.
    await page.locator('tr[data-host="agent-c"] th a').click();
    await page.waitForURL((url) => url.pathname === "/" && url.searchParams.get("host") === "agent-c");
    await until("the host picker on agent-c", async () => ((await page.locator('[data-testid="host-select"]').inputValue()) === "agent-c" ? true : undefined));
    await page.locator('[data-testid="hosts-link"]').click();
    await page.waitForURL((url) => url.pathname === "/hosts");
    await untilRows(page, { "agent-a": "up", "agent-b": "up", "agent-c": "up" }, "rows again");
    expect(errors).toEqual([]);
  });

  // Attack review (F4): `w\u0435b1` (Cyrillic е) rendered exactly as `web1`; ingest cannot refuse it.
  it("a host name with a look-alike letter is marked (non-ASCII) with its code points; an ASCII one is not", async () => {
    const res = await fetch(`${server.url}/api/ingest`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ points: [{ series: "host.load.1m", labels: { host: "w\u0435b1" }, value: 1 }] }),
    });
    expect(res.status).toBe(200);
    const page = await browser.context.newPage();
    await page.goto(`${web.url}/hosts`);
    const marker = page.locator('tr[data-host="w\u0435b1"] [data-testid="host-non-ascii"]');
    await until("the marked look-alike row", async () => ((await marker.count()) === 1 ? true : undefined));
    expect(await marker.getAttribute("title")).toBe("non-ASCII: U+0435 \u0435 at 1");
    expect(await page.locator('tr[data-host="agent-a"] [data-testid="host-non-ascii"]').count()).toBe(0);
  });
});
