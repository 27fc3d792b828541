import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LivedashServer } from "../src/server";
import { startTestServer } from "./helpers/server";

const INGEST_TOKEN = "rate-per-source-ingest-token-012345";

/** POST /api/ingest of `count` points from `localAddress` (loopback has all of 127/8), with the ingest token. */
function ingestFrom(localAddress: string, baseUrl: string, count: number, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const body = JSON.stringify({ points: Array.from({ length: count }, (_, i) => ({ series: "src.load", value: i })) });
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}/api/ingest`, { method: "POST", localAddress, headers: { "content-type": "application/json", authorization: `Bearer ${INGEST_TOKEN}`, ...headers } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const host = (name: string) => ({ "x-livedash-host": name });

/**
 * #13 left alone: every request with the ingest token took from one rate bucket (`token:ingest`), so
 * one agent flooding got every agent of the fleet 429s. Now the bucket is per source: the socket's
 * address, and the host an agent declares in X-Livedash-Host (behind nginx every agent has nginx's
 * address), with the host buckets of an address bounded.
 */
describe("one flooding agent got every agent 429s: all ingest-token writers shared one rate bucket", () => {
  let server: LivedashServer;
  // The rate limiter's clock stands still: no refill between requests, whatever the machine's load.
  const clock = { nowMs: 1_000_000 };
  beforeAll(async () => {
    // 10 points/s, burst 20; at most 2 host buckets per address (LIVEDASH_MAX_HOSTS).
    server = await startTestServer({ LIVEDASH_INGEST_TOKEN: INGEST_TOKEN, LIVEDASH_INGEST_RATE: "10", LIVEDASH_MAX_HOSTS: "2" }, { ingestRate: { now: () => clock.nowMs } });
  });
  afterAll(async () => {
    await server.close();
  });

  it("the flooder is refused; agents on other addresses, and other hosts behind the same address, are not", async () => {
    expect((await ingestFrom("127.0.0.1", server.url, 20, host("flood"))).status).toBe(200);
    const flooded = await ingestFrom("127.0.0.1", server.url, 20, host("flood"));
    expect(flooded.status).toBe(429);
    expect(flooded.body).toMatch(/LIVEDASH_INGEST_RATE/);
    // Another machine with the same token.
    expect((await ingestFrom("127.0.0.2", server.url, 5, host("web1"))).status).toBe(200);
    expect((await ingestFrom("127.0.0.2", server.url, 5)).status).toBe(200);
    // Another agent behind the same proxy address, and that address's writers that name no host.
    expect((await ingestFrom("127.0.0.1", server.url, 5, host("web2"))).status).toBe(200);
    expect((await ingestFrom("127.0.0.1", server.url, 5)).status).toBe(200);
    // The flooder's own bucket is still empty, whatever it sends next under its name.
    expect((await ingestFrom("127.0.0.1", server.url, 1, host("flood"))).status).toBe(429);
  });

  it("rotating host names buys at most LIVEDASH_MAX_HOSTS buckets per address: past them a host shares the address's bucket", async () => {
    expect((await ingestFrom("127.0.0.3", server.url, 20)).status).toBe(200);
    expect((await ingestFrom("127.0.0.3", server.url, 1)).status).toBe(429);
    expect((await ingestFrom("127.0.0.3", server.url, 20, host("h1"))).status).toBe(200);
    expect((await ingestFrom("127.0.0.3", server.url, 20, host("h2"))).status).toBe(200);
    for (const name of ["h3", "h4", "h5"]) expect((await ingestFrom("127.0.0.3", server.url, 1, host(name))).status).toBe(429);
    // Hosts silent for a minute give their places up to new ones (the address's bucket drained again first,
    // so a 200 below comes from a host bucket of its own).
    clock.nowMs += 61_000;
    expect((await ingestFrom("127.0.0.3", server.url, 20)).status).toBe(200);
    expect((await ingestFrom("127.0.0.3", server.url, 20, host("h6"))).status).toBe(200);
    expect((await ingestFrom("127.0.0.3", server.url, 20, host("h1"))).status).toBe(200);
    expect((await ingestFrom("127.0.0.3", server.url, 1, host("h7"))).status).toBe(429);
  });

  it("a declared host is a label value: percent-encoded UTF-8, checked like one, and named when refused", async () => {
    expect((await ingestFrom("127.0.0.4", server.url, 1, host(encodeURIComponent("wéb-1")))).status).toBe(200);
    const long = await ingestFrom("127.0.0.4", server.url, 1, host("x".repeat(1025)));
    expect(long.status).toBe(400);
    expect(JSON.parse(long.body)).toMatchObject({ error: { field: "x-livedash-host", message: "x-livedash-host: label value must be at most 1024 characters (got 1025)" } });
    const bad = await ingestFrom("127.0.0.4", server.url, 1, host("web%E2%80"));
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ error: { field: "x-livedash-host", message: expect.stringMatching(/^x-livedash-host: not valid percent-encoded UTF-8/) } });
  });
});
