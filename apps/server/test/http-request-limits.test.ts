import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { LivedashServer } from "../src/server";
import { startTestServer } from "./helpers/server";

const WAIT = { timeout: 10_000, interval: 20 };
const pollInput = encodeURIComponent(JSON.stringify({ series: ["nothing.*"], waitMs: 30_000 }));

describe("tRPC HTTP batch size and long-polls per address", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer({ LIVEDASH_MAX_BATCH_SIZE: "3", LIVEDASH_MAX_POLLS_PER_IP: "2" });
  });
  afterAll(async () => {
    await server.close();
  });

  it("a tRPC HTTP batch larger than LIVEDASH_MAX_BATCH_SIZE is refused whole, naming the limit", async () => {
    const batch = (n: number) => `${server.url}/trpc/${Array.from({ length: n }, () => "metrics.catalog").join(",")}?batch=1&input=%7B%7D`;
    expect((await fetch(batch(3))).status).toBe(200);
    const res = await fetch(batch(1000));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: {
        message: "batch of 1000 calls is over the limit of 3 (LIVEDASH_MAX_BATCH_SIZE)",
        code: -32600,
        data: { code: "BAD_REQUEST", httpStatus: 400, limit: 3 },
      },
    });
  });

  it("long-poll waiters are counted per address: past LIVEDASH_MAX_POLLS_PER_IP a poll gets 429 at once", async () => {
    const aborts = [new AbortController(), new AbortController()];
    const waiting = aborts.map((abort) => fetch(`${server.url}/trpc/metrics.poll?input=${pollInput}`, { signal: abort.signal }).catch(() => null));
    await vi.waitFor(() => expect(server.services.traffic.polls).toBe(2), WAIT);
    // A batch that carries a poll counts as one too.
    for (const url of [`${server.url}/trpc/metrics.poll?input=${pollInput}`, `${server.url}/trpc/metrics.catalog,metrics.poll?batch=1&input=${encodeURIComponent(JSON.stringify({ 1: { series: ["x"], waitMs: 30_000 } }))}`]) {
      const refused = await fetch(url);
      expect(refused.status).toBe(429);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(
        "too many long-polls waiting from this address (limit 2, LIVEDASH_MAX_POLLS_PER_IP)",
      );
    }
    for (const abort of aborts) abort.abort();
    await Promise.all(waiting);
    await vi.waitFor(() => expect(server.services.traffic.polls).toBe(0), WAIT);
    const short = await fetch(`${server.url}/trpc/metrics.poll?input=${encodeURIComponent(JSON.stringify({ series: ["x"], waitMs: 0 }))}`);
    expect(short.status).toBe(200);
  });
});

describe("every spelling of a tRPC path tRPC resolves counts against the per-address limits", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer({ LIVEDASH_MAX_CONNECTIONS_PER_IP: "2", LIVEDASH_MAX_POLLS_PER_IP: "3", LIVEDASH_MAX_BATCH_SIZE: "10" });
  });
  afterAll(async () => {
    await server.close();
  });

  it("/trpc/metrics%2Elive and /trpc/metrics.live/ hold a connection slot: past LIVEDASH_MAX_CONNECTIONS_PER_IP every spelling gets 429", async () => {
    const input = encodeURIComponent(JSON.stringify({ series: ["*"] }));
    const abort = new AbortController();
    try {
      // tRPC serves both as metrics.live (it trims one trailing slash and percent-decodes the path).
      for (const spelling of ["metrics%2Elive", "metrics.live/"]) {
        const res = await fetch(`${server.url}/trpc/${spelling}?input=${input}`, { signal: abort.signal });
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toContain("text/event-stream");
      }
      await vi.waitFor(() => expect(server.services.hub.stats().subscriptions).toBe(2), WAIT);
      for (const spelling of ["metrics.live", "metrics%2Elive", "metrics.live/", "metrics%2elive/"]) {
        const refused = await fetch(`${server.url}/trpc/${spelling}?input=${input}`, { signal: AbortSignal.timeout(10_000) });
        expect(refused.status, spelling).toBe(429);
        expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(
          "too many connections from this address (LIVEDASH_MAX_CONNECTIONS_PER_IP)",
        );
      }
    } finally {
      abort.abort();
    }
    await vi.waitFor(() => expect(server.services.hub.stats().subscriptions).toBe(0), WAIT);
  });

  it("a batch of metrics.poll calls takes one LIVEDASH_MAX_POLLS_PER_IP slot per call, not one per request", async () => {
    const batch = (n: number) => {
      const input = Object.fromEntries(Array.from({ length: n }, (_, i) => [i, { series: [`nothing${i}.*`], waitMs: 30_000 }]));
      return `${server.url}/trpc/${Array(n).fill("metrics.poll").join(",")}?batch=1&input=${encodeURIComponent(JSON.stringify(input))}`;
    };
    const refused = await fetch(batch(4), { signal: AbortSignal.timeout(10_000) });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(
      "too many long-polls waiting from this address (limit 3, LIVEDASH_MAX_POLLS_PER_IP)",
    );
    const abort = new AbortController();
    const waiting = fetch(batch(3), { signal: abort.signal }).catch(() => null);
    await vi.waitFor(() => expect(server.services.traffic.polls).toBe(3), WAIT);
    const one = await fetch(batch(1), { signal: AbortSignal.timeout(10_000) });
    expect(one.status).toBe(429);
    abort.abort();
    await waiting;
    await vi.waitFor(async () => {
      const short = await fetch(`${server.url}/trpc/metrics.poll,metrics.poll?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: { series: ["x"], waitMs: 0 }, 1: { series: ["y"], waitMs: 0 } }))}`);
      expect(short.status).toBe(200);
    }, WAIT);
  });
});
