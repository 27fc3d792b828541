import { request } from "node:http";
import type { LiveEvent } from "@livedash/events";
import { createTRPCClient, createWSClient, httpBatchLink, httpSubscriptionLink, wsLink } from "@trpc/client";
import { EventSource } from "eventsource";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import type { AppRouter } from "@livedash/api";
import type { LivedashServer } from "../src/server";
import { startTestServer } from "./helpers/server";

const READ = "read-token-0123456789";
const INGEST = "ingest-token-0123456789";
const WAIT = { timeout: 10_000, interval: 20 };

function http(url: string, token?: string) {
  return createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${url}/trpc`, headers: token ? { authorization: `Bearer ${token}` } : {} })] });
}

/** Raw handshake, so the test sees the status line the server answers instead of a client's summary. */
function handshake(url: string, origin: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/trpc`, {
      headers: { connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", origin },
    });
    req.on("upgrade", (res, socket) => (socket.destroy(), resolve(res.statusCode!)));
    req.on("response", (res) => (res.resume(), resolve(res.statusCode!)));
    req.on("error", reject);
    req.end();
  });
}

describe("tokens on every transport", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer({ LIVEDASH_READ_TOKEN: READ, LIVEDASH_INGEST_TOKEN: INGEST });
  });
  afterAll(async () => {
    await server.close();
  });
  const push = (value: number) => http(server.url, INGEST).metrics.ingest.mutate({ points: [{ series: "auth.a", value }] });

  it("HTTP queries and poll need the read token", async () => {
    await expect(http(server.url).metrics.catalog.query()).rejects.toMatchObject({ data: { code: "UNAUTHORIZED", httpStatus: 401 } });
    await expect(http(server.url, "wrong-token-0123456789").metrics.poll.query({ series: ["*"], waitMs: 0 })).rejects.toMatchObject({ data: { code: "UNAUTHORIZED" } });
    await expect(http(server.url, READ).metrics.poll.query({ series: ["*"], waitMs: 0 })).resolves.toMatchObject({ events: [] });
  });

  it("writes need the ingest token, over tRPC and HTTP (401 with a clear message)", async () => {
    await expect(http(server.url, READ).metrics.ingest.mutate({ points: [{ series: "a", value: 1 }] })).rejects.toMatchObject({ data: { code: "UNAUTHORIZED" } });
    const res = await fetch(`${server.url}/api/ingest`, { method: "POST", body: JSON.stringify({ points: [{ series: "a", value: 1 }] }) });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/ingest token is required/);
    const line = await fetch(`${server.url}/api/write`, { method: "POST", headers: { authorization: `Bearer ${READ}` }, body: "a v=1" });
    expect(line.status).toBe(401);
    await expect(push(1)).resolves.toMatchObject({ accepted: 1 });
  });

  it("WebSocket takes the token in connectionParams", async () => {
    const denied: unknown[] = [];
    const anonymous = createWSClient({ url: `${server.url.replace("http", "ws")}/trpc`, WebSocket: WebSocket as never });
    createTRPCClient<AppRouter>({ links: [wsLink({ client: anonymous })] }).metrics.live.subscribe({ series: ["auth.*"] }, { onError: (e) => denied.push(e) });
    await vi.waitFor(() => expect(denied).toHaveLength(1), WAIT);
    expect(denied[0]).toMatchObject({ data: { code: "UNAUTHORIZED" } });
    await anonymous.close();

    const events: LiveEvent[] = [];
    const client = createWSClient({ url: `${server.url.replace("http", "ws")}/trpc`, WebSocket: WebSocket as never, connectionParams: { token: READ } });
    createTRPCClient<AppRouter>({ links: [wsLink({ client })] }).metrics.live.subscribe({ series: ["auth.*"] }, { onData: (e) => events.push(e.data) });
    await vi.waitFor(() => expect(server.services.hub.stats().subscriptions).toBe(1), WAIT);
    await push(2);
    await vi.waitFor(() => expect(events).toHaveLength(1), WAIT);
    await client.close();
    await vi.waitFor(() => expect(server.services.hub.stats().subscriptions).toBe(0), WAIT);
  });

  it("httpSubscriptionLink takes a short-lived ticket, never the token, in the URL", async () => {
    const urls: string[] = [];
    const RecordingEventSource = class extends EventSource {
      constructor(url: string | URL, init?: ConstructorParameters<typeof EventSource>[1]) {
        urls.push(String(url));
        super(url, init);
      }
    };
    const denied: unknown[] = [];
    const withToken = createTRPCClient<AppRouter>({
      links: [httpSubscriptionLink({ url: `${server.url}/trpc`, EventSource: RecordingEventSource, connectionParams: { token: READ } })],
    });
    const sub = withToken.metrics.live.subscribe({ series: ["auth.*"] }, { onError: (e) => denied.push(e) });
    await vi.waitFor(() => expect(denied).toHaveLength(1), WAIT);
    expect(denied[0]).toMatchObject({ data: { code: "UNAUTHORIZED" } });
    sub.unsubscribe();

    const events: LiveEvent[] = [];
    const trpc = createTRPCClient<AppRouter>({
      links: [
        httpSubscriptionLink({
          url: `${server.url}/trpc`,
          EventSource: RecordingEventSource,
          connectionParams: async () => ({ ticket: (await http(server.url, READ).auth.ticket.mutate()).ticket }),
        }),
      ],
    });
    const live = trpc.metrics.live.subscribe({ series: ["auth.*"] }, { onData: (e) => events.push(e.data) });
    await vi.waitFor(() => expect(server.services.hub.stats().subscriptions).toBe(1), WAIT);
    await push(3);
    await vi.waitFor(() => expect(events).toHaveLength(1), WAIT);
    live.unsubscribe();
    expect(urls.at(-1)).toMatch(/ticket/);
    expect(urls.at(-1)).not.toContain(READ);
    await vi.waitFor(() => expect(server.services.hub.stats().subscriptions).toBe(0), WAIT);
  });

  it("plain /sse takes a ticket or a bearer header, and answers 401 otherwise", async () => {
    expect((await fetch(`${server.url}/sse?series=auth.*`)).status).toBe(401);
    expect((await fetch(`${server.url}/sse?series=auth.*&ticket=forged`)).status).toBe(401);
    const { ticket } = await http(server.url, READ).auth.ticket.mutate();
    const source = new EventSource(`${server.url}/sse?series=auth.*&ticket=${encodeURIComponent(ticket)}`);
    const values: number[] = [];
    source.addEventListener("points", (m) => values.push(...(JSON.parse(m.data) as { points: { value: number }[] }).points.map((p) => p.value)));
    await vi.waitFor(() => expect(server.services.hub.stats().subscriptions).toBe(1), WAIT);
    await push(4);
    await vi.waitFor(() => expect(values).toEqual([4]), WAIT);
    source.close();
    const header = await fetch(`${server.url}/sse?series=auth.*`, { headers: { authorization: `Bearer ${READ}` } });
    expect(header.status).toBe(200);
    await header.body?.cancel();
  });
});

