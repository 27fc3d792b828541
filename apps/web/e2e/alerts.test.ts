import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserHandle, ChildService } from "./harness";
import { collectErrors, freePort, ingest, launchBrowser, startDashboard, startLivedashServer, until } from "./harness";

const SERIES = "test.alert.value";
const RULE = "test-value-high";
const RULES = `rules:
  - name: ${RULE}
    series: ${SERIES}
    above: 50
    clear: 40
    for: 1s
    severity: critical
    description: the e2e value is high
`;

/** A steady source of SERIES whose value the test moves across the threshold. */
function startValuePusher(serverUrl: string) {
  let value = 10;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = async () => {
    await ingest(serverUrl, [{ series: SERIES, value, ts: Date.now() }]).catch(() => undefined);
    if (!stopped) timer = setTimeout(() => void tick(), 200);
  };
  void tick();
  return {
    set: (next: number) => void (value = next),
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

const attr = (page: Page, selector: string, name: string) => page.locator(selector).first().getAttribute(name, { timeout: 1_000 }).catch(() => null);

describe("alerts in the dashboard", () => {
  let dir: string;
  let server: ChildService;
  let web: ChildService;
  let browser: BrowserHandle;
  let pusher: ReturnType<typeof startValuePusher>;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "livedash-alerts-e2e-"));
    const rulesFile = path.join(dir, "rules.yaml");
    writeFileSync(rulesFile, RULES);
    const webPort = await freePort();
    server = await startLivedashServer({ dashboardOrigin: `http://127.0.0.1:${webPort}`, env: { LIVEDASH_ALERT_RULES: rulesFile } });
    web = await startDashboard({ port: webPort, serverUrl: server.url });
    browser = await launchBrowser();
    pusher = startValuePusher(server.url);
  });

  afterAll(async () => {
    pusher?.stop();
    await browser?.close();
    await web?.stop();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("an alert fires: the bell counts it live, its chart and panel are outlined, the alerts page lists it; a silence from the UI marks it, still listed", async () => {
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${web.url}/?window=1m&charts=${SERIES}`);
    const chart = `[data-chart="custom:${SERIES}"]`;
    await page.locator(`${chart} canvas`).first().waitFor();
    await until("bell shows 0", async () => ((await attr(page, '[data-testid="alert-bell"]', "data-firing")) === "0" ? true : undefined));
    expect(await attr(page, chart, "data-alert")).toBeNull();

    // Past the threshold: pending, then firing once `for` (1 s) has passed. The page is not reloaded.
    pusher.set(90);
    await until("bell counts the firing alert", async () => ((await attr(page, '[data-testid="alert-bell"]', "data-firing")) === "1" ? true : undefined));
    expect(await page.getByTestId("alert-bell-count").textContent()).toBe("1");
    await until("chart outlined as firing", async () => ((await attr(page, chart, "data-alert")) === "firing" ? true : undefined));
    expect(await attr(page, '[data-panel="custom"]', "data-alert")).toBe("firing");
    const outline = await page.locator(chart).evaluate((el) => getComputedStyle(el).outlineStyle);
    expect(outline).toBe("solid");
    // The transition is an annotation too: drawn on the chart.
    await until("firing marker on the chart", async () => ((await page.locator(`${chart} [data-annotation^="alert:"][data-tone="firing"]`).count()) > 0 ? true : undefined));

    // The alerts page lists it as firing, not silenced.
    await page.getByTestId("alert-bell").click();
    await page.waitForURL(`${web.url}/alerts`);
    const row = page.locator(`[data-section="firing"] [data-alert-row="${RULE}"]`);
    await row.waitFor();
    expect(await row.getAttribute("data-series")).toBe(SERIES);
    expect(await row.getAttribute("data-silenced")).toBe("false");
    expect(await page.locator(`[data-testid="transitions"] tr[data-to="firing"]`).count()).toBeGreaterThan(0);

    // Silence it from its row: the form is filled with the rule; a reason and submit.
    await row.getByRole("button", { name: `Silence ${RULE}` }).click();
    const form = page.getByTestId("silence-form");
    expect(await form.locator('select[name="rule"]').inputValue()).toBe(RULE);
    await form.locator('input[name="reason"]').fill("e2e maintenance");
    await form.locator('input[name="duration"]').fill("10m");
    await page.getByTestId("silence-save").click();
    await until("row marked silenced", async () => ((await row.getAttribute("data-silenced").catch(() => null)) === "true" ? true : undefined));
    // Still listed under firing, marked; the bell counts only unsilenced ones.
    expect(await row.locator(".silenced-tag").textContent()).toBe("silenced");
    const silence = page.locator(`[data-testid="silences"] tr[data-rule="${RULE}"]`);
    expect(await silence.locator('[data-field="reason"]').textContent()).toBe("e2e maintenance");
    await until("bell back to 0", async () => ((await attr(page, '[data-testid="alert-bell"]', "data-firing")) === "0" ? true : undefined));

    // Expire it from the list: the alert is unsilenced again and counted.
    await silence.getByRole("button", { name: "Expire silence: e2e maintenance" }).click();
    await until("silence gone", async () => ((await silence.count()) === 0 ? true : undefined));
    await until("row unsilenced", async () => ((await row.getAttribute("data-silenced").catch(() => null)) === "false" ? true : undefined));
    await until("bell counts it again", async () => ((await attr(page, '[data-testid="alert-bell"]', "data-firing")) === "1" ? true : undefined));
    await page.close();
    expect(errors).toEqual([]);
  });

  it("an annotation posted to POST /api/annotations shows on the chart, live, with its text on hover", async () => {
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${web.url}/?window=1m&charts=${SERIES}`);
    const chart = `[data-chart="custom:${SERIES}"]`;
    await page.locator(`${chart} canvas`).first().waitFor();
    const text = `deploy v1.4 (e2e ${Date.now()})`;
    const res = await fetch(`${server.url}/api/annotations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text, ts: Date.now() - 5_000, tags: ["deploy"] }),
    });
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: number };
    const marker = page.locator(`${chart} [data-annotation="user:${id}"]`);
    await marker.waitFor({ timeout: 15_000 });
    expect(await marker.getAttribute("data-kind")).toBe("line");
    const tooltip = marker.locator(".annotation-text");
    expect(await tooltip.isVisible()).toBe(false);
    await marker.hover();
    await until("text shown on hover", async () => ((await tooltip.isVisible()) ? true : undefined));
    expect(await tooltip.textContent()).toContain(text);
    expect(await marker.getAttribute("aria-label")).toContain(text);

    // A range is a band.
    const range = await fetch(`${server.url}/api/annotations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "load test", ts: Date.now() - 20_000, endTs: Date.now() - 10_000 }),
    });
    const band = page.locator(`${chart} [data-annotation="user:${((await range.json()) as { id: number }).id}"]`);
    await band.waitFor({ timeout: 15_000 });
    expect(await band.getAttribute("data-kind")).toBe("band");
    expect((await band.boundingBox())?.width ?? 0).toBeGreaterThan(20);
    await page.close();
    expect(errors).toEqual([]);
  });

  it("rules from the UI: a bad field shows the error naming it (browser and server checks), a good rule is created, edited and deleted", async () => {
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${web.url}/alerts`);
    await until("alerts loaded", async () => ((await attr(page, '[data-testid="alerts-page"]', "data-loaded")) === "true" ? true : undefined));
    const form = page.getByTestId("rule-form");
    await form.locator('input[name="name"]').fill("e2e-rule");
    await form.locator('input[name="series"]').fill("test.other.*");
    await form.locator('input[name="threshold"]').fill("5");
    await form.locator('input[name="for"]').fill("soon");
    await page.getByTestId("rule-save").click();
    const forError = form.locator('[data-field-error="for"]');
    await forError.waitFor();
    expect(await forError.textContent()).toMatch(/^for: must be a duration/);
    expect(await form.locator('input[name="for"]').getAttribute("aria-invalid")).toBe("true");

    // A regex only the server compiles: its answer names the field too.
    await form.locator('input[name="for"]').fill("2s");
    await form.locator('input[name="series"]').fill('test.other{host=~"("}');
    await page.getByTestId("rule-save").click();
    const seriesError = form.locator('[data-field-error="series"]');
    await seriesError.waitFor();
    expect(await seriesError.textContent()).toContain("series");
    expect(await form.locator('[data-field-error="for"]').count()).toBe(0);

    // A rules-file rule's name is the server's CONFLICT, shown at the name.
    await form.locator('input[name="series"]').fill("test.other.*");
    await form.locator('input[name="name"]').fill(RULE);
    await page.getByTestId("rule-save").click();
    await form.locator('[data-field-error="name"]').waitFor();
    expect(await form.locator('[data-field-error="name"]').textContent()).toContain("rules file");

    // Valid: saved, listed with its condition, editable, deletable.
    await form.locator('input[name="name"]').fill("e2e-rule");
    await page.getByTestId("rule-save").click();
    const ruleRow = page.locator('[data-testid="rules"] tr[data-rule="e2e-rule"]');
    await ruleRow.waitFor();
    expect(await ruleRow.textContent()).toContain("above 5 for 2s");
    await ruleRow.getByRole("button", { name: "Edit rule e2e-rule" }).click();
    await until("edit form filled from the rule", async () => ((await form.locator('input[name="for"]').inputValue()) === "2s" ? true : undefined));
    expect(await form.locator('input[name="name"]').inputValue()).toBe("e2e-rule");
    await form.locator('input[name="threshold"]').fill("7");
    await page.getByTestId("rule-save").click();
    await until("edited rule listed", async () => ((await ruleRow.textContent().catch(() => ""))?.includes("above 7 for 2s") ? true : undefined));
    const listed = (await (await fetch(`${server.url}/api/alerts`)).json()) as { rules: { name: string; source: string; rule: { above?: number } }[] };
    expect(listed.rules.find((r) => r.name === "e2e-rule")).toMatchObject({ source: "api", rule: { above: 7 } });
    await ruleRow.getByRole("button", { name: "Delete rule e2e-rule" }).click();
    await until("rule deleted", async () => ((await ruleRow.count()) === 0 ? true : undefined));
    await page.close();
    expect(errors).toEqual([]);
  });
});
