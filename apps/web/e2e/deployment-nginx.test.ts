import { execFileSync, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { startPeer } from "@livedash/test-support";
import type { PeerProcess } from "@livedash/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserHandle, ChildService } from "./harness";
import { REPO_ROOT, collectErrors, freePort, launchBrowser, startDashboard, startLivedashServer, startPusher, until, untilGrowing, untilLiveOn } from "./harness";

/**
 * docs/deployment.md step 4, run: docs/nginx-tls.conf.example (the file the doc tells a team to install)
 * on a self-signed certificate in front of a real server and `next start`; Chromium, an https client
 * and `livedash agent` go through it. Only ports and certificate paths are substituted.
 */
const SITE_CONF = path.join(REPO_ROOT, "docs/nginx-tls.conf.example");
const SERIES = "test.nginx.wave";
const INGEST_TOKEN = "nginx-test-ingest-token-0123456789";
const READ_TOKEN = "nginx-test-read-token-0123456789ab";
const PASSWORD = "nginx-test-admin-password";

/** Replaces each `from` of the doc's config; a `from` the doc no longer has fails loudly (update test and doc together). */
function substitute(text: string, pairs: [string, string][]): string {
  let out = text;
  for (const [from, to] of pairs) {
    if (!out.includes(from)) throw new Error(`docs/nginx-tls.conf.example no longer contains "${from}": update this test with the doc`);
    out = out.split(from).join(to);
  }
  return out;
}

/** A request over https trusting only the test's certificate; resolves with status and body. */
function httpsRequest(url: string, ca: Buffer, init: { method?: string; headers?: Record<string, string>; body?: Buffer } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? "GET", headers: init.headers, ca }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end(init.body);
  });
}

