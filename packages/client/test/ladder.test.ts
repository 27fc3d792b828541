import { afterEach, describe, expect, it, vi } from "vitest";
import type { ConnectionState } from "../src/node";
import { createLivedashClient } from "../src/node";
import { startCounter } from "./helpers/counter";
import { startProxy } from "./helpers/proxy";
import type { ProxyMode } from "./helpers/proxy";
import { startServerProcess } from "./helpers/server-process";
import { Recorder } from "./helpers/recorder";
import { startTestServer } from "./helpers/server";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Short ladder timeouts so the tests walk the ladder in well under a second per rung. */
const FAST = {
  wsOpenTimeoutMs: 1_000,
  sseFirstEventTimeoutMs: 600,
  pollWaitMs: 1_000,
  probeIntervalMs: 400,
  backoffBaseMs: 50,
  maxBackoffMs: 300,
};

async function setup(mode: ProxyMode) {
  const server = await startTestServer();
  cleanups.push(() => server.close());
  const proxy = await startProxy(server.url, mode);
  cleanups.push(() => proxy.close());
  const client = createLivedashClient({ url: proxy.url, ladder: FAST });
  cleanups.push(() => client.close());
  const states: ConnectionState[] = [];
  client.connection.subscribe((s) => states.push(s));
  const rec = new Recorder();
  const sub = client.trpc.metrics.live.subscribe({ series: ["test.counter"] }, { onData: rec.onData });
  cleanups.push(() => sub.unsubscribe());
  return { server, proxy, client, rec, states };
}

async function streamAndCheck(rec: Recorder, baseUrl: string, count: number) {
  const counter = startCounter(() => baseUrl, "test.counter", 10);
  cleanups.push(() => counter.stop());
  await vi.waitFor(() => expect(rec.values("test.counter").length).toBeGreaterThanOrEqual(count), { timeout: 15_000 });
  await counter.stop();
  await vi.waitFor(() => expect(rec.values("test.counter").at(-1)).toBe(counter.acked()), { timeout: 10_000 });
  const { problems, segments } = rec.check("test.counter");
  expect(problems).toEqual([]);
  expect(rec.resets()).toBe(0);
  expect(segments[0]?.[0]).toBeGreaterThanOrEqual(1);
}

