import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { hash } from "@node-rs/argon2";
import { launchChromium } from "@livedash/test-support";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChildService } from "./harness";
import { WEB_DIR, freePort, startDashboard, startLivedashServer } from "./harness";

const READ = "read-token-guard-0123456789abcdef";
const INGEST = "ingest-token-guard-0123456789abcdef";
const COOKIE = "livedash_session";
const PASSWORDS = { admin: "admin-password-guard-1", vera: "vera-password-guard-1", eddie: "eddie-password-guard-1" };

interface Listed {
  rules: { name: string }[];
  silences: { reason: string }[];
}

/**
 * Attack review of #13: the alerts page's Server Actions (rules, silences) are plain POSTs any
 * holder of a signed cookie can send with `Next-Action: <id>`; proxy.ts checks only the cookie's
 * signature, so each action must check the live session and the role itself.
 */
describe("dashboard writes need a live session with a writer role", () => {
  let server: ChildService;
  let web: ChildService;
  let browser: Browser;
  let dir: string;
  let actions: Record<string, string>;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "livedash-guard-"));
    const usersFile = path.join(dir, "users.json");
    await writeFile(
      usersFile,
      JSON.stringify({
        users: [
          { name: "vera", role: "viewer", passwordHash: await hash(PASSWORDS.vera) },
          { name: "eddie", role: "editor", passwordHash: await hash(PASSWORDS.eddie) },
        ],
      }),
    );
    const webPort = await freePort();
    server = await startLivedashServer({ dashboardOrigin: `http://127.0.0.1:${webPort}`, env: { LIVEDASH_READ_TOKEN: READ, LIVEDASH_INGEST_TOKEN: INGEST } });
    web = await startDashboard({
      port: webPort,
      serverUrl: server.url,
      env: { LIVEDASH_READ_TOKEN: READ, LIVEDASH_INGEST_TOKEN: INGEST, LIVEDASH_ADMIN_PASSWORD: PASSWORDS.admin, LIVEDASH_USERS_FILE: usersFile },
    });
    browser = await launchChromium();
    // The action ids the build gave app/alerts/actions.ts, as a browser learns them from the page's JS.
    const manifest = JSON.parse(await readFile(path.join(WEB_DIR, ".next/server/server-reference-manifest.json"), "utf8")) as {
      node: Record<string, { filename: string; exportedName: string }>;
    };
    actions = Object.fromEntries(Object.entries(manifest.node).filter(([, a]) => a.filename.endsWith("app/alerts/actions.ts")).map(([id, a]) => [a.exportedName, id]));
  });
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function signIn(user: keyof typeof PASSWORDS): Promise<string> {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${web.url}/login`);
    await page.locator('input[name="user"]').fill(user);
    await page.locator('input[name="password"]').fill(PASSWORDS[user]);
    await page.locator('button[type="submit"]').click();
    await page.waitForURL((url) => url.pathname === "/");
    const value = (await context.cookies()).find((c) => c.name === COOKIE)?.value;
    await context.close();
    expect(value).toBeDefined();
    return value!;
  }

  /** What the browser sends for a Server Action call: POST to the page, `Next-Action`, the arguments as JSON. */
  async function callAction(name: string, args: unknown[], cookie: string): Promise<string> {
    const id = actions[name];
    expect(id, name).toBeDefined();
    const res = await fetch(`${web.url}/alerts`, {
      method: "POST",
      headers: { "next-action": id!, accept: "text/x-component", origin: web.url, "content-type": "text/plain;charset=UTF-8", cookie: `${COOKIE}=${cookie}` },
      body: JSON.stringify(args),
      redirect: "manual",
    });
    return res.text();
  }

  async function listed(): Promise<Listed> {
    const res = await fetch(`${server.url}/trpc/alerts.list`, { headers: { authorization: `Bearer ${READ}` } });
    return ((await res.json()) as { result: { data: Listed } }).result.data;
  }

  it("an editor writes through the actions (the calls below are the real protocol)", async () => {
    const cookie = await signIn("eddie");
    await callAction("saveRuleAction", [{ name: "editor-rule", series: "host.cpu.*", above: 90 }], cookie);
    await callAction("silenceAction", [{ labels: { host: "web1" }, reason: "editor silence", duration: "1h" }], cookie);
    const now = await listed();
    expect(now.rules.map((r) => r.name)).toContain("editor-rule");
    expect(now.silences.map((s) => s.reason)).toContain("editor silence");
  });

  it("a viewer's action calls are refused and change nothing", async () => {
    const cookie = await signIn("vera");
    const answers = [
      await callAction("saveRuleAction", [{ name: "viewer-rule", series: "host.cpu.*", above: 1 }], cookie),
      await callAction("silenceAction", [{ labels: { host: "web2" }, reason: "viewer silence", duration: "1h" }], cookie),
      await callAction("deleteRuleAction", ["editor-rule"], cookie),
    ];
    for (const answer of answers) expect(answer).toContain("is a viewer");
    const now = await listed();
    expect(now.rules.map((r) => r.name).sort()).toEqual(["editor-rule"]);
    expect(now.silences.map((s) => s.reason)).not.toContain("viewer silence");
  });

  it("a signed-out cookie can neither write nor open a page", async () => {
    const cookie = await signIn("admin");
    const signout = await fetch(`${web.url}/api/auth/signout`, { method: "POST", headers: { origin: web.url, cookie: `${COOKIE}=${cookie}` }, redirect: "manual" });
    expect(signout.status).toBe(303);
    const answer = await callAction("deleteRuleAction", ["editor-rule"], cookie);
    expect(answer).toContain("sign in first");
    expect((await listed()).rules.map((r) => r.name)).toEqual(["editor-rule"]);
    // Every page checks the session itself (proxy.ts checks only the signature); /hosts rendered its shell.
    for (const path of ["/", "/alerts", "/hosts", "/transports"]) {
      const page = await fetch(`${web.url}${path}`, { headers: { cookie: `${COOKIE}=${cookie}` }, redirect: "manual" });
      expect(page.status, path).toBe(307);
      expect(page.headers.get("location"), path).toBe(`/login?next=${encodeURIComponent(path)}`);
    }
  });
});
