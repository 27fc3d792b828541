import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { hash } from "@node-rs/argon2";
import { launchChromium } from "@livedash/test-support";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChildService } from "./harness";
import { freePort, seriesTimestamps, startDashboard, startLivedashServer, startPusher, until } from "./harness";

const READ = "read-token-proxy-0123456789abcdef";
const SECRET = "proxy-secret-0123456789abcdef";
const SERIES = "test.e2e.proxy";

/** Auth-proxy mode: a user header is trusted only with the proxy's secret; roles come from the users file. */
describe("auth-proxy mode", () => {
  let server: ChildService;
  let web: ChildService;
  let browser: Browser;
  let dir: string;
  let pusher: ReturnType<typeof startPusher>;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "livedash-users-"));
    const usersFile = path.join(dir, "users.json");
    await writeFile(usersFile, JSON.stringify({ users: [{ name: "alice", role: "editor", passwordHash: await hash("alice-password-123") }] }));
    const webPort = await freePort();
    server = await startLivedashServer({ dashboardOrigin: `http://127.0.0.1:${webPort}`, env: { LIVEDASH_READ_TOKEN: READ } });
    web = await startDashboard({
      port: webPort,
      serverUrl: server.url,
      env: { LIVEDASH_READ_TOKEN: READ, LIVEDASH_USERS_FILE: usersFile, LIVEDASH_AUTH_PROXY_HEADER: "x-forwarded-user", LIVEDASH_AUTH_PROXY_SECRET: SECRET },
    });
    pusher = startPusher(() => server.url, SERIES, 200);
    browser = await launchChromium();
  });
  afterAll(async () => {
    pusher?.stop();
    await browser?.close();
    await web?.stop();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A page whose requests to the web app carry what the proxy would add (never those to the Livedash server). */
  async function pageBehindProxy(headers: Record<string, string>): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    await page.route(`${web.url}/**`, (route) => route.continue({ headers: { ...route.request().headers(), ...headers } }));
    return page;
  }

  it("a listed user from the proxy gets the file's role and live charts, with no sign-in page", async () => {
    const page = await pageBehindProxy({ "x-forwarded-user": "alice", "x-livedash-proxy-secret": SECRET });
    await page.goto(`${web.url}/?charts=${SERIES}`);
    expect(new URL(page.url()).pathname).toBe("/");
    const menu = page.getByTestId("user-menu");
    expect(await menu.getAttribute("data-user")).toBe("alice");
    expect(await menu.getAttribute("data-role")).toBe("editor");
    // Sign-out is the proxy's: no button here.
    expect(await page.getByTestId("sign-out").count()).toBe(0);
    await until("live points", async () => ((await seriesTimestamps(page, SERIES)).length >= 5 ? true : undefined));
    await page.context().close();
  });

  it("an unlisted proxy user is a viewer", async () => {
    const page = await pageBehindProxy({ "x-forwarded-user": "bob", "x-livedash-proxy-secret": SECRET });
    await page.goto(`${web.url}/`);
    expect(await page.getByTestId("user-menu").getAttribute("data-role")).toBe("viewer");
    await page.context().close();
  });

  it.each([
    ["without the secret", { "x-forwarded-user": "alice" }],
    ["with a wrong secret", { "x-forwarded-user": "alice", "x-livedash-proxy-secret": "wrong-secret-0123456789" }],
  ])("a user header %s is not trusted: sign-in page, no ticket", async (_case, headers) => {
    const page = await pageBehindProxy(headers);
    await page.goto(`${web.url}/`);
    expect(new URL(page.url()).pathname).toBe("/login");
    await page.context().close();
    const ticket = await fetch(`${web.url}/api/auth/ticket`, { method: "POST", headers: { ...headers, origin: web.url } });
    expect(ticket.status).toBe(401);
  });
});
