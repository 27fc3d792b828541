import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { hash } from "@node-rs/argon2";
import { launchChromium } from "@livedash/test-support";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChildService } from "./harness";
import { WEB_DIR, collectErrors, freePort, seriesTimestamps, startDashboard, startLivedashServer, startPusher, until } from "./harness";

const READ = "read-token-e2e-0123456789abcdef";
const INGEST = "ingest-token-e2e-0123456789abcdef";
const PASSWORD = "correct-horse-battery-staple";
const SERIES = "test.e2e.signin";
const COOKIE = "livedash_session";
const CAROL_PASSWORD = "carol-password-0123";

/** Sign-in on: the server needs tokens, the web app has the read token and an admin password. */
async function startSignInStack(webEnv: Record<string, string> = {}) {
  // A second user, in a users file, for the lockout test (admin stays usable for the others).
  const dir = await mkdtemp(path.join(tmpdir(), "livedash-users-"));
  const usersFile = path.join(dir, "users.json");
  await writeFile(usersFile, JSON.stringify({ users: [{ name: "carol", role: "viewer", passwordHash: await hash(CAROL_PASSWORD) }] }));
  const webPort = await freePort();
  const server = await startLivedashServer({
    dashboardOrigin: `http://127.0.0.1:${webPort}`,
    env: { LIVEDASH_READ_TOKEN: READ, LIVEDASH_INGEST_TOKEN: INGEST },
  });
  const web = await startDashboard({
    port: webPort,
    serverUrl: server.url,
    env: { LIVEDASH_READ_TOKEN: READ, LIVEDASH_ADMIN_PASSWORD: PASSWORD, LIVEDASH_USERS_FILE: usersFile, ...webEnv },
  });
  const pusher = startPusher(() => server.url, SERIES, 200, INGEST);
  return {
    server,
    web,
    pusher,
    async stop() {
      pusher.stop();
      await web.stop();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Goes to `target`, lands on /login (nothing of the dashboard rendered), signs in, and is back at `target`. */
async function signIn(page: Page, web: ChildService, target: string, password = PASSWORD, user = "admin"): Promise<void> {
  await page.goto(`${web.url}${target}`);
  expect(new URL(page.url()).pathname).toBe("/login");
  expect(new URL(page.url()).searchParams.get("next")).toBe(target);
  expect(await page.getByTestId("connection-badge").count()).toBe(0);
  await page.locator('input[name="user"]').fill(user);
  await page.locator('input[name="password"]').fill(password);
  await page.locator('button[type="submit"]').click();
}

async function expectLive(page: Page, transport: "ws" | "sse" | "poll", count = 5): Promise<void> {
  const badge = page.getByTestId("connection-badge");
  await until(`badge ${transport}/live`, async () =>
    (await badge.getAttribute("data-transport")) === transport && (await badge.getAttribute("data-status")) === "live" ? true : undefined,
  );
  const before = (await seriesTimestamps(page, SERIES)).length;
  await until(`${count} new points of ${SERIES}`, async () => ((await seriesTimestamps(page, SERIES)).length >= before + count ? true : undefined));
}

async function sessionCookie(context: BrowserContext): Promise<string | undefined> {
  return (await context.cookies()).find((c) => c.name === COOKIE)?.value;
}

describe("dashboard sign-in", () => {
  let stack: Awaited<ReturnType<typeof startSignInStack>>;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startSignInStack();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it.each(["ws", "sse", "poll"] as const)("signs in, then the charts go live over %s with tickets only", async (transport) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = collectErrors(page);
    const urls: string[] = [];
    page.on("request", (req) => urls.push(req.url()));
    page.on("websocket", (ws) => urls.push(ws.url()));
    await signIn(page, stack.web, `/?charts=${SERIES}&transport=${transport}`);
    await page.waitForURL((url) => url.pathname === "/");
    await expectLive(page, transport);
    expect(await page.getByTestId("user-menu").getAttribute("data-user")).toBe("admin");
    // The cookie is the one the issue asks for.
    const cookie = (await context.cookies()).find((c) => c.name === COOKIE);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax", secure: false, path: "/" });
    expect(cookie!.expires).toBeGreaterThan(Date.now() / 1000);
    // Nothing the page requested carried the read token; SSE carried a ticket, WS and poll none in the URL.
    expect(urls.filter((u) => u.includes(READ))).toEqual([]);
    if (transport !== "sse") expect(urls.filter((u) => u.startsWith(stack.server.url) && u.includes("ticket"))).toEqual([]);
    await context.close();
    // A fresh profile asks for /favicon.ico on the redirect to /login (no page, so no icon link yet).
    expect(errors.filter((e) => !e.includes("/favicon.ico"))).toEqual([]);
  });

  it("the /transports page measures all four transports with tickets", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = collectErrors(page);
    await signIn(page, stack.web, `/transports?series=${SERIES}`);
    await page.waitForURL((url) => url.pathname === "/transports");
    for (const kind of ["ws", "sse", "long-poll", "short-poll"]) {
      const card = page.locator(`[data-probe="${kind}"]`);
      await until(`${kind} receiving`, async () => {
        const events = Number(await card.locator('[data-field="events"]').textContent());
        return (await card.getAttribute("data-status")) === "live" && events >= 2 ? true : undefined;
      });
    }
    await context.close();
    expect(errors.filter((e) => !e.includes("/favicon.ico"))).toEqual([]);
  });

  it("a wrong password shows an error and sets no session", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, stack.web, "/", "wrong-password-123456");
    await until("the error", async () => ((await page.getByTestId("login-error").count()) > 0 ? true : undefined));
    expect(await page.getByTestId("login-error").textContent()).toBe("wrong user name or password");
    expect(new URL(page.url()).pathname).toBe("/login");
    expect(await sessionCookie(context)).toBeUndefined();
    const ticket = await fetch(`${stack.web.url}/api/auth/ticket`, { method: "POST", headers: { origin: stack.web.url } });
    expect(ticket.status).toBe(401);
    await context.close();
  });

  it("locks a user out after 10 wrong passwords, then refuses even the right one", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, stack.web, "/", CAROL_PASSWORD, "carol");
    // The right password first: the user exists and signs in (a viewer).
    await page.waitForURL((url) => url.pathname === "/");
    expect(await page.getByTestId("user-menu").getAttribute("data-role")).toBe("viewer");
    // Leave the dashboard first: with its session gone, its periodic reads (alerts, annotations) can
    // send it to /login by itself, aborting the goto below mid-navigation (seen: net::ERR_ABORTED).
    await page.goto("about:blank");
    await context.clearCookies();
    const attempt = async (password: string) => {
      await page.locator('input[name="user"]').fill("carol");
      await page.locator('input[name="password"]').fill(password);
      await Promise.all([page.waitForResponse((res) => res.request().method() === "POST"), page.locator('button[type="submit"]').click()]);
      await until("the answer", async () => ((await page.locator('button[type="submit"]').isEnabled()) && (await page.getByTestId("login-error").count()) > 0 ? true : undefined));
      return page.getByTestId("login-error").textContent();
    };
    await page.goto(`${stack.web.url}/login`);
    for (let i = 0; i < 10; i++) expect(await attempt(`wrong-password-${i}`)).toBe("wrong user name or password");
    await attempt(CAROL_PASSWORD);
    // The answer may render a moment after the response: wait for the new text, not the old one.
    await until("the lockout message", async () => (/^too many failed sign-ins; try again in \d+ s$/.test((await page.getByTestId("login-error").textContent()) ?? "") ? true : undefined));
    expect(await sessionCookie(context)).toBeUndefined();
    await context.close();
  });

  it("sign-out revokes the session on the server: the old cookie no longer works", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, stack.web, `/?charts=${SERIES}`);
    await expectLive(page, "ws");
    const value = await sessionCookie(context);
    expect(value).toBeDefined();
    const replay = () =>
      fetch(`${stack.web.url}/api/auth/ticket`, { method: "POST", headers: { cookie: `${COOKIE}=${value}`, origin: stack.web.url } });
    expect((await replay()).status).toBe(200);
    // Sign-out from another site (CSRF) is refused and changes nothing.
    const forged = await fetch(`${stack.web.url}/api/auth/signout`, { method: "POST", headers: { cookie: `${COOKIE}=${value}`, origin: "http://evil.example" } });
    expect(forged.status).toBe(403);
    expect((await replay()).status).toBe(200);
    await page.getByTestId("sign-out").click();
    await page.waitForURL((url) => url.pathname === "/login");
    expect(await sessionCookie(context)).toBeUndefined();
    expect((await replay()).status).toBe(401);
    const pageWithOldCookie = await fetch(`${stack.web.url}/`, { headers: { cookie: `${COOKIE}=${value}` }, redirect: "manual" });
    expect(pageWithOldCookie.status).toBe(307);
    expect(pageWithOldCookie.headers.get("location")).toMatch(/\/login\?next=%2F$/);
    await context.close();
  });

  it("the read token is nowhere in the page, its bundles, its storage or its cookies", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, stack.web, `/?charts=${SERIES}`);
    await expectLive(page, "ws");
    expect(await page.content()).not.toContain(READ);
    const html = await (await fetch(`${stack.web.url}/`, { headers: { cookie: `${COOKIE}=${await sessionCookie(context)}` } })).text();
    expect(html).toContain("connection-badge");
    expect(html).not.toContain(READ);
    const login = await (await fetch(`${stack.web.url}/login`)).text();
    expect(login).not.toContain(READ);
    const storage = await page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie }));
    expect(storage).not.toContain(READ);
    // httpOnly: scripts cannot read the session cookie at all.
    expect(await page.evaluate(() => document.cookie)).not.toContain(COOKIE);
    // Every file the build serves under /_next/static, fetched from the running app.
    const staticDir = path.join(WEB_DIR, ".next/static");
    const files = (await readdir(staticDir, { recursive: true, withFileTypes: true })).filter((f) => f.isFile());
    const jsFiles = files.filter((f) => f.name.endsWith(".js"));
    expect(jsFiles.length).toBeGreaterThan(3);
    for (const file of files) {
      const rel = path.relative(staticDir, path.join(file.parentPath, file.name)).split(path.sep).join("/");
      const res = await fetch(`${stack.web.url}/_next/static/${rel}`);
      expect(res.status, rel).toBe(200);
      expect((await res.text()).includes(READ), rel).toBe(false);
    }
    await context.close();
  });
});

