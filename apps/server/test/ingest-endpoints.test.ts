import { TRPCClientError } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { LivedashServer } from "../src/server";
import { httpClient, openLive } from "./helpers/live-clients";
import { startTestServer } from "./helpers/server";

const WAIT = { timeout: 10_000, interval: 20 };

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text) as { error?: { message: string; errors?: unknown[] }; accepted?: number; id?: string } };
}

describe("ingest over HTTP and tRPC", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer({ LIVEDASH_MAX_BODY_BYTES: "4096", LIVEDASH_MAX_POINTS_PER_REQUEST: "50", LIVEDASH_MAX_SERIES: "40" });
  });
  afterAll(async () => {
    await server.close();
  });

  it("makes pushed points visible in the catalog, in history and live on every transport within one tick", async () => {
    const clients = (["ws", "trpc-sse", "sse", "poll"] as const).map((t) => openLive(t, server.url, { series: ["pushed.*"] }));
    await vi.waitFor(() => {
      expect(server.services.hub.stats().subscriptions).toBe(3);
      expect(server.services.traffic.polls).toBe(1);
    }, WAIT);
    const ts = Date.now();
    const json = await post(`${server.url}/api/ingest`, JSON.stringify({ points: [{ series: "pushed.json", value: 1.5, ts }], meta: [{ series: "pushed.json", unit: "ms", kind: "gauge", description: "from JSON", thresholds: { warn: 10 } }] }));
    expect(json.status).toBe(200);
    expect(json.body.accepted).toBe(1);
    const line = await fetch(`${server.url}/api/write?precision=ms`, { method: "POST", body: `pushed,host=a temp=21.5,up=true ${ts}\n` });
    expect(line.status).toBe(200);
    const trpc = httpClient(server.url);
    expect(await trpc.metrics.ingest.mutate({ points: [{ series: "pushed.trpc", value: 7, ts }] })).toMatchObject({ accepted: 1 });

    for (const client of clients) {
      await vi.waitFor(() => expect(client.points().map((p) => p.series).sort()).toEqual(["pushed.json", 'pushed.temp{host="a"}', "pushed.trpc", 'pushed.up{host="a"}']), WAIT);
    }
    const catalog = await trpc.metrics.catalog.query();
    expect(catalog.find((s) => s.name === "pushed.json")).toMatchObject({ unit: "ms", description: "from JSON", thresholds: { warn: 10 }, last: { ts, value: 1.5 } });
    expect(catalog.find((s) => s.key === 'pushed.up{host="a"}')).toMatchObject({ name: "pushed.up", labels: { host: "a" }, last: { value: 1 } });
    const [history] = await trpc.metrics.history.query({ series: ['pushed.temp{host="a"}'], from: ts - 1000, to: ts + 1000 });
    expect(history!.points).toEqual([{ ts, value: 21.5, min: 21.5, max: 21.5 }]);
    await Promise.all(clients.map((c) => c.close()));
  });

  it.each([
    ["malformed JSON", "{ points: [", /JSON/i],
    ["a wrong type", JSON.stringify({ points: [{ series: "a", value: "12" }] }), /points\[0\]\.value/],
    ["a bad series name", JSON.stringify({ points: [{ series: "has space", value: 1 }] }), /points\[0\]\.series/],
    ["a timestamp far in the future", JSON.stringify({ points: [{ series: "a", value: 1, ts: Date.now() + 10 * 86_400_000 }] }), /points\[0\]\.ts.*future/],
    ["NaN written as a string", JSON.stringify({ points: [{ series: "a", value: "NaN" }] }), /points\[0\]\.value/],
    ["a missing points array", JSON.stringify({ pts: [] }), /points/],
  ])("POST /api/ingest answers 400 for %s, naming the field, and writes nothing", async (_name, body, message) => {
    const before = server.services.traffic.pointsIn;
    const res = await post(`${server.url}/api/ingest`, body);
    expect(res.status).toBe(400);
    expect(res.body.error!.message).toMatch(message);
    expect(server.services.traffic.pointsIn).toBe(before);
  });

  it("rejects a whole batch when one point is bad (no half-writes)", async () => {
    const before = server.services.traffic.pointsIn;
    const res = await post(`${server.url}/api/ingest`, JSON.stringify({ points: [{ series: "ok.a", value: 1 }, { series: "ok.b", value: null }] }));
    expect(res.status).toBe(400);
    expect(res.body.error!.message).toMatch(/points\[1\]\.value/);
    expect(server.services.traffic.pointsIn).toBe(before);
  });

  it.each([
    ["an unknown precision", "/api/write?precision=h", "cpu v=1\n", /precision: must be one of s, ms, us, ns/],
    ["a broken line", "/api/write", "cpu v=1\ncpu v=abc\n", /line 2/],
    ["a timestamp 10 days ahead", "/api/write?precision=ms", `cpu v=1 ${Date.now() + 10 * 86_400_000}\n`, /line 1: .*future/],
  ])("POST /api/write answers 400 for %s", async (_name, path, body, message) => {
    const res = await fetch(`${server.url}${path}`, { method: "POST", body });
    expect(res.status).toBe(400);
    const json = (await res.json()) as { error: { message: string } };
    expect(json.error.message).toMatch(message);
  });

  it("answers 413 past the body limit and past the points limit", async () => {
    const big = await post(`${server.url}/api/ingest`, JSON.stringify({ points: [{ series: "a", value: 1 }], pad: "x".repeat(5000) }));
    expect(big.status).toBe(413);
    expect(big.body.error!.message).toMatch(/4096/);
    const many = await post(`${server.url}/api/ingest`, JSON.stringify({ points: Array.from({ length: 51 }, () => ({ series: "a", value: 1 })) }));
    expect(many.status).toBe(413);
    expect(many.body.error!.message).toMatch(/50/);
  });

  it("a line-protocol body past LIVEDASH_MAX_POINTS_PER_REQUEST is refused once limit+1 points are parsed, not parsed whole", async () => {
    // 60 good points, then a broken line: parsing the whole body would answer 400 for line 61;
    // stopping at the 51st point answers the one 413 of the ingest service.
    const lines = Array.from({ length: 60 }, (_, i) => `stop m${i}=1`);
    for (const body of [`${lines.join("\n")}\nbroken line`, `stop ${lines.map((_, i) => `f${i}=1`).join(",")},broken`]) {
      const res = await post(`${server.url}/api/write?precision=ms`, body, { "content-type": "text/plain" });
      expect(res.status).toBe(413);
      expect(res.body.error!.message).toBe("points: at most 50 points per request (got more than 50; LIVEDASH_MAX_POINTS_PER_REQUEST)");
    }
  });

  it("answers the cardinality cap with a clear error naming the cap, over HTTP and tRPC", async () => {
    const points = Array.from({ length: 45 }, (_, i) => ({ series: `card.s${i}`, value: i }));
    const http = await post(`${server.url}/api/ingest`, JSON.stringify({ points }));
    expect(http.status).toBe(400);
    expect(http.body.error!.message).toMatch(/series cap reached: .* at most 40 distinct series/);
    const trpc = httpClient(server.url);
    await expect(trpc.metrics.ingest.mutate({ points })).rejects.toThrow(/at most 40 distinct series/);
  });

  it("validates tRPC ingest input with BAD_REQUEST naming the field", async () => {
    const trpc = httpClient(server.url);
    const error = await trpc.metrics.ingest.mutate({ points: [{ series: "bad name", value: 1 }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<never>).message).toMatch(/^points\[0\]\.series: series name may only contain/);
    expect((error as { data?: { code?: string; httpStatus?: number } }).data).toMatchObject({ code: "BAD_REQUEST", httpStatus: 400 });
  });
});

describe("ingest rate limit", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer({ LIVEDASH_INGEST_RATE: "10" });
  });
  afterAll(async () => {
    await server.close();
  });

  it("answers 429 with Retry-After over HTTP and TOO_MANY_REQUESTS over tRPC", async () => {
    const points = Array.from({ length: 20 }, () => ({ series: "rate.a", value: 1 }));
    expect((await post(`${server.url}/api/ingest`, JSON.stringify({ points }))).status).toBe(200);
    const limited = await post(`${server.url}/api/ingest`, JSON.stringify({ points }));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(limited.body.error!.message).toMatch(/rate limit/);
    const trpc = httpClient(server.url);
    await expect(trpc.metrics.ingest.mutate({ points })).rejects.toMatchObject({ data: { code: "TOO_MANY_REQUESTS" } });
  });
});
