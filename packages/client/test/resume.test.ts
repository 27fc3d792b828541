import { afterEach, describe, expect, it, vi } from "vitest";
import { createLivedashClient } from "../src/node";
import { startCounter } from "./helpers/counter";
import { startProxy } from "./helpers/proxy";
import { Recorder } from "./helpers/recorder";
import { startServerProcess } from "./helpers/server-process";
import type { ServerProcess } from "./helpers/server-process";
import { startTestServer } from "./helpers/server";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const FAST = { wsOpenTimeoutMs: 2_000, sseFirstEventTimeoutMs: 2_000, pollWaitMs: 1_000, backoffBaseMs: 50, maxBackoffMs: 400 };
const SERIES = "test.counter";

/** The same resume/dedupe suite on every transport (the client pinned to it). */
describe.each(["ws", "sse", "poll"] as const)("resume and dedupe over %s", (transport) => {
  it("reconnects by itself after the server is killed and restarted on the same port: no duplicate, no silent gap", async () => {
    let server: ServerProcess = await startServerProcess();
    cleanups.push(() => server.kill());
    const url = server.url;
    const client = createLivedashClient({ url, transport, ladder: FAST });
    cleanups.push(() => client.close());
    const rec = new Recorder();
    const sub = client.trpc.metrics.live.subscribe({ series: [SERIES] }, { onData: rec.onData });
    cleanups.push(() => sub.unsubscribe());
    await vi.waitFor(() => expect(client.connection.get().status).toBe("live"), { timeout: 10_000 });

    const counter = startCounter(() => url, SERIES, 10);
    cleanups.push(() => counter.stop());
    await vi.waitFor(() => expect(rec.values(SERIES).length).toBeGreaterThanOrEqual(20), { timeout: 10_000 });

    await server.kill();
    await vi.waitFor(() => expect(client.connection.get().status).not.toBe("live"), { timeout: 10_000 });
    const beforeRestart = rec.values(SERIES).length;
    server = await startServerProcess(server.port);

    await vi.waitFor(() => expect(client.connection.get().status).toBe("live"), { timeout: 15_000 });
    await vi.waitFor(() => expect(rec.values(SERIES).length).toBeGreaterThanOrEqual(beforeRestart + 20), { timeout: 15_000 });
    await counter.stop();
    await vi.waitFor(() => expect(rec.values(SERIES).at(-1)).toBe(counter.acked()), { timeout: 10_000 });

    const { problems, segments } = rec.check(SERIES);
    expect(problems).toEqual([]);
    // The memory engine's replay window died with the process: the client must have been told.
    expect(rec.resets()).toBeGreaterThanOrEqual(1);
    expect(segments.length).toBeGreaterThanOrEqual(2);
    expect(client.connection.get()).toMatchObject({ transport, status: "live" });
    expect(client.connection.get().reconnects).toBeGreaterThanOrEqual(1);
  });

  it("resumes from the last delivered id after the server drops the connection, with nothing missing", async () => {
    const server = await startTestServer();
    cleanups.push(() => server.close());
    const proxy = await startProxy(server.url, "pass");
    cleanups.push(() => proxy.close());
    const client = createLivedashClient({ url: proxy.url, transport, ladder: FAST });
    cleanups.push(() => client.close());
    const rec = new Recorder();
    const sub = client.trpc.metrics.live.subscribe({ series: [SERIES] }, { onData: rec.onData });
    cleanups.push(() => sub.unsubscribe());
    await vi.waitFor(() => expect(client.connection.get().status).toBe("live"), { timeout: 10_000 });
    // Pushed straight to the server, so the counter keeps going while the client's path is cut.
    const counter = startCounter(() => server.url, SERIES, 10);
    cleanups.push(() => counter.stop());
    await vi.waitFor(() => expect(rec.values(SERIES).length).toBeGreaterThanOrEqual(20), { timeout: 10_000 });

    // Same server, same epoch: every dropped connection must resume by replay, never by reset.
    for (let round = 1; round <= 3; round++) {
      proxy.dropConnections();
      await vi.waitFor(() => expect(client.connection.get().reconnects).toBeGreaterThanOrEqual(round), { timeout: 10_000 });
      await vi.waitFor(() => expect(client.connection.get().status).toBe("live"), { timeout: 10_000 });
      const seen = rec.values(SERIES).length;
      await vi.waitFor(() => expect(rec.values(SERIES).length).toBeGreaterThanOrEqual(seen + 10), { timeout: 10_000 });
    }
    await counter.stop();
    await vi.waitFor(() => expect(rec.values(SERIES).at(-1)).toBe(counter.acked()), { timeout: 10_000 });
    expect(rec.check(SERIES).problems).toEqual([]);
    expect(rec.resets()).toBe(0);
    expect(rec.values(SERIES)[0]).toBe(1);
  });

  it("starts from a lastEventId given by the caller and replays what came after it", async () => {
    const server = await startTestServer();
    cleanups.push(() => server.close());
    const pushed: string[] = [];
    for (let value = 1; value <= 5; value++) {
      const res = await fetch(`${server.url}/api/ingest`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ points: [{ series: SERIES, value }] }),
      });
      const body = (await res.json()) as { id?: string };
      expect(res.status).toBe(200);
      if (body.id) pushed.push(body.id);
    }
    expect(pushed.length).toBe(5);
    const client = createLivedashClient({ url: server.url, transport, ladder: FAST });
    cleanups.push(() => client.close());
    const rec = new Recorder();
    const sub = client.trpc.metrics.live.subscribe({ series: [SERIES], lastEventId: pushed[1] }, { onData: rec.onData });
    cleanups.push(() => sub.unsubscribe());
    await vi.waitFor(() => expect(rec.values(SERIES)).toEqual([3, 4, 5]), { timeout: 10_000 });
  });

  it("waits for a server that is not up yet: connecting, then offline, then live once it starts", async () => {
    const probe = await startServerProcess();
    const port = probe.port;
    await probe.kill();
    const url = `http://127.0.0.1:${port}`;
    const client = createLivedashClient({ url, transport, ladder: { ...FAST, offlineAfterFailures: 2 } });
    cleanups.push(() => client.close());
    const statuses: string[] = [];
    client.connection.subscribe((s) => statuses.push(s.status));
    const rec = new Recorder();
    const sub = client.trpc.metrics.live.subscribe({ series: [SERIES] }, { onData: rec.onData });
    cleanups.push(() => sub.unsubscribe());
    await vi.waitFor(() => expect(client.connection.get().status).toBe("offline"), { timeout: 10_000 });
    const server = await startServerProcess(port);
    cleanups.push(() => server.kill());
    await vi.waitFor(() => expect(client.connection.get()).toMatchObject({ status: "live", transport }), { timeout: 15_000 });
    expect(statuses).toContain("offline");
    const counter = startCounter(() => url, SERIES, 10);
    cleanups.push(() => counter.stop());
    await vi.waitFor(() => expect(rec.values(SERIES).length).toBeGreaterThanOrEqual(10), { timeout: 10_000 });
    await counter.stop();
    await vi.waitFor(() => expect(rec.values(SERIES).at(-1)).toBe(counter.acked()), { timeout: 10_000 });
    expect(rec.check(SERIES).problems).toEqual([]);
  });

  it("keeps the subscription through a graceful server shutdown and restart on the same port", async () => {
    let server = await startTestServer();
    const port = server.port;
    cleanups.push(() => server.close());
    const client = createLivedashClient({ url: server.url, transport, ladder: FAST });
    cleanups.push(() => client.close());
    const rec = new Recorder();
    let completed = false;
    let failed: unknown = null;
    const sub = client.trpc.metrics.live.subscribe(
      { series: [SERIES] },
      { onData: rec.onData, onComplete: () => (completed = true), onError: (e) => (failed = e) },
    );
    cleanups.push(() => sub.unsubscribe());
    await vi.waitFor(() => expect(client.connection.get().status).toBe("live"), { timeout: 10_000 });
    await server.close();
    // A long-poll answered early by the closing server waits its backoff floor before it asks again:
    // restart once the client has noticed, as a real restart takes longer than that floor.
    await vi.waitFor(() => expect(client.connection.get().status).not.toBe("live"), { timeout: 10_000 });
    server = await startTestServer({ PORT: String(port) });
    await vi.waitFor(() => expect(client.connection.get()).toMatchObject({ status: "live", reconnects: 1 }), { timeout: 15_000 });
    const res = await fetch(`${server.url}/api/ingest`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ points: [{ series: SERIES, value: 7 }] }),
    });
    expect(res.status).toBe(200);
    await vi.waitFor(() => expect(rec.values(SERIES)).toEqual([7]), { timeout: 10_000 });
    expect(completed).toBe(false);
    expect(failed).toBe(null);
  });

  it("notices a connection that went silent without closing (half-open) and resumes with nothing missing", async () => {
    // SSE: the server pings every 100 ms and announces reconnectAfterInactivityMs = 300 in `connected`.
    const server = await startTestServer({}, { sse: { heartbeatMs: 100 } });
    cleanups.push(() => server.close());
    const proxy = await startProxy(server.url, "pass");
    cleanups.push(() => proxy.close());
    const ladder = { ...FAST, pingIntervalMs: 200, pongTimeoutMs: 300, pollWaitMs: 500, pollGraceMs: 300 };
    const client = createLivedashClient({ url: proxy.url, transport, ladder });
    cleanups.push(() => client.close());
    const rec = new Recorder();
    const sub = client.trpc.metrics.live.subscribe({ series: [SERIES] }, { onData: rec.onData });
    cleanups.push(() => sub.unsubscribe());
    await vi.waitFor(() => expect(client.connection.get().status).toBe("live"), { timeout: 10_000 });
    const counter = startCounter(() => server.url, SERIES, 10);
    cleanups.push(() => counter.stop());
    await vi.waitFor(() => expect(rec.values(SERIES).length).toBeGreaterThanOrEqual(10), { timeout: 10_000 });
    proxy.freeze();
    await vi.waitFor(() => expect(client.connection.get().reconnects).toBeGreaterThanOrEqual(1), { timeout: 10_000 });
    await vi.waitFor(() => expect(client.connection.get().status).toBe("live"), { timeout: 10_000 });
    const seen = rec.values(SERIES).length;
    await vi.waitFor(() => expect(rec.values(SERIES).length).toBeGreaterThanOrEqual(seen + 10), { timeout: 10_000 });
    await counter.stop();
    await vi.waitFor(() => expect(rec.values(SERIES).at(-1)).toBe(counter.acked()), { timeout: 10_000 });
    expect(rec.check(SERIES).problems).toEqual([]);
    expect(rec.resets()).toBe(0);
  });

  it("delivers a reset to onData first when the server cannot replay from the given id", async () => {
    const server = await startTestServer();
    cleanups.push(() => server.close());
    await fetch(`${server.url}/api/ingest`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ points: [{ series: SERIES, value: 1 }] }),
    });
    const client = createLivedashClient({ url: server.url, transport, ladder: FAST });
    cleanups.push(() => client.close());
    const rec = new Recorder();
    const sub = client.trpc.metrics.live.subscribe({ series: [SERIES], lastEventId: "not-an-id-of-this-server" }, { onData: rec.onData });
    cleanups.push(() => sub.unsubscribe());
    await vi.waitFor(() => expect(rec.resets()).toBe(1), { timeout: 10_000 });
    expect(rec.events[0]?.event.type).toBe("reset");
    await fetch(`${server.url}/api/ingest`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ points: [{ series: SERIES, value: 2 }] }),
    });
    await vi.waitFor(() => expect(rec.values(SERIES)).toEqual([2]), { timeout: 10_000 });
    expect(rec.resets()).toBe(1);
  });

  it("replays an event published while the connection was silent, even before the first event arrived", async () => {
    const server = await startTestServer({}, { sse: { heartbeatMs: 100 } });
    cleanups.push(() => server.close());
    const proxy = await startProxy(server.url, "pass");
    cleanups.push(() => proxy.close());
    const ladder = { ...FAST, pingIntervalMs: 200, pongTimeoutMs: 300, pollWaitMs: 500, pollGraceMs: 300 };
    const client = createLivedashClient({ url: proxy.url, transport, ladder });
    cleanups.push(() => client.close());
    const rec = new Recorder();
    const sub = client.trpc.metrics.live.subscribe({ series: ["quiet.series"] }, { onData: rec.onData });
    cleanups.push(() => sub.unsubscribe());
    await vi.waitFor(() => expect(client.connection.get().status).toBe("live"), { timeout: 10_000 });
    proxy.freeze();
    const res = await fetch(`${server.url}/api/ingest`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ points: [{ series: "quiet.series", value: 1 }] }),
    });
    expect(res.status).toBe(200);
    await vi.waitFor(() => expect(client.connection.get().reconnects).toBeGreaterThanOrEqual(1), { timeout: 10_000 });
    await vi.waitFor(() => expect(rec.values("quiet.series")).toEqual([1]), { timeout: 10_000 });
    expect(rec.resets()).toBe(0);
  });
});
