import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import type { ServerResponse } from "node:http";
import { chmod, copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync, gzipSync } from "node:zlib";
import type { CatalogEntry, LiveEvent } from "@livedash/events";
import { freePort } from "@livedash/test-support";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createLivedashClient } from "../src/node";
import { startAgent } from "./helpers/agent-process";
import type { AgentProcess } from "./helpers/agent-process";
import { startServerProcess } from "./helpers/server-process";
import type { ServerProcess } from "./helpers/server-process";

const INGEST_TOKEN = "agent-test-ingest-token-0123456789";
const READ_TOKEN = "agent-test-read-token-0123456789ab";
const TOKENS = { LIVEDASH_INGEST_TOKEN: INGEST_TOKEN, LIVEDASH_READ_TOKEN: READ_TOKEN };

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "livedash-agent-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function tokenFile(token: string): Promise<string> {
  const path = join(await tempDir(), "ingest-token");
  await writeFile(path, `${token}\n`);
  await chmod(path, 0o600);
  return path;
}

function agent(args: string[], options: { standalone?: string } = {}): AgentProcess {
  const proc = startAgent(args, options);
  cleanups.push(() => proc.signal("SIGKILL"));
  return proc;
}

async function server(port = 0, env: Record<string, string> = {}): Promise<ServerProcess> {
  const proc = await startServerProcess(port, { ...TOKENS, ...env });
  cleanups.push(() => proc.kill());
  return proc;
}

/**
 * The ts of one series from metrics.history over [from, to]: raw rows, one for one, while they are at
 * most maxPoints (the disk store answers a wide range from a coarser tier: keep it to the test's minutes).
 */
async function historyTs(url: string, key: string, [from, to]: readonly number[]): Promise<number[]> {
  const input = encodeURIComponent(JSON.stringify({ series: [key], from: (from ?? 0) - 60_000, to: (to ?? 0) + 60_000, maxPoints: 10_000 }));
  const res = await fetch(`${url}/trpc/metrics.history?input=${input}`, { headers: { authorization: `Bearer ${READ_TOKEN}` } });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { result: { data: { series: string; points: { ts: number }[] }[] } };
  return body.result.data.find((s) => s.series === key)?.points.map((p) => p.ts) ?? [];
}

