import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserHandle, ChildService } from "./harness";
import { collectErrors, freePort, ingest, launchBrowser, startDashboard, startLivedashServer, until } from "./harness";

/** The collectors' host label, fixed so the keys are known. */
const HOST = "e2e-host";
/** Pushed series: two hosts in eu, one in us; each keeps its value, so every aggregate is known. */
const PUSHED = [
  { series: 'test.req{host="a",region="eu"}', value: 1 },
  { series: 'test.req{host="b",region="eu"}', value: 2 },
  { series: 'test.req{host="c",region="us"}', value: 5 },
];

/** The legend rows of a chart (the time row left out): their text and their tooltip (the whole key). */
async function legend(page: Page, chart: string): Promise<{ label: string; key: string }[]> {
  // JSON quoting is CSS string quoting for these keys: `"` becomes `\"`.
  return page.locator(`[data-chart=${JSON.stringify(chart)}] .u-legend .u-series[data-series]`).evaluateAll((rows) =>
    rows.map((row) => ({ label: row.querySelector(".u-label")?.textContent ?? "", key: row.getAttribute("title") ?? "" })),
  );
}

describe("labels on the dashboard", () => {
  let server: ChildService;
  let web: ChildService;
  let browser: BrowserHandle;
  let pushing = true;
  let pusher: Promise<void> = Promise.resolve();

  beforeAll(async () => {
    const webPort = await freePort();
    server = await startLivedashServer({ dashboardOrigin: `http://127.0.0.1:${webPort}`, env: { LIVEDASH_HOSTNAME: HOST } });
    web = await startDashboard({ port: webPort, serverUrl: server.url });
    browser = await launchBrowser();
    // Every 250 ms while the tests run (bounded by afterAll), so charts have live points to draw.
    pusher = (async () => {
      for (let i = 0; pushing && i < 2400; i++) {
        await ingest(server.url, PUSHED.map((p) => ({ ...p, ts: Date.now() })));
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
  });

  afterAll(async () => {
    pushing = false;
    await pusher.catch(() => undefined);
    await browser?.close();
    await web?.stop();
    await server?.stop();
  });

  it("legends show the labels that tell the lines apart; each entry's tooltip is the whole key", async () => {
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${web.url}/?window=1m`);
    // Per core: one name, so the legend is the cpu label alone; the host is the same on every line.
    const cores = await until("per-core legend", async () => {
      const rows = await legend(page, "cpu-cores");
      return rows.length > 0 ? rows : undefined;
    });
    expect(cores[0]).toEqual({ label: 'cpu="0"', key: `host.cpu.total{cpu="0",host="${HOST}"}` });
    for (const row of cores) expect(row.label).toMatch(/^cpu="\d+"$/);
    // Names differ on the CPU usage chart: the shared prefix goes, the labels all lines share too.
    const usage = await legend(page, "cpu-usage");
    expect(usage.map((r) => r.label)).toEqual(["user", "system", "iowait", "total"]);
    expect(usage[0]?.key).toBe(`host.cpu.user{host="${HOST}"}`);
    // Connections: one line per transport.
    const conns = await until("connections legend", async () => {
      const rows = await legend(page, "ld-conns");
      return rows.length >= 5 ? rows : undefined;
    });
    expect(conns.map((r) => r.label)).toEqual(expect.arrayContaining(['connections transport="ws"', 'connections transport="sse"', "subscriptions"]));
    await page.close();
    expect(errors).toEqual([]);
  });

  it("the host picker shows another host's series and keeps it in the URL", async () => {
    // An agent's host: only its CPU total is pushed.
    await ingest(server.url, [{ series: 'host.cpu.total{host="web9"}', value: 42 }]);
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${web.url}/?window=1m`);
    const picker = page.getByTestId("host-select");
    await picker.waitFor();
    expect(await picker.inputValue()).toBe(HOST);
    await picker.selectOption("web9");
    await until("url host", () => (page.url().includes("host=web9") ? true : undefined));
    const rows = await until("web9's cpu", async () => {
      const r = await legend(page, "cpu-usage");
      return r.length === 1 ? r : undefined;
    });
    expect(rows).toEqual([{ label: "total", key: 'host.cpu.total{host="web9"}' }]);
    await page.close();
    expect(errors).toEqual([]);
  });

  it("the explorer filters by a label value and adds a chart for exactly those series", async () => {
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${web.url}/?window=1m`);
    await page.getByTestId("explorer-toggle").click();
    await page.getByTestId("explorer-search").fill("test.req");
    const region = page.locator('[data-label-filter="region"]');
    await region.waitFor();
    // The values to filter on are the ones pushed.
    expect(await region.locator("option").allTextContents()).toEqual(["any (2)", "eu", "us"]);
    await region.selectOption("us");
    const add = page.locator('[data-add-series=\'test.req{region="us"}\']');
    await add.click();
    await until("url keeps the selector", () => (decodeURIComponent(page.url()).includes('charts=test.req{region="us"}') ? true : undefined));
    const chart = 'custom:test.req{region="us"}';
    const rows = await until("one line for us", async () => {
      const r = await legend(page, chart);
      return r.length > 0 ? r : undefined;
    });
    // One series matches, so its legend shows all its labels.
    expect(rows).toEqual([{ label: 'req host="c", region="us"', key: 'test.req{host="c",region="us"}' }]);
    await until("tile value", async () => ((await page.locator('.tile[data-series=\'test.req{host="c",region="us"}\'] .value').textContent()) === "5" ? true : undefined));
    // The link alone brings the chart back.
    await page.reload();
    await until("chart after reload", async () => ((await legend(page, chart)).length === 1 ? true : undefined));
    await page.close();
    expect(errors).toEqual([]);
  });

  it("a chart grouped by a label draws one line per value, aggregated on the server", async () => {
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${web.url}/?window=1m&charts=test.req`);
    const plain = "custom:test.req";
    await until("three lines, one per series", async () => ((await legend(page, plain)).length === 3 ? true : undefined));
    expect((await legend(page, plain)).map((r) => r.label)).toEqual(['host="a", region="eu"', 'host="b", region="eu"', 'host="c", region="us"']);

    await page.locator(`[data-chart=${JSON.stringify(plain)}] [data-testid="group-by"]`).selectOption("region");
    const grouped = "custom:sum by (region) (test.req)";
    await until("url has the aggregation", () => (decodeURIComponent(page.url().replaceAll("+", " ")).includes("charts=sum by (region) (test.req)") ? true : undefined));
    const rows = await until("one line per region", async () => {
      const r = await legend(page, grouped);
      return r.length === 2 ? r : undefined;
    });
    expect(rows.map((r) => r.label)).toEqual(['region="eu"', 'region="us"']);
    expect(rows.map((r) => r.key)).toEqual(['test.req{region="eu"}', 'test.req{region="us"}']);
    // eu is a + b = 3, us is c = 5: the values are the server's sums, not one series' values.
    const tile = (key: string) => page.locator(`.tile[data-series='${key}'] .value`);
    await until("eu sum", async () => ((await tile('test.req{region="eu"}').textContent()) === "3" ? true : undefined));
    await until("us sum", async () => ((await tile('test.req{region="us"}').textContent()) === "5" ? true : undefined));
    // Another op on the same grouping.
    await page.locator(`[data-chart=${JSON.stringify(grouped)}] [data-testid="group-op"]`).selectOption("max");
    await until("eu max", async () => ((await page.locator(`.tile[data-series='test.req{region="eu"}'] .value`).textContent()) === "2" ? true : undefined));
    // The drawn lines are the groups: the chart's data has two series besides time.
    const drawn = page.locator('[data-chart="custom:max by (region) (test.req)"] .chart-host');
    await until("max chart drawn", async () => ((await drawn.getAttribute("data-series")) === 'test.req{region="eu"},test.req{region="us"}' ? true : undefined));
    await page.close();
    expect(errors).toEqual([]);
  });

  it("an overview chart grouped by a label: one line per value, aggregated on the server, kept in the URL", async () => {
    // An agent's host with two cores: grouping Per core by host averages them (20) beside this host's own.
    const agent = [
      { series: 'host.cpu.total{cpu="0",host="web7"}', value: 10 },
      { series: 'host.cpu.total{cpu="1",host="web7"}', value: 30 },
    ];
    await ingest(server.url, agent);
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${web.url}/?window=1m`);
    const picker = page.locator('[data-chart-group="cpu-cores"]');
    await picker.waitFor();
    // The choices are the label names of the series the chart shows.
    await until("cpu and host offered", async () => ((await picker.locator("option").allTextContents()).join(",") === "none,cpu,host" ? true : undefined));
    await picker.selectOption("host");
    await until("url has by", () => (decodeURIComponent(page.url()).includes("by=cpu-cores:host") ? true : undefined));
    await ingest(server.url, agent.map((p) => ({ ...p, ts: Date.now() })));
    const rows = await until("one line per host", async () => {
      const r = await legend(page, "cpu-cores");
      return r.length === 2 ? r : undefined;
    });
    expect(rows.map((r) => r.key)).toEqual([`host.cpu.total{host="${HOST}"}`, 'host.cpu.total{host="web7"}']);
    expect(await page.locator('[data-chart="cpu-cores"] h3').first().textContent()).toContain("avg by host");
    // The server's average of web7's cores, as the legend shows it off the cursor (the latest value).
    const web7 = page.locator('[data-chart="cpu-cores"] .u-legend .u-series[title=\'host.cpu.total{host="web7"}\'] .u-value');
    await until("web7 average", async () => (/^20(\.0+)?\s*%$/.test((await web7.textContent()) ?? "") ? true : undefined));
    // The link alone brings the grouping back; "none" goes back to a line per core.
    await page.reload();
    await until("grouped after reload", async () => ((await legend(page, "cpu-cores")).length === 2 ? true : undefined));
    expect(await page.locator('[data-chart-group="cpu-cores"]').inputValue()).toBe("host");
    await page.locator('[data-chart-group="cpu-cores"]').selectOption("");
    await until("url without by", () => (page.url().includes("by=") ? undefined : true));
    const cores = await until("per-core lines again", async () => {
      const r = await legend(page, "cpu-cores");
      return r.length > 0 && r.every((row) => /^cpu="\d+"$/.test(row.label)) ? r : undefined;
    });
    expect(cores[0]?.key).toBe(`host.cpu.total{cpu="0",host="${HOST}"}`);
    await page.close();
    expect(errors).toEqual([]);
  });
});