describe("transport ladder through real proxies", () => {
  it("ends up live on SSE when a proxy refuses WebSocket upgrades", async () => {
    const { proxy, client, rec, states } = await setup("refuse-ws");
    await vi.waitFor(() => expect(client.connection.get()).toMatchObject({ transport: "sse", status: "live" }), { timeout: 10_000 });
    expect(proxy.stats.refusedUpgrades).toBeGreaterThanOrEqual(1);
    expect(states.some((s) => s.transport === "ws" && s.status === "live")).toBe(false);
    await streamAndCheck(rec, proxy.url, 30);
    expect(client.connection.get().transport).toBe("sse");
  });

  it.each([
    ["never answers the upgrade (open timeout)", "hang-ws"],
    ["closes the socket before its first message", "cut-ws"],
  ] as const)("falls back to SSE when the WebSocket %s", async (_label, mode) => {
    const { proxy, client, rec, states } = await setup(mode);
    await vi.waitFor(() => expect(client.connection.get()).toMatchObject({ transport: "sse", status: "live" }), { timeout: 10_000 });
    expect(proxy.stats.upgrades).toBeGreaterThanOrEqual(1);
    expect(states.some((s) => s.transport === "ws" && s.status === "live")).toBe(false);
    await streamAndCheck(rec, proxy.url, 20);
  });

  it("ends up live on long-poll when a proxy buffers responses until they end", async () => {
    const { proxy, client, rec } = await setup("buffer");
    await vi.waitFor(() => expect(client.connection.get()).toMatchObject({ transport: "poll", status: "live" }), { timeout: 10_000 });
    await streamAndCheck(rec, proxy.url, 30);
    expect(client.connection.get().transport).toBe("poll");
  });

  it("moves back up to WebSocket within the probe interval once upgrades work, without gaps or duplicates", async () => {
    const { proxy, client, rec } = await setup("refuse-ws");
    await vi.waitFor(() => expect(client.connection.get()).toMatchObject({ transport: "sse", status: "live" }), { timeout: 10_000 });
    const counter = startCounter(() => proxy.url, "test.counter", 10);
    cleanups.push(() => counter.stop());
    await vi.waitFor(() => expect(rec.values("test.counter").length).toBeGreaterThanOrEqual(20), { timeout: 10_000 });
    proxy.setMode("pass");
    // One probe interval plus a WS handshake; the bound is generous for a loaded 2-core machine.
    await vi.waitFor(() => expect(client.connection.get()).toMatchObject({ transport: "ws", status: "live" }), {
      timeout: FAST.probeIntervalMs * 2 + FAST.wsOpenTimeoutMs,
    });
    const atSwitch = rec.values("test.counter").length;
    await vi.waitFor(() => expect(rec.values("test.counter").length).toBeGreaterThanOrEqual(atSwitch + 20), { timeout: 10_000 });
    await counter.stop();
    await vi.waitFor(() => expect(rec.values("test.counter").at(-1)).toBe(counter.acked()), { timeout: 10_000 });
    expect(rec.check("test.counter").problems).toEqual([]);
    expect(rec.resets()).toBe(0);
    expect(client.connection.get().reconnects).toBe(0);
  });

  it("moves up from long-poll to WebSocket when the buffering proxy goes away", async () => {
    const { proxy, client, rec } = await setup("buffer");
    await vi.waitFor(() => expect(client.connection.get()).toMatchObject({ transport: "poll", status: "live" }), { timeout: 10_000 });
    const counter = startCounter(() => proxy.url, "test.counter", 10);
    cleanups.push(() => counter.stop());
    await vi.waitFor(() => expect(rec.values("test.counter").length).toBeGreaterThanOrEqual(20), { timeout: 10_000 });
    proxy.setMode("pass");
    await vi.waitFor(() => expect(client.connection.get()).toMatchObject({ transport: "ws", status: "live" }), { timeout: 10_000 });
    const atSwitch = rec.values("test.counter").length;
    await vi.waitFor(() => expect(rec.values("test.counter").length).toBeGreaterThanOrEqual(atSwitch + 20), { timeout: 10_000 });
    await counter.stop();
    await vi.waitFor(() => expect(rec.values("test.counter").at(-1)).toBe(counter.acked()), { timeout: 10_000 });
    expect(rec.check("test.counter").problems).toEqual([]);
    expect(rec.resets()).toBe(0);
  });

  it("stays on WebSocket across a server restart instead of falling down the ladder", async () => {
    let server = await startServerProcess();
    cleanups.push(() => server.kill());
    const client = createLivedashClient({ url: server.url, ladder: FAST });
    cleanups.push(() => client.close());
    const states: ConnectionState[] = [];
    client.connection.subscribe((s) => states.push(s));
    const rec = new Recorder();
    const sub = client.trpc.metrics.live.subscribe({ series: ["test.counter"] }, { onData: rec.onData });
    cleanups.push(() => sub.unsubscribe());
    await vi.waitFor(() => expect(client.connection.get()).toMatchObject({ transport: "ws", status: "live" }), { timeout: 10_000 });
    await server.kill();
    await vi.waitFor(() => expect(client.connection.get().status).not.toBe("live"), { timeout: 10_000 });
    server = await startServerProcess(server.port);
    await vi.waitFor(() => expect(client.connection.get()).toMatchObject({ transport: "ws", status: "live", reconnects: 1 }), { timeout: 15_000 });
    expect(states.every((s) => s.transport === "ws")).toBe(true);
  });

  it("multiplexes every subscription over one WebSocket, and unsubscribe stops only that one", async () => {
    const server = await startTestServer();
    cleanups.push(() => server.close());
    const proxy = await startProxy(server.url, "pass");
    cleanups.push(() => proxy.close());
    const client = createLivedashClient({ url: proxy.url, ladder: FAST });
    cleanups.push(() => client.close());
    const a = new Recorder();
    const b = new Recorder();
    const subA = client.trpc.metrics.live.subscribe({ series: ["mux.a"] }, { onData: a.onData });
    const subB = client.trpc.metrics.live.subscribe({ series: ["mux.b"] }, { onData: b.onData });
    cleanups.push(() => subA.unsubscribe());
    cleanups.push(() => subB.unsubscribe());
    await vi.waitFor(() => expect(client.connection.get()).toMatchObject({ transport: "ws", status: "live" }), { timeout: 10_000 });
    const ingest = async (series: string, value: number) => {
      const res = await fetch(`${server.url}/api/ingest`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ points: [{ series, value }] }),
      });
      expect(res.status).toBe(200);
    };
    await ingest("mux.a", 1);
    await ingest("mux.b", 2);
    await vi.waitFor(() => expect([a.values("mux.a"), b.values("mux.b")]).toEqual([[1], [2]]), { timeout: 10_000 });
    subA.unsubscribe();
    await ingest("mux.a", 3);
    await ingest("mux.b", 4);
    await vi.waitFor(() => expect(b.values("mux.b")).toEqual([2, 4]), { timeout: 10_000 });
    expect(a.values("mux.a")).toEqual([1]);
    expect(b.values("mux.a")).toEqual([]);
    expect(proxy.stats.upgrades).toBe(1);
  });
});