describe("the team set-up behind nginx with TLS (docs/deployment.md)", () => {
  let dir: string;
  let ca: Buffer;
  let origin: string;
  let server: ChildService;
  let web: ChildService;
  let nginx: PeerProcess;
  let browser: BrowserHandle;
  let pusher: ReturnType<typeof startPusher>;
  let agent: ChildProcess | undefined;
  let agentLog = "";

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "livedash-nginx-"));
    // nginx started as root runs its workers as nobody: they need to enter the prefix for temp files.
    await chmod(dir, 0o755);
    const cert = path.join(dir, "cert.pem");
    const key = path.join(dir, "key.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], { stdio: "ignore" });
    ca = await readFile(cert);
    const [serverPort, webPort, httpsPort, httpPort, readyPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    origin = `https://127.0.0.1:${httpsPort}`;

    // Step 1, the server: both tokens, the dashboard's public origin allowed.
    server = await startLivedashServer({ port: serverPort, dashboardOrigin: origin, env: { LIVEDASH_READ_TOKEN: READ_TOKEN, LIVEDASH_INGEST_TOKEN: INGEST_TOKEN } });
    // Step 2, the dashboard with sign-in: browsers reach the server at the public origin (LIVEDASH_URL),
    // the web server mints tickets over loopback (LIVEDASH_INTERNAL_URL).
    web = await startDashboard({
      port: webPort,
      serverUrl: origin,
      env: { LIVEDASH_INTERNAL_URL: server.url, LIVEDASH_READ_TOKEN: READ_TOKEN, LIVEDASH_ADMIN_PASSWORD: PASSWORD },
    });

    const site = substitute(await readFile(SITE_CONF, "utf8"), [
      ["listen 443 ssl http2;", `listen 127.0.0.1:${httpsPort} ssl http2;`],
      ["listen 80;", `listen 127.0.0.1:${httpPort};`],
      ["server 127.0.0.1:4000;", `server 127.0.0.1:${serverPort};`],
      ["server 127.0.0.1:3000;", `server 127.0.0.1:${webPort};`],
      ["/etc/letsencrypt/live/livedash.example.com/fullchain.pem", cert],
      ["/etc/letsencrypt/live/livedash.example.com/privkey.pem", key],
    ]);
    // The doc's file is an http-level include (sites-enabled); this is the nginx.conf around it, plus a
    // plain-http port that only says "ready".
    const conf = path.join(dir, "nginx.conf");
    await writeFile(
      conf,
      [
        `pid ${dir}/nginx.pid;`,
        "error_log stderr warn;",
        "worker_processes 1;",
        "events { worker_connections 512; }",
        "http {",
        "  access_log off;",
        ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path ${dir}/${t};`),
        site,
        `  server { listen 127.0.0.1:${readyPort}; location / { return 200 "ready"; } }`,
        "}",
      ].join("\n"),
    );
    nginx = await startPeer({ command: "nginx", args: ["-p", `${dir}/`, "-e", "stderr", "-g", "daemon off;", "-c", conf], aptPackage: "nginx", readyUrl: `http://127.0.0.1:${readyPort}/` });
    browser = await launchBrowser({ ignoreHTTPSErrors: true });
    pusher = startPusher(() => server.url, SERIES, 200, INGEST_TOKEN);
  });

  afterAll(async () => {
    pusher?.stop();
    if (agent && agent.exitCode === null) {
      const exited = new Promise((resolve) => agent?.once("exit", resolve));
      agent.kill("SIGTERM");
      await exited;
    }
    await browser?.close();
    await nginx?.stop();
    await web?.stop();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  let signedIn: Promise<void> | undefined;
  /** Signs the browser context in once, through https: /login, the admin's password, back to the page. */
  function signInOnce(): Promise<void> {
    signedIn ??= (async () => {
      const page = await browser.context.newPage();
      await page.goto(`${origin}/?charts=${SERIES}`);
      expect(new URL(page.url()).pathname).toBe("/login");
      await page.locator('input[name="user"]').fill("admin");
      await page.locator('input[name="password"]').fill(PASSWORD);
      await page.locator('button[type="submit"]').click();
      await until("back on the dashboard", () => (new URL(page.url()).pathname === "/" ? true : undefined));
      await page.close();
    })();
    return signedIn;
  }

  it("signing in over https (Secure cookie), the dashboard goes live over wss through nginx", async () => {
    await signInOnce();
    // Secure: nginx told Next the page came over https (X-Forwarded-Proto, set in every location).
    const cookie = (await browser.context.cookies(origin)).find((c) => c.name === "livedash_session");
    expect(cookie).toMatchObject({ secure: true, httpOnly: true, sameSite: "Lax" });
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${origin}/?charts=${SERIES}`);
    await untilLiveOn(page, "ws");
    await untilGrowing(page, SERIES);
    await page.close();
    expect(errors).toEqual([]);
  });

  it("SSE is not buffered by nginx: with WebSocket blocked the dashboard stays live on SSE, not long-polling", async () => {
    await signInOnce();
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    await page.routeWebSocket(/.*/, (ws) => ws.close());
    await page.goto(`${origin}/?charts=${SERIES}`);
    await untilLiveOn(page, "sse");
    await untilGrowing(page, SERIES);
    await page.close();
    expect(errors).toEqual([]);
  });

  it("plain /sse streams event by event over https", async () => {
    const events = await new Promise<string[]>((resolve, reject) => {
      const seen: string[] = [];
      const req = request(`${origin}/sse?series=${SERIES}`, { ca, headers: { accept: "text/event-stream", authorization: `Bearer ${READ_TOKEN}` } }, (res) => {
        expect(res.statusCode).toBe(200);
        expect(res.headers["content-type"]).toMatch(/^text\/event-stream/);
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          seen.push(...chunk.split("\n").filter((line) => line === "event: points"));
          // Three events while the stream stays open: they come one by one, not when a buffer fills or the stream ends.
          if (seen.length >= 3) {
            req.destroy();
            resolve(seen);
          }
        });
      });
      req.on("error", reject);
      req.end();
    });
    expect(events.length).toBeGreaterThanOrEqual(3);
  });

  it("an agent pushes through nginx with its token (gzip batches), and a zip bomb gets the server's 413 naming the limit", async () => {
    const tokenFile = path.join(dir, "ingest-token");
    await writeFile(tokenFile, `${INGEST_TOKEN}\n`, { mode: 0o600 });
    agent = spawn(process.execPath, ["--import", "tsx", "packages/client/src/cli/bin.ts", "agent", "--server", origin, "--token-file", tokenFile, "--host", "agent-tls", "--interval", "500ms"], {
      cwd: REPO_ROOT,
      env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(dir, "cert.pem") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    agent.stdout?.on("data", (d: Buffer) => (agentLog += d.toString()));
    agent.stderr?.on("data", (d: Buffer) => (agentLog += d.toString()));
    await until(`the agent's first batch (log: ${agentLog})`, () => (agentLog.includes(`connected: the server at ${origin} accepted the first batch`) ? true : undefined), 30_000);
    await until("the agent's points in the catalog", async () => {
      const res = await fetch(`${server.url}/trpc/metrics.catalog`, { headers: { authorization: `Bearer ${READ_TOKEN}` } });
      const catalog = ((await res.json()) as { result: { data: { key: string; last: { value: number } | null }[] } }).result.data;
      return catalog.find((e) => e.key === 'livedash.agent.interval_seconds{host="agent-tls"}')?.last?.value === 0.5 &&
        catalog.some((e) => e.key === 'host.mem.used_bytes{host="agent-tls"}' && e.last !== null)
        ? true
        : undefined;
    });

    const headers = { "content-type": "application/json", "content-encoding": "gzip", authorization: `Bearer ${INGEST_TOKEN}` };
    // 8 MiB of JSON whitespace: ~8 KiB on the wire, past the server's 1 MiB once inflated.
    const bomb = gzipSync(Buffer.concat([Buffer.from('{"points":['), Buffer.alloc(8 * 1_048_576, 0x20), Buffer.from("]}")]));
    const refused = await httpsRequest(`${origin}/api/ingest`, ca, { method: "POST", headers, body: bomb });
    expect(refused.status).toBe(413);
    expect((JSON.parse(refused.body) as { error: { message: string } }).error.message).toBe(
      "request body decompresses to more than allowed (limit 1048576 bytes, LIVEDASH_MAX_BODY_BYTES)",
    );
    // Without the token, through nginx: the server's 401, not a page of the dashboard.
    const anonymous = await httpsRequest(`${origin}/api/ingest`, ca, { method: "POST", headers: { "content-type": "application/json" }, body: Buffer.from('{"points":[]}') });
    expect(anonymous.status).toBe(401);
  });
});