async function catalog(url: string): Promise<CatalogEntry[]> {
  const res = await fetch(`${url}/trpc/metrics.catalog`, { headers: { authorization: `Bearer ${READ_TOKEN}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { result: { data: CatalogEntry[] } }).result.data;
}

const intervalKey = (host: string) => `livedash.agent.interval_seconds{host="${host}"}`;
const logged = (proc: AgentProcess, pattern: RegExp) => proc.lines().filter((line) => pattern.test(line));

describe("livedash agent (real processes)", () => {
  // The bin runs the bundle when there is one: build it so the test runs what users run.
  beforeAll(() => {
    execFileSync(process.execPath, ["build.mjs"], { cwd: fileURLToPath(new URL("..", import.meta.url)), stdio: "ignore" });
  });

  it("pushes every tick labelled with its host, stamped when collected, with units; SIGTERM sends the last ticks and exits 0", async () => {
    const srv = await server();
    const a = agent(["--server", srv.url, "--token-file", await tokenFile(INGEST_TOKEN), "--host", "agent-a", "--interval", "200ms", "--verbose"]);
    await vi.waitFor(() => expect(a.collectedTs().length).toBeGreaterThanOrEqual(5), { timeout: 15_000, interval: 50 });
    expect(await a.signal("SIGTERM")).toBe(0);
    expect(a.lines().at(-1)).toBe("livedash agent: stopped: every collected point was sent");

    const collected = a.collectedTs();
    // Stamped on the collection grid, one ts per tick, never twice.
    for (const ts of collected) expect(ts % 200).toBe(0);
    expect(new Set(collected).size).toBe(collected.length);
    // Every tick, up to the one collected just before SIGTERM, is on the server under its collection ts.
    expect(await historyTs(srv.url, intervalKey("agent-a"), collected)).toEqual(collected);
    expect(await historyTs(srv.url, 'host.mem.used_bytes{host="agent-a"}', collected)).toEqual(collected);

    const entries = await catalog(srv.url);
    const withValues = entries.filter((e) => e.last !== null);
    expect(withValues.length).toBeGreaterThan(10);
    for (const e of withValues) expect(e.labels.host).toBe("agent-a");
    const names = new Set(withValues.map((e) => e.name));
    for (const name of ["host.cpu.total", "host.mem.used_bytes", "host.load.1m", "process.rss_bytes", "livedash.agent.interval_seconds"]) expect(names).toContain(name);
    // The server's own series are not the agent's to send.
    expect([...names].filter((n) => n.startsWith("livedash.") && !n.startsWith("livedash.agent."))).toEqual([]);
    // Metadata went along: the catalog knows the units.
    expect(withValues.find((e) => e.key === 'host.cpu.total{host="agent-a"}')).toMatchObject({ unit: "percent" });
    expect(withValues.find((e) => e.key === intervalKey("agent-a"))).toMatchObject({ unit: "seconds", last: { value: 0.2 } });
  });

  it("an outage loses nothing: ticks buffered while the server is down arrive after its restart, stamped when collected, in order, none twice", async () => {
    const dataDir = await tempDir();
    const disk = { LIVEDASH_STORAGE: "disk", LIVEDASH_DATA_DIR: dataDir };
    let srv = await server(0, disk);
    const a = agent(["--server", srv.url, "--token-file", await tokenFile(INGEST_TOKEN), "--host", "agent-b", "--interval", "200ms", "--max-backoff", "1s", "--verbose"]);

    // A live subscriber across the restart: it sees every accepted batch once, in the order the server took them.
    const client = createLivedashClient({ url: srv.url, token: READ_TOKEN, transport: "ws", ladder: { backoffBaseMs: 50, maxBackoffMs: 300 } });
    cleanups.push(() => client.close());
    const received: number[] = [];
    let resets = 0;
    const sub = client.trpc.metrics.live.subscribe(
      { series: [intervalKey("agent-b")] },
      {
        onData: ({ data }: { data: LiveEvent }) => {
          if (data.type === "reset") resets++;
          else for (const p of data.points) received.push(p.ts);
        },
      },
    );
    cleanups.push(() => sub.unsubscribe());
    await vi.waitFor(() => expect(received.length).toBeGreaterThanOrEqual(3), { timeout: 15_000, interval: 50 });

    expect(await srv.stop()).toBe(0);
    await vi.waitFor(() => expect(logged(a, new RegExp(`cannot reach the Livedash server at ${srv.url} \\(ECONNREFUSED\\)`)).length).toBeGreaterThan(0), { timeout: 10_000, interval: 50 });
    // The outage lasts while the agent collects 10 more ticks (2 s at 200 ms).
    const atFailure = a.collectedTs().length;
    await vi.waitFor(() => expect(a.collectedTs().length).toBeGreaterThanOrEqual(atFailure + 10), { timeout: 15_000, interval: 50 });
    const restartedAt = Date.now();
    const duringOutage = a.collectedTs().slice(atFailure);
    srv = await server(srv.port, disk);
    await vi.waitFor(() => expect(logged(a, /answers again after \d+s; sending \d+ buffered points, oldest first/)).toHaveLength(1), { timeout: 15_000, interval: 50 });

    expect(await a.signal("SIGTERM")).toBe(0);
    const collected = a.collectedTs();
    await vi.waitFor(() => expect(received.at(-1)).toBe(collected.at(-1)), { timeout: 15_000, interval: 50 });
    // Stamped at collection, not at sending: the outage's ticks carry times before the server came back.
    for (const ts of duringOutage) expect(ts).toBeLessThan(restartedAt);
    expect(resets).toBe(0);
    // In order, none twice, none missing: the live stream and the history (which survived the restart) both.
    expect(received).toEqual(collected);
    expect(await historyTs(srv.url, intervalKey("agent-b"), collected)).toEqual(collected);
  });

  it("with a full buffer drops the oldest points, never holds more than --buffer-points, and says how many it dropped", async () => {
    const port = await freePort();
    const a = agent(["--server", `http://127.0.0.1:${port}`, "--host", "agent-c", "--interval", "100ms", "--buffer-points", "120", "--flush-timeout", "1s", "--verbose"]);
    await vi.waitFor(() => expect(logged(a, /buffer full \(--buffer-points 120\): dropped the oldest \d+ points/)).toHaveLength(1), { timeout: 15_000, interval: 50 });
    const atDrop = a.collectedTs().length;
    await vi.waitFor(() => expect(a.collectedTs().length).toBeGreaterThanOrEqual(atDrop + 5), { timeout: 15_000, interval: 50 });

    const lastBeforeRestart = a.collectedTs().at(-1) ?? 0;
    // The server comes up without tokens on the port the agent was told (tokenless loopback, no --token-file).
    const srv = await startServerProcess(port);
    cleanups.push(() => srv.kill());
    await vi.waitFor(() => expect(logged(a, /answers again/)).toHaveLength(1), { timeout: 15_000, interval: 50 });
    expect(await a.signal("SIGTERM")).toBe(0);

    const buffered = a.lines().flatMap((line) => /collected \d+ points at ts \d+ \(buffered (\d+)\)/.exec(line)?.[1] ?? []).map(Number);
    expect(buffered.length).toBeGreaterThan(atDrop);
    expect(Math.max(...buffered)).toBeLessThanOrEqual(120);
    // Every drop is accounted for: the per-log counts add up to the total the last drop line reports.
    const drops = a.lines().flatMap((line) => {
      const m = /dropped the oldest (\d+) points \((\d+) since start\)/.exec(line);
      return m ? [[Number(m[1]), Number(m[2])] as const] : [];
    });
    expect(drops.length).toBeGreaterThanOrEqual(2);
    const total = drops.reduce((sum, [n]) => sum + n, 0);
    expect(drops.at(-1)?.[1]).toBe(total);
    // The newest points survived, the oldest went: history is the tail of what was collected, and of
    // the ticks collected before the server came back at most the last 120 points (3 ticks of ~48).
    const collected = a.collectedTs();
    const history = await historyTs(srv.url, intervalKey("agent-c"), collected);
    expect(history).toEqual(collected.slice(collected.length - history.length));
    expect(history.filter((ts) => ts <= lastBeforeRestart).length).toBeLessThanOrEqual(3);
  });

  it("a wrong token exits 78 naming the token file; no token file exits 78 saying to pass one; an unreadable file exits 78 before collecting", async () => {
    const srv = await server();
    const file = await tokenFile("not-the-ingest-token-0123456789");
    const wrong = agent(["--server", srv.url, "--token-file", file, "--interval", "100ms"]);
    expect(await wrong.exited).toBe(78);
    expect(wrong.output()).toContain(`the server at ${srv.url} refused the ingest token from ${file} (401: `);
    expect(wrong.output()).not.toContain("not-the-ingest-token");
    // The refused batch is not lost without a word.
    expect(wrong.lines().at(-1)).toMatch(/^livedash agent: exiting: [1-9]\d* collected points were not sent$/);

    const none = agent(["--server", srv.url, "--interval", "100ms"]);
    expect(await none.exited).toBe(78);
    expect(none.output()).toContain(`the server at ${srv.url} needs an ingest token (401: `);
    expect(none.output()).toContain("pass --token-file FILE");

    const missing = join(await tempDir(), "nope");
    const unreadable = agent(["--server", srv.url, "--token-file", missing]);
    expect(await unreadable.exited).toBe(78);
    expect(unreadable.output()).toBe(`livedash agent: cannot read token file ${missing} (ENOENT)\n`);
  });

  it("a wrong URL is named in its message and retried; SIGTERM then gives up after --flush-timeout and exits 0", async () => {
    const port = await freePort();
    const refused = agent(["--server", `http://127.0.0.1:${port}/`, "--interval", "100ms", "--flush-timeout", "500ms"]);
    await vi.waitFor(() => expect(refused.output()).toContain(`cannot reach the Livedash server at http://127.0.0.1:${port} (ECONNREFUSED); `), { timeout: 15_000, interval: 50 });
    expect(await refused.signal("SIGTERM")).toBe(0);
    expect(refused.lines().at(-1)).toMatch(/^livedash agent: stopped: \d+ points could not be sent within --flush-timeout 0\.5s$/);

    const unknown = agent(["--server", "http://livedash-agent-test.invalid:4000", "--interval", "100ms", "--flush-timeout", "0s"]);
    await vi.waitFor(() => expect(unknown.output()).toMatch(/cannot reach the Livedash server at http:\/\/livedash-agent-test\.invalid:4000 \((ENOTFOUND|EAI_AGAIN)\)/), { timeout: 15_000, interval: 50 });
    expect(await unknown.signal("SIGINT")).toBe(0);
  });

  it("batches the server refused (400) were dropped, yet the agent stopped saying every collected point was sent", async () => {
    const refusing = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(400, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: "points[0].ts: timestamp is 9 minutes in the future (limit 5m)" } }));
      });
    });
    await new Promise<void>((resolve) => refusing.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise((resolve) => refusing.close(resolve)));
    const { port } = refusing.address() as { port: number };
    const a = agent(["--server", `http://127.0.0.1:${port}`, "--token-file", await tokenFile(INGEST_TOKEN), "--host", "agent-r", "--interval", "100ms", "--flush-timeout", "500ms"]);
    await vi.waitFor(() => expect(logged(a, /the server refused a batch of \d+ points and they are dropped/).length).toBeGreaterThanOrEqual(2), { timeout: 15_000, interval: 50 });
    expect(await a.signal("SIGTERM")).toBe(0);
    const last = a.lines().at(-1) ?? "";
    expect(last).not.toContain("every collected point was sent");
    expect(last).toMatch(/stopped: \d+ points the server refused were dropped/);
  });

  /**
   * An ingest endpoint whose first POST is held until the test answers it (`answerHeld`); every later
   * one gets `later`. `held` resolves with the held batch's point count once it has arrived whole.
   */
  async function holdingServer(later: (res: ServerResponse, points: number) => void) {
    let heldRes: ServerResponse | null = null;
    let resolveHeld!: (points: number) => void;
    const held = new Promise<number>((resolve) => (resolveHeld = resolve));
    let received = 0;
    const srv = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const points = (JSON.parse(gunzipSync(Buffer.concat(chunks)).toString()) as { points: unknown[] }).points.length;
        if (heldRes === null) {
          heldRes = res;
          resolveHeld(points);
          return;
        }
        received += points;
        later(res, points);
      });
    });
    await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise((resolve) => (srv.closeAllConnections(), srv.close(resolve))));
    const accept = (res: ServerResponse, points: number) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ accepted: points }));
    return {
      url: `http://127.0.0.1:${(srv.address() as { port: number }).port}`,
      held,
      accept,
      answerHeld: (answer: (res: ServerResponse) => void) => answer(heldRes!),
      received: () => received,
    };
  }

  /** Sends SIGTERM while the held batch is in flight and returns the two counts the stopping line gives. */
  async function stopWhileInFlight(a: AgentProcess, held: Promise<number>) {
    const inFlight = await held;
    // Some ticks are buffered behind the held batch.
    await vi.waitFor(() => expect(a.collectedTs().length).toBeGreaterThanOrEqual(3), { timeout: 15_000, interval: 20 });
    const exit = a.signal("SIGTERM");
    const stopping = /^livedash agent: stopping: sending (\d+) buffered points and a batch of (\d+) points in flight \(at most [\d.]+s\)$/;
    await vi.waitFor(() => expect(logged(a, /stopping:/)).toEqual([expect.stringMatching(stopping)]), { timeout: 15_000, interval: 20 });
    const [, buffered, inFlightLogged] = stopping.exec(logged(a, /stopping:/)[0]!)!;
    expect(Number(inFlightLogged)).toBe(inFlight);
    return { buffered: Number(buffered), inFlight, exit };
  }

  it("SIGTERM while a batch was being POSTed: the stopping line left the batch in flight out; it is counted, and the stop line says it was sent", async () => {
    const srv = await holdingServer((res, points) => srv.accept(res, points));
    const a = agent(["--server", srv.url, "--host", "agent-s", "--interval", "100ms", "--verbose"]);
    const { buffered, inFlight, exit } = await stopWhileInFlight(a, srv.held);
    srv.answerHeld((res) => srv.accept(res, inFlight));
    expect(await exit).toBe(0);
    expect(a.lines().at(-1)).toBe("livedash agent: stopped: every collected point was sent");
    expect(srv.received()).toBe(buffered);
  });

  it("SIGTERM while a batch was being POSTed and never answered: the batch in flight is counted among the points that could not be sent", async () => {
    const srv = await holdingServer((res, points) => srv.accept(res, points));
    const a = agent(["--server", srv.url, "--host", "agent-u", "--interval", "100ms", "--verbose", "--flush-timeout", "500ms"]);
    const { buffered, inFlight, exit } = await stopWhileInFlight(a, srv.held);
    expect(await exit).toBe(0);
    expect(a.lines().at(-1)).toBe(`livedash agent: stopped: ${buffered + inFlight} points could not be sent within --flush-timeout 0.5s`);
    expect(srv.received()).toBe(0);
  });

  it("SIGTERM while a batch was being POSTed that the server then refused (400): the stop line counts it as dropped", async () => {
    const srv = await holdingServer((res, points) => srv.accept(res, points));
    const a = agent(["--server", srv.url, "--host", "agent-v", "--interval", "100ms", "--verbose"]);
    const { buffered, inFlight, exit } = await stopWhileInFlight(a, srv.held);
    srv.answerHeld((res) => res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "points[0].ts: too far ahead" } })));
    expect(await exit).toBe(0);
    expect(a.lines().at(-1)).toBe(`livedash agent: stopped: ${inFlight} points the server refused were dropped (see above); every other collected point was sent`);
    expect(srv.received()).toBe(buffered);
  });

  it("a batch over the server's points-per-request limit is split in smaller requests, not lost", async () => {
    const srv = await server(0, { LIVEDASH_MAX_POINTS_PER_REQUEST: "20" });
    const a = agent(["--server", srv.url, "--token-file", await tokenFile(INGEST_TOKEN), "--host", "agent-d", "--interval", "200ms", "--verbose"]);
    await vi.waitFor(() => expect(logged(a, /^livedash agent: sent /).length).toBeGreaterThanOrEqual(6), { timeout: 15_000, interval: 50 });
    expect(await a.signal("SIGTERM")).toBe(0);
    expect(logged(a, /the server refused \d+ points in one request \(.*LIVEDASH_MAX_POINTS_PER_REQUEST.*\); sending at most \d+ per request from now on/).length).toBeGreaterThan(0);
    for (const line of logged(a, /^livedash agent: sent /)) expect(Number(/sent (\d+) points/.exec(line)?.[1])).toBeLessThanOrEqual(20);
    const collected = a.collectedTs();
    expect(await historyTs(srv.url, intervalKey("agent-d"), collected)).toEqual(collected);
    expect(await historyTs(srv.url, 'host.mem.used_bytes{host="agent-d"}', collected)).toEqual(collected);
  });

  it("dist/livedash-agent.mjs runs alone, copied where there is no node_modules, and pushes like `livedash agent`", async () => {
    const srv = await server();
    const alone = join(await tempDir(), "livedash-agent.mjs");
    await copyFile(fileURLToPath(new URL("../dist/livedash-agent.mjs", import.meta.url)), alone);
    const a = agent(["--server", srv.url, "--token-file", await tokenFile(INGEST_TOKEN), "--host", "agent-e", "--interval", "200ms", "--verbose"], { standalone: alone });
    await vi.waitFor(() => expect(a.collectedTs().length).toBeGreaterThanOrEqual(3), { timeout: 15_000, interval: 50 });
    expect(await a.signal("SIGTERM")).toBe(0);
    const collected = a.collectedTs();
    expect(await historyTs(srv.url, intervalKey("agent-e"), collected)).toEqual(collected);
  });

  it("bad flags are usage errors (exit 2) naming the flag", async () => {
    const cases: [string[], string][] = [
      [["--interval", "1s"], "--server is required"],
      [["--server", "ftp://x"], "--server must start with http:// or https://"],
      [["--server", "http://x", "--interval", "fast"], '--interval must be a duration like "500ms"'],
      [["--server", "http://x", "--interval", "10ms"], "--interval must be at least 100 ms"],
      [["--server", "http://x", "--buffer-points", "0"], "--buffer-points must be at least 1"],
      [["--server", "http://x", "--host", "a\u0001b"], "--host: label value must not contain control characters"],
      [["--server", "http://x", "--host", "web\u200b1"], "--host: label value must not contain invisible or bidirectional formatting characters (Unicode Default_Ignorable_Code_Point, Bidi_Control, U+2028, U+2029; ZWJ/ZWNJ only between two letters of a script that joins, U+FE0E/U+FE0F only after an emoji, LRM/RLM/ALM only in a value with right-to-left letters): U+200B at index 3"],
      [["--server", "http://x", "--bogus"], "Unknown option '--bogus'"],
    ];
    for (const [args, message] of cases) {
      const proc = agent(args);
      expect(await proc.exited).toBe(2);
      expect(proc.lines()[0]).toContain(message);
    }
  });
});

describe("gzip bodies on POST /api/ingest", () => {
  it("takes a gzip batch and refuses a zip bomb with 413 naming the limit", async () => {
    const srv = await server(0, { LIVEDASH_MAX_BODY_BYTES: "65536" });
    const headers = { "content-type": "application/json", "content-encoding": "gzip", authorization: `Bearer ${INGEST_TOKEN}` };
    const ok = await fetch(`${srv.url}/api/ingest`, { method: "POST", headers, body: gzipSync(JSON.stringify({ points: [{ series: "gz.ok", value: 1 }] })) });
    expect(ok.status).toBe(200);
    // 16 MiB of JSON whitespace squeezes to ~16 KiB of gzip: under the limit on the wire, a bomb once inflated.
    const bomb = gzipSync(Buffer.concat([Buffer.from('{"points":['), Buffer.alloc(16 * 1_048_576, 0x20), Buffer.from("]}")]));
    expect(bomb.length).toBeLessThan(65_536);
    const refused = await fetch(`${srv.url}/api/ingest`, { method: "POST", headers, body: bomb });
    expect(refused.status).toBe(413);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(
      "request body decompresses to more than allowed (limit 65536 bytes, LIVEDASH_MAX_BODY_BYTES)",
    );
  });
});