describe("tickets behind a load balancer", () => {
  it("a ticket issued by one instance opens a stream on another that shares the read token; forged or expired ones do not", async () => {
    const a = await startTestServer({ LIVEDASH_READ_TOKEN: READ, LIVEDASH_INGEST_TOKEN: INGEST });
    const b = await startTestServer({ LIVEDASH_READ_TOKEN: READ, LIVEDASH_INGEST_TOKEN: INGEST });
    const other = await startTestServer({ LIVEDASH_READ_TOKEN: "another-read-token-0123", LIVEDASH_INGEST_TOKEN: INGEST });
    try {
      const { ticket } = await http(a.url, READ).auth.ticket.mutate();
      const onB = await fetch(`${b.url}/sse?series=x&ticket=${encodeURIComponent(ticket)}`);
      expect(onB.status).toBe(200);
      await onB.body?.cancel();
      expect((await fetch(`${other.url}/sse?series=x&ticket=${encodeURIComponent(ticket)}`)).status).toBe(401);
      const forged = ticket.replace(/\.(\d+)\./, (_m, ms: string) => `.${Number(ms) + 60_000}.`);
      expect((await fetch(`${b.url}/sse?series=x&ticket=${encodeURIComponent(forged)}`)).status).toBe(401);
    } finally {
      await Promise.all([a.close(), b.close(), other.close()]);
    }
  });
});

describe("error answers", () => {
  it("carry no stack trace", async () => {
    const server = await startTestServer({ LIVEDASH_READ_TOKEN: READ, LIVEDASH_INGEST_TOKEN: INGEST });
    try {
      const res = await fetch(`${server.url}/trpc/metrics.catalog`);
      expect(res.status).toBe(401);
      expect(await res.text()).not.toMatch(/stack/);
    } finally {
      await server.close();
    }
  });
});

describe("origin allow-list", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer({ LIVEDASH_ALLOWED_ORIGINS: "http://dash.example:3000" });
  });
  afterAll(async () => {
    await server.close();
  });

  it("answers a WebSocket handshake from another origin with 403 and no 101", async () => {
    expect(await handshake(server.url, "http://evil.example")).toBe(403);
    expect(await handshake(server.url, "http://dash.example:3000")).toBe(101);
  });

  it("answers CORS from the allowed origin and refuses others", async () => {
    const ok = await fetch(`${server.url}/trpc/metrics.catalog`, { method: "OPTIONS", headers: { origin: "http://dash.example:3000", "access-control-request-method": "GET" } });
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe("http://dash.example:3000");
    const denied = await fetch(`${server.url}/trpc/metrics.catalog`, { headers: { origin: "http://evil.example" } });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error: { message: string } }).error.message).toMatch(/origin http:\/\/evil.example is not allowed/);
    // No Origin (curl, Node): allowed.
    expect((await fetch(`${server.url}/trpc/metrics.catalog`)).status).toBe(200);
  });
});
