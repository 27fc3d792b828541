import type { HostsEvent, HostSummary } from "@livedash/events";
import { createTRPCClient, createWSClient, httpSubscriptionLink, wsLink } from "@trpc/client";
import type { AppRouter } from "@livedash/api";
import { EventSource } from "eventsource";
import WebSocket from "ws";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { LivedashServer } from "../src/server";
import type { ServerOptions } from "../src/server";
import { tempDataDir } from "./helpers/data-dir";
import { httpClient } from "./helpers/live-clients";
import { startRedis } from "./helpers/redis-server";
import type { TestRedis } from "./helpers/redis-server";
import { startTestServer } from "./helpers/server";

const WAIT = { timeout: 10_000, interval: 20 };
/** The reporters' interval, declared like an agent does: down after 3 of them, 600 ms. */
const INTERVAL_MS = 200;
const FAST: ServerOptions = { hosts: { sweepIntervalMs: 20, publishIntervalMs: 50, stateDelayMs: 0 } };
const ENV = { LIVEDASH_HOST_MIN_INTERVAL_MS: "100" };

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/api/ingest`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
}

/** One host's collector batch, as JSON with `labels` (what an agent or a script sends). */
function report(url: string, host: string, headers: Record<string, string> = {}) {
  const labels = { host };
  return post(
    url,
    {
      points: [
        { series: "host.cpu.total", labels, value: 10 + host.length },
        { series: "host.mem.used_percent", labels, value: 50 },
        { series: "host.load.1m", labels, value: 0.5 },
        { series: "livedash.agent.interval_seconds", labels, value: INTERVAL_MS / 1000 },
      ],
    },
    headers,
  );
}

/** Reporters that each push every INTERVAL_MS until stopped (bounded: the test stops them, and at most 300 rounds). */
function reporters(url: () => string, hosts: string[], headers: Record<string, string> = {}) {
  const running = new Set(hosts);
  let rounds = 0;
  const timer = setInterval(() => {
    if (++rounds > 300) return clearInterval(timer);
    for (const host of running) void report(url(), host, headers).catch(() => undefined);
  }, INTERVAL_MS);
  return {
    stop: (host: string) => running.delete(host),
    start: (host: string) => running.add(host),
    close: () => clearInterval(timer),
  };
}

const states = (hosts: readonly HostSummary[]) => Object.fromEntries(hosts.map((h) => [h.host, h.state]));

/** hosts.live through tRPC's own links: wsLink, httpSubscriptionLink (EventSource). */
function openHostsLive(transport: "ws" | "sse", url: string, connectionParams?: { ticket: string }) {
  const events: { id: string; data: HostsEvent }[] = [];
  const errors: unknown[] = [];
  let close: () => Promise<void>;
  const handlers = { onData: (e: { id: string; data: HostsEvent }) => events.push(e), onError: (e: unknown) => errors.push(e) };
  if (transport === "ws") {
    const ws = createWSClient({ url: `${url.replace(/^http/, "ws")}/trpc`, WebSocket: WebSocket as never, connectionParams: connectionParams ?? null });
    const sub = createTRPCClient<AppRouter>({ links: [wsLink({ client: ws })] }).hosts.live.subscribe({}, handlers);
    close = async () => (sub.unsubscribe(), await ws.close());
  } else {
    const link = httpSubscriptionLink({ url: `${url}/trpc`, EventSource, connectionParams: connectionParams ?? null });
    const sub = createTRPCClient<AppRouter>({ links: [link] }).hosts.live.subscribe({}, handlers);
    close = async () => sub.unsubscribe();
  }
  return { events, errors, latest: () => events.at(-1)?.data, close: () => close() };
}

describe("fleet: three hosts reporting through JSON ingest", () => {
  let server: LivedashServer;
  const cleanups: (() => unknown)[] = [];
  beforeAll(async () => {
    server = await startTestServer(ENV, FAST);
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  afterAll(async () => {
    await server.close();
  });

  it("hosts.list shows every host up with its values; a silent one goes down after 3 intervals and back up", async () => {
    const fleet = reporters(() => server.url, ["alpha", "bravo", "charlie"]);
    cleanups.push(fleet.close);
    const trpc = httpClient(server.url);
    await vi.waitFor(async () => expect(states((await trpc.hosts.list.query()).hosts)).toEqual({ alpha: "up", bravo: "up", charlie: "up" }), WAIT);
    // A declared interval is trusted from a host's second report on (attack review F8): wait for it.
    await vi.waitFor(async () => expect((await trpc.hosts.list.query()).hosts.every((h) => h.intervalSource === "declared")).toBe(true), WAIT);
    const alpha = (await trpc.hosts.list.query()).hosts[0]!;
    expect(alpha).toMatchObject({ host: "alpha", cpuPercent: 15, memPercent: 50, load1: 0.5, intervalMs: INTERVAL_MS, intervalSource: "declared" });

    fleet.stop("bravo");
    const stoppedAt = Date.now();
    await vi.waitFor(async () => expect(states((await trpc.hosts.list.query()).hosts)).toEqual({ alpha: "up", bravo: "down", charlie: "up" }), WAIT);
    const bravo = (await trpc.hosts.list.query()).hosts.find((h) => h.host === "bravo")!;
    // Down once 3 intervals passed since its last report, not before.
    expect(bravo.since - bravo.lastSeenAt).toBeGreaterThan(3 * INTERVAL_MS);
    expect(bravo.lastSeenAt).toBeLessThanOrEqual(stoppedAt + 50);

    fleet.start("bravo");
    await vi.waitFor(async () => expect(states((await trpc.hosts.list.query()).hosts)).toEqual({ alpha: "up", bravo: "up", charlie: "up" }), WAIT);
  });

  it.each(["ws", "sse"] as const)("hosts.live over %s: a snapshot at once, then state changes", async (transport) => {
    const fleet = reporters(() => server.url, ["alpha", "bravo", "charlie"]);
    cleanups.push(fleet.close);
    const live = openHostsLive(transport, server.url);
    cleanups.push(live.close);
    await vi.waitFor(() => expect(states(live.latest()?.hosts ?? [])).toEqual({ alpha: "up", bravo: "up", charlie: "up" }), WAIT);
    // Down after 3 of its declared intervals, trusted from its second report on (attack review F8).
    await vi.waitFor(() => expect(live.latest()!.hosts.every((h) => h.intervalSource === "declared")).toBe(true), WAIT);
    fleet.stop("charlie");
    await vi.waitFor(() => expect(states(live.latest()!.hosts)).toMatchObject({ charlie: "down" }), WAIT);
    fleet.start("charlie");
    await vi.waitFor(() => expect(states(live.latest()!.hosts)).toMatchObject({ charlie: "up" }), WAIT);
    expect(live.errors).toEqual([]);
    // Ids are unique and every event is a whole, sorted snapshot.
    expect(new Set(live.events.map((e) => e.id)).size).toBe(live.events.length);
    for (const { data } of live.events) expect(data.hosts.map((h) => h.host)).toEqual([...data.hosts.map((h) => h.host)].sort());
  });

  it("hosts.poll: waitMs 0 answers the snapshot at once; with the cursor it waits for the next one", async () => {
    const trpc = httpClient(server.url);
    const first = await trpc.hosts.poll.query({ waitMs: 0 });
    expect(first.events).toHaveLength(1);
    expect(first.cursor).toBe(first.events[0]!.id);
    const waiting = trpc.hosts.poll.query({ cursor: first.cursor, waitMs: 10_000 });
    await report(server.url, "delta");
    const next = await waiting;
    expect(next.events).toHaveLength(1);
    expect(next.cursor).not.toBe(first.cursor);
    expect(next.events[0]!.event.hosts.map((h) => h.host)).toContain("delta");
    // Nothing new within waitMs: an empty answer with the same cursor.
    const idle = await trpc.hosts.poll.query({ cursor: next.cursor, waitMs: 1 });
    expect(idle.events.length === 0 || idle.cursor !== next.cursor).toBe(true);
  });

  it("refuses bad input naming the field", async () => {
    const trpc = httpClient(server.url);
    await expect(trpc.hosts.poll.query({ waitMs: -1 })).rejects.toThrow(/waitMs must be at least 0/);
    await expect(trpc.hosts.poll.query({ waitMs: 0, extra: 1 } as never)).rejects.toThrow(/extra/);
  });
});

describe("fleet: refusals of a full registry were logged but counted nowhere", () => {
  it("/metrics counts the points of hosts LIVEDASH_MAX_HOSTS kept out, and the hosts tracked; hosts.list names the last one", async () => {
    const server = await startTestServer({ ...ENV, LIVEDASH_MAX_HOSTS: "1" }, FAST);
    try {
      await report(server.url, "inside");
      await report(server.url, "outside");
      const metric = (text: string, name: string) => Number(new RegExp(`^${name} (\\d+)$`, "m").exec(text)?.[1]);
      await vi.waitFor(async () => {
        const text = await (await fetch(`${server.url}/metrics`)).text();
        expect(text).toContain("# TYPE livedash_hosts_refused_points_total counter");
        // The 4 points of "outside"'s one report.
        expect(metric(text, "livedash_hosts_refused_points_total")).toBe(4);
        expect(text).toMatch(/^livedash_hosts\{state="up"\} 1$/m);
        expect(text).toMatch(/^livedash_hosts\{state="down"\} 0$/m);
      }, WAIT);
      const list = await httpClient(server.url).hosts.list.query();
      expect(list.hosts.map((h) => h.host)).toEqual(["inside"]);
      expect(list.refused).toEqual({ points: 4, maxHosts: 1, lastHost: "outside" });
    } finally {
      await server.close();
    }
  });
});

describe("fleet: with tokens", () => {
  const READ = "read-token-0123456789";
  const INGEST = "ingest-token-0123456789";
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer({ ...ENV, LIVEDASH_READ_TOKEN: READ, LIVEDASH_INGEST_TOKEN: INGEST }, FAST);
    await report(server.url, "secure", { authorization: `Bearer ${INGEST}` });
  });
  afterAll(async () => {
    await server.close();
  });

  it("hosts.* need the read token or a ticket", async () => {
    await expect(httpClient(server.url).hosts.list.query()).rejects.toThrow(/read token/);
    expect((await httpClient(server.url, { authorization: `Bearer ${READ}` }).hosts.list.query()).hosts.map((h) => h.host)).toEqual(["secure"]);
    const { ticket } = server.services.tickets.issue();
    for (const transport of ["ws", "sse"] as const) {
      const live = openHostsLive(transport, server.url, { ticket });
      await vi.waitFor(() => expect(live.latest()?.hosts.map((h) => h.host)).toEqual(["secure"]), WAIT);
      await live.close();
      const refused = openHostsLive(transport, server.url, { ticket: "forged" });
      await vi.waitFor(() => expect(String(refused.errors[0])).toMatch(/read token/), WAIT);
      await refused.close();
    }
  });
});

describe("fleet: across a restart and across instances", () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it("a restart on the disk store rebuilds last seen from the store", async () => {
    const data = tempDataDir();
    try {
      const env = { ...ENV, LIVEDASH_STORAGE: "disk", LIVEDASH_DATA_DIR: data.dir };
      const first = await startTestServer(env, FAST);
      await report(first.url, "persisted");
      await vi.waitFor(() => expect(first.services.hosts.list().hosts).toHaveLength(1), WAIT);
      const before = first.services.hosts.list().hosts[0]!;
      await first.close();
      const second = await startTestServer(env, FAST);
      try {
        const after = second.services.hosts.list().hosts;
        expect(after).toEqual([expect.objectContaining({ host: "persisted", lastPointAt: before.lastPointAt, cpuPercent: before.cpuPercent, intervalMs: INTERVAL_MS })]);
      } finally {
        await second.close();
      }
    } finally {
      data.remove();
    }
  });

  it("redis: a host reporting to one instance shows, and goes down, on every instance", async () => {
    const env = { ...ENV, REDIS_URL: redis.url, LIVEDASH_REDIS_STREAM: `test:hosts:${process.pid}` };
    const a = await startTestServer(env, FAST);
    const b = await startTestServer(env, FAST);
    const fleet = reporters(() => a.url, ["r1", "r2"]);
    const live = openHostsLive("ws", b.url);
    try {
      await vi.waitFor(() => expect(states(live.latest()?.hosts ?? [])).toEqual({ r1: "up", r2: "up" }), WAIT);
      await vi.waitFor(async () => expect(states((await httpClient(b.url).hosts.list.query()).hosts)).toEqual({ r1: "up", r2: "up" }), WAIT);
      // Down after 3 of its declared intervals, trusted from its second report on (attack review F8).
      await vi.waitFor(() => expect([a, b].every((s) => s.services.hosts.list().hosts.every((h) => h.intervalSource === "declared"))).toBe(true), WAIT);
      fleet.stop("r2");
      await vi.waitFor(() => expect(states(live.latest()!.hosts)).toEqual({ r1: "up", r2: "down" }), WAIT);
      await vi.waitFor(() => expect(states(a.services.hosts.list().hosts)).toEqual({ r1: "up", r2: "down" }), WAIT);
    } finally {
      fleet.close();
      await live.close();
      await a.close();
      await b.close();
    }
  });
});
