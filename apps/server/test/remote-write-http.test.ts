import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LivedashServer } from "../src/server";
import { httpClient } from "./helpers/live-clients";
import { encodeWriteRequest, postRemoteWrite, snappy } from "./helpers/remote-write";
import { startTestServer } from "./helpers/server";
import { tempDataDir } from "./helpers/data-dir";

const TOKEN = "ingest-token-0123456789";
const READ = "read-token-0123456789ab";
const auth = { authorization: `Bearer ${TOKEN}` };
const label = (name: string, value: string) => ({ name, value });

function body(timeseries: Parameters<typeof encodeWriteRequest>[0]["timeseries"]) {
  return snappy(encodeWriteRequest({ timeseries }));
}

describe("POST /api/v1/write (remote_write 1.0)", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer({
      LIVEDASH_INGEST_TOKEN: TOKEN,
      LIVEDASH_READ_TOKEN: READ,
      LIVEDASH_MAX_BODY_BYTES: "65536",
      LIVEDASH_MAX_POINTS_PER_REQUEST: "50",
      LIVEDASH_MAX_SERIES: "30",
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it("answers 204 and stores every finite sample under its labelled key; NaN is taken and counted", async () => {
    const ts = Date.now();
    const res = await postRemoteWrite(
      server.url,
      body([
        { labels: [label("__name__", "rw_requests_total"), label("path", "/a"), label("code", "200")], samples: [{ value: 5, timestamp: ts - 1000 }, { value: 7, timestamp: ts }] },
        { labels: [label("__name__", "rw_nan")], samples: [{ value: Number.NaN, timestamp: ts }] },
      ]),
      auth,
    );
    expect(res).toMatchObject({ status: 204, body: null });
    const trpc = httpClient(server.url, { authorization: `Bearer ${READ}` });
    const [history] = await trpc.metrics.history.query({ series: ['rw_requests_total{code="200",path="/a"}'], from: ts - 5000, to: ts + 1000 });
    expect(history!.points.map((p) => [p.ts, p.value])).toEqual([[ts - 1000, 5], [ts, 7]]);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('livedash_remote_write_skipped_total{reason="nan"} 1');
  });

  it("answers 401 without the ingest token", async () => {
    const res = await postRemoteWrite(server.url, body([{ labels: [label("__name__", "x")], samples: [{ value: 1, timestamp: Date.now() }] }]));
    expect(res.status).toBe(401);
    expect(res.body?.error.message).toMatch(/ingest token/);
  });

  it("answers 400 naming the series and the label, and writes nothing (Prometheus drops, never retries, a 4xx)", async () => {
    const before = server.services.traffic.pointsIn;
    const res = await postRemoteWrite(
      server.url,
      body([
        { labels: [label("__name__", "ok_series")], samples: [{ value: 1, timestamp: Date.now() }] },
        { labels: [label("__name__", "bad"), label("__internal", "x")], samples: [{ value: 1, timestamp: Date.now() }] },
      ]),
      auth,
    );
    expect(res.status).toBe(400);
    expect(res.body?.error.message).toMatch(/^timeseries\[1\]\.labels\.__internal: label names starting with __ are reserved/);
    expect(res.body?.error.errors?.[0]?.path).toBe("timeseries[1].labels.__internal");
    expect(server.services.traffic.pointsIn).toBe(before);
  });

  it("answers 413 naming the limit for a body whose snappy header claims more than LIVEDASH_MAX_BODY_BYTES", async () => {
    const res = await postRemoteWrite(server.url, Buffer.from([0x80, 0x80, 0x80, 0x01, 0x00]), auth);
    expect(res.status).toBe(413);
    expect(res.body?.error.message).toMatch(/decompresses to 2097152 bytes \(limit 65536 bytes, LIVEDASH_MAX_BODY_BYTES\)/);
  });

  it("answers 413 naming LIVEDASH_MAX_POINTS_PER_REQUEST past the points limit", async () => {
    const ts = Date.now();
    const res = await postRemoteWrite(server.url, body([{ labels: [label("__name__", "many")], samples: Array.from({ length: 60 }, (_, i) => ({ value: i, timestamp: ts - 60 + i })) }]), auth);
    expect(res.status).toBe(413);
    expect(res.body?.error.message).toMatch(/at most 50 points per request.*LIVEDASH_MAX_POINTS_PER_REQUEST/);
  });

  it("answers 400 for a corrupt snappy block and for bytes that are not a WriteRequest", async () => {
    const corrupt = await postRemoteWrite(server.url, Buffer.from([0x10, 0xff, 0xff, 0xff]), auth);
    expect(corrupt.status).toBe(400);
    expect(corrupt.body?.error.message).toMatch(/not valid snappy/);
    const garbage = await postRemoteWrite(server.url, snappy(Buffer.from([0x0a, 0x05, 0x01])), auth);
    expect(garbage.status).toBe(400);
    expect(garbage.body?.error.message).toMatch(/not a valid protobuf prometheus\.WriteRequest/);
  });

  it("answers 415 for another encoding and for a remote_write 2.0 message, so a 2.0 sender falls back", async () => {
    const payload = body([{ labels: [label("__name__", "x")], samples: [{ value: 1, timestamp: Date.now() }] }]);
    const gzip = await postRemoteWrite(server.url, payload, { ...auth, "content-encoding": "gzip" });
    expect(gzip.status).toBe(415);
    expect(gzip.body?.error.message).toMatch(/Content-Encoding must be snappy/);
    const v2 = await postRemoteWrite(server.url, payload, { ...auth, "content-type": "application/x-protobuf;proto=io.prometheus.write.v2.Request" });
    expect(v2.status).toBe(415);
    expect(v2.body?.error.message).toMatch(/only remote_write 1\.0/);
  });

  it("answers 400 naming LIVEDASH_MAX_SERIES at the series cap", async () => {
    const ts = Date.now();
    const many = Array.from({ length: 40 }, (_, i) => ({ labels: [label("__name__", "capped"), label("i", String(i))], samples: [{ value: i, timestamp: ts }] }));
    const res = await postRemoteWrite(server.url, body(many), auth);
    expect(res.status).toBe(400);
    expect(res.body?.error.message).toMatch(/series cap reached.*LIVEDASH_MAX_SERIES/);
  });
});

describe("POST /api/v1/write at the rate limit", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer({ LIVEDASH_INGEST_RATE: "5" });
  });
  afterAll(async () => {
    await server.close();
  });

  it("answers 429 with Retry-After (retryable by the spec), not a 4xx Prometheus would drop silently", async () => {
    const ts = Date.now();
    const samples = Array.from({ length: 10 }, (_, i) => ({ value: i, timestamp: ts - 10 + i }));
    // The first request empties the bucket (burst: twice the rate); the next one must wait.
    expect((await postRemoteWrite(server.url, body([{ labels: [label("__name__", "fast")], samples }]))).status).toBe(204);
    const res = await postRemoteWrite(server.url, body([{ labels: [label("__name__", "fast")], samples }]));
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(res.body?.error.message).toMatch(/LIVEDASH_INGEST_RATE/);
  });
});

