import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { hash } from "@node-rs/argon2";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserHandle, ChildService } from "./harness";
import { collectErrors, freePort, launchBrowser, startDashboard, startLivedashServer, until } from "./harness";

const READ = "read-token-alerts-0123456789abcdef";
const INGEST = "ingest-token-alerts-0123456789abcdef";
const PASSWORD = "correct-horse-battery-staple";
const SERIES = "test.alert.signed";
const RULE = "signed-high";

/**
 * Sign-in on: the Livedash server requires tokens; the browser reads with tickets and never holds a
 * token; the alerts page's writes go through Server Actions holding LIVEDASH_INGEST_TOKEN.
 */
describe("alerts with sign-in on", () => {
  let dir: string;
  let server: ChildService;
  let web: ChildService;
  let browser: BrowserHandle;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let value = 10;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "livedash-alerts-signin-"));
    const rules = path.join(dir, "rules.yaml");
    writeFileSync(rules, `- { name: ${RULE}, series: ${SERIES}, above: 50, for: 0s }\n`);
    const users = path.join(dir, "users.json");
    const passwordHash = await hash(PASSWORD);
    writeFileSync(users, JSON.stringify({ users: [{ name: "ed", role: "editor", passwordHash }, { name: "vi", role: "viewer", passwordHash }] }));
    const webPort = await freePort();
    server = await startLivedashServer({
      dashboardOrigin: `http://127.0.0.1:${webPort}`,
      env: { LIVEDASH_READ_TOKEN: READ, LIVEDASH_INGEST_TOKEN: INGEST, LIVEDASH_ALERT_RULES: rules },
    });
    web = await startDashboard({ port: webPort, serverUrl: server.url, env: { LIVEDASH_READ_TOKEN: READ, LIVEDASH_INGEST_TOKEN: INGEST, LIVEDASH_USERS_FILE: users } });
    browser = await launchBrowser();
    const push = async () => {
      await fetch(`${server.url}/api/ingest`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${INGEST}` },
        body: JSON.stringify({ points: [{ series: SERIES, value, ts: Date.now() }] }),
      }).catch(() => undefined);
      if (!stopped) timer = setTimeout(() => void push(), 200);
    };
    void push();
  });

  afterAll(async () => {
    stopped = true;
    clearTimeout(timer);
    await browser?.close();
    await web?.stop();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function signInAt(page: Page, user: string): Promise<void> {
    await page.goto(`${web.url}/alerts`);
    expect(new URL(page.url()).pathname).toBe("/login");
    await page.locator('input[name="user"]').fill(user);
    await page.locator('input[name="password"]').fill(PASSWORD);
    await page.locator('button[type="submit"]').click();
    await page.waitForURL(`${web.url}/alerts`);
    await until("alerts loaded with a ticket", async () => ((await page.getByTestId("alerts-page").getAttribute("data-loaded")) === "true" ? true : undefined));
  }

  it("an editor sees the alert fire (reads by ticket) and creates a rule through the Server Action's ingest token", async () => {
    // One cookie jar per browser: each user signs in from a clean one.
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    await signInAt(page, "ed");
    expect(await page.getByTestId("user-menu").getAttribute("data-role")).toBe("editor");
    value = 90;
    await until("bell counts the firing alert", async () => ((await page.getByTestId("alert-bell").getAttribute("data-firing")) === "1" ? true : undefined));
    await page.locator(`[data-section="firing"] [data-alert-row="${RULE}"]`).waitFor();

    const form = page.getByTestId("rule-form");
    await form.locator('input[name="name"]').fill("made-signed-in");
    await form.locator('input[name="series"]').fill("test.other");
    await form.locator('input[name="threshold"]').fill("3");
    await page.getByTestId("rule-save").click();
    await page.locator('[data-testid="rules"] tr[data-rule="made-signed-in"]').waitFor();
    const listed = (await (await fetch(`${server.url}/api/alerts`, { headers: { authorization: `Bearer ${READ}` } })).json()) as { rules: { name: string }[] };
    expect(listed.rules.map((r) => r.name)).toContain("made-signed-in");
    // Nothing in the page holds a token.
    expect(await page.content()).not.toContain(INGEST);
    expect(await page.content()).not.toContain(READ);
    await page.close();
    expect(errors).toEqual([]);
  });

  it("a viewer reads the alerts page but gets no forms or row actions", async () => {
    // One cookie jar per browser: each user signs in from a clean one.
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    await signInAt(page, "vi");
    await page.getByTestId("read-only").waitFor();
    await page.locator(`[data-alert-row="${RULE}"]`).first().waitFor();
    expect(await page.getByTestId("rule-form").count()).toBe(0);
    expect(await page.getByTestId("silence-form").count()).toBe(0);
    expect(await page.getByRole("button", { name: `Silence ${RULE}` }).count()).toBe(0);
    await page.close();
    expect(errors).toEqual([]);
  });
});
