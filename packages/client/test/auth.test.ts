import { afterEach, describe, expect, it, vi } from "vitest";
import { createLivedashClient } from "../src/node";
import { Recorder } from "./helpers/recorder";
import { startTestServer } from "./helpers/server";

const READ = "read-token-0123456789abcdef";
const INGEST = "ingest-token-0123456789abcdef";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tokenServer() {
  const server = await startTestServer({ LIVEDASH_READ_TOKEN: READ, LIVEDASH_INGEST_TOKEN: INGEST });
  cleanups.push(() => server.close());
  return server;
}

describe.each(["ws", "sse", "poll"] as const)("tokens over %s", (transport) => {
  it("subscribes with the read token (SSE through a ticket) and ingests with the ingest token", async () => {
    const server = await tokenServer();
    const client = createLivedashClient({ url: server.url, transport, token: READ, ingestToken: INGEST, ladder: { pollWaitMs: 1_000 } });
    cleanups.push(() => client.close());
    const rec = new Recorder();
    const sub = client.trpc.metrics.live.subscribe({ series: ["auth.*"] }, { onData: rec.onData });
    cleanups.push(() => sub.unsubscribe());
    await vi.waitFor(() => expect(client.connection.get().status).toBe("live"), { timeout: 10_000 });
    for (const value of [1, 2, 3]) await client.trpc.metrics.ingest.mutate({ points: [{ series: "auth.counter", value }] });
    await vi.waitFor(() => expect(rec.values("auth.counter")).toEqual([1, 2, 3]), { timeout: 10_000 });
    expect(client.connection.get().transport).toBe(transport);
    const catalog = await client.trpc.metrics.catalog.query();
    expect(catalog.map((s) => s.name)).toContain("auth.counter");
  });

  it("ends the subscription with UNAUTHORIZED on a wrong token instead of retrying forever", async () => {
    const server = await tokenServer();
    const client = createLivedashClient({ url: server.url, transport, token: "wrong-token-0123456789abcdef", ladder: { pollWaitMs: 1_000 } });
    cleanups.push(() => client.close());
    const errors: unknown[] = [];
    client.trpc.metrics.live.subscribe({ series: ["auth.*"] }, { onError: (e) => errors.push(e) });
    await vi.waitFor(() => expect(errors.length).toBe(1), { timeout: 10_000 });
    expect(String((errors[0] as Error).message)).toMatch(/token/);
    expect((errors[0] as { data?: { code?: string } }).data?.code).toBe("UNAUTHORIZED");
  });

  it("a 401 after the server's token changed leaves the status failed with the reason, not live", async () => {
    let server = await tokenServer();
    const port = server.port;
    const client = createLivedashClient({ url: server.url, transport, token: READ, ladder: { pollWaitMs: 1_000, backoffBaseMs: 50, maxBackoffMs: 300 } });
    cleanups.push(() => client.close());
    const errors: unknown[] = [];
    const sub = client.trpc.metrics.live.subscribe({ series: ["auth.*"] }, { onError: (e) => errors.push(e) });
    cleanups.push(() => sub.unsubscribe());
    await vi.waitFor(() => expect(client.connection.get().status).toBe("live"), { timeout: 10_000 });
    await server.close();
    await vi.waitFor(() => expect(client.connection.get().status).not.toBe("live"), { timeout: 10_000 });
    server = await startTestServer({ PORT: String(port), LIVEDASH_READ_TOKEN: "rotated-read-token-0123456789", LIVEDASH_INGEST_TOKEN: INGEST });
    cleanups.push(() => server.close());
    await vi.waitFor(() => expect(errors.length).toBe(1), { timeout: 15_000 });
    expect((errors[0] as { data?: { code?: string } }).data?.code).toBe("UNAUTHORIZED");
    expect(client.connection.get().status).toBe("failed");
    expect(client.connection.get().error).toMatch(/token/);
  });
});

it("never puts the long-lived token in an SSE URL", async () => {
  const server = await tokenServer();
  const urls: string[] = [];
  const { EventSource } = await import("eventsource");
  class SpyEventSource extends EventSource {
    constructor(url: string) {
      urls.push(url);
      super(url);
    }
  }
  const client = createLivedashClient({ url: server.url, transport: "sse", token: READ, EventSource: SpyEventSource });
  cleanups.push(() => client.close());
  const sub = client.trpc.metrics.live.subscribe({ series: ["auth.*"] }, { onData: () => {} });
  cleanups.push(() => sub.unsubscribe());
  await vi.waitFor(() => expect(client.connection.get().status).toBe("live"), { timeout: 10_000 });
  expect(urls.length).toBeGreaterThanOrEqual(1);
  for (const url of urls) {
    expect(url).not.toContain(READ);
    expect(decodeURIComponent(url)).toMatch(/connectionParams=\{"ticket":"[^"]+"\}/);
  }
});