describe("POST /api/v1/write on a full disk", () => {
  let data: ReturnType<typeof tempDataDir>;
  let server: LivedashServer | undefined;
  beforeAll(() => {
    data = tempDataDir();
  });
  afterAll(async () => {
    await server?.close();
    data.remove();
  });

  it("answers 507 (a 5xx: Prometheus keeps the batch and retries with backoff), then 204 once space returns", async () => {
    server = await startTestServer({ LIVEDASH_STORAGE: "disk", LIVEDASH_DATA_DIR: data.dir }, { storage: { flushIntervalMs: 3_600_000 } });
    const disk = server.services.storage.disk!;
    const ts = Date.now();
    const write = (name: string, n: number) =>
      postRemoteWrite(server!.url, body([{ labels: [label("__name__", name), label("host", "a")], samples: Array.from({ length: n }, (_, i) => ({ value: i, timestamp: ts - n + i })) }]));
    expect((await write("kept", 5)).status).toBe(204);
    disk.limitPages(1);
    for (let i = 0; i < 50; i++) expect((await write(`fill${i}`, 500)).status).toBe(204);
    expect(disk.flush()).toBe(false);
    const refused = await write("late", 1);
    expect(refused.status).toBe(507);
    expect(refused.body?.error).toMatchObject({ code: "INSUFFICIENT_STORAGE", message: expect.stringMatching(/^storage is full/) });
    disk.limitPages(null);
    expect(disk.flush()).toBe(true);
    expect((await write("late", 1)).status).toBe(204);
  });
});