describe("session expiry while streaming", () => {
  let stack: Awaited<ReturnType<typeof startSignInStack>>;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startSignInStack({ LIVEDASH_SESSION_TTL: "15s" });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it("goes to the sign-in page when the session ends, and after signing in again the stream resumes with no gap", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const target = `/?charts=${SERIES}&transport=ws`;
    await signIn(page, stack.web, target);
    await page.waitForURL((url) => url.pathname === "/");
    await expectLive(page, "ws");
    // The session (15 s) ends while the socket streams: the page's next ticket request answers 401.
    await page.waitForURL((url) => url.pathname === "/login", { timeout: 30_000 });
    const signedOutAt = Date.now();
    expect(new URL(page.url()).searchParams.get("next")).toBe(target);
    await page.locator('input[name="user"]').fill("admin");
    await page.locator('input[name="password"]').fill(PASSWORD);
    await page.locator('button[type="submit"]').click();
    await page.waitForURL((url) => url.pathname === "/");
    await expectLive(page, "ws");
    // Points pushed while the user was on the sign-in page are on the chart (backfilled), none twice.
    const shown = await seriesTimestamps(page, SERIES);
    const missed = stack.pusher.sent.filter((ts) => ts >= signedOutAt - 1_000 && ts <= signedOutAt + 1_000);
    expect(missed.length).toBeGreaterThan(0);
    for (const ts of missed) expect(shown).toContain(ts);
    expect(new Set(shown).size).toBe(shown.length);
    await context.close();
  });
});
