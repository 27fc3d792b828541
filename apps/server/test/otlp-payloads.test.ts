import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { google, opentelemetry } from "../src/ingest/otlp/generated/otlp-metrics.js";
import type { LivedashServer } from "../src/server";
import { httpClient } from "./helpers/live-clients";
import { NS_PER_MS, gauge, post, postJson, postProto, request, type MetricProps, type RequestProps } from "./helpers/otlp";
import { startTestServer } from "./helpers/server";

const { ExportMetricsServiceRequest } = opentelemetry.proto.collector.metrics.v1;
const WAIT = { timeout: 10_000, interval: 20 };

describe("POST /v1/metrics with hand-made payloads", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer({ LIVEDASH_MAX_BODY_BYTES: "65536", LIVEDASH_MAX_SERIES: "30", LIVEDASH_MAX_POINTS_PER_REQUEST: "200" });
  });
  afterAll(async () => {
    await server.close();
  });
  const history = async (series: string) => (await httpClient(server.url).metrics.history.query({ series: [series], from: 0, to: Date.now() + 60_000 }))[0]!.points;

  it("answers full success with an empty ExportMetricsServiceResponse (protobuf: no bytes; JSON: {})", async () => {
    const proto = await postProto(server.url, request([gauge("unit.ok", [{ value: 1 }])]));
    expect(proto.status).toBe(200);
    expect(proto.bytes.length).toBe(0);
    const json = await postJson(server.url, { resourceMetrics: [] });
    expect(json.status).toBe(200);
    expect(json.json).toEqual({});
    await vi.waitFor(async () => expect(await history('unit.ok{service="unit"}')).toHaveLength(1), WAIT);
  });

  it("rejects only the data points with bad attributes and says which and why in partial_success", async () => {
    const huge = "x".repeat(5000);
    const res = await postProto(
      server.url,
      request([
        gauge("unit.attrs", [
          { value: 1, attributes: { "http.route": "/fine" } },
          { value: 2, attributes: { "__reserved": "a" } },
          { value: 3, attributes: { "url.full": huge } },
        ]),
      ]),
    );
    expect(res.status).toBe(200);
    expect(res.partial?.rejectedDataPoints).toBe(2);
    expect(res.partial?.errorMessage).toMatch(/dataPoints\[1\]: attribute '__reserved' \(label '__reserved'\): label names starting with __ are reserved/);
    expect(res.partial?.errorMessage).toMatch(/dataPoints\[2\]: attribute 'url.full' \(label 'url_full'\): label value must be at most 1024 characters \(got 5000\)/);
    // The error message stays short whatever the attribute was.
    expect(res.partial?.errorMessage?.length ?? Infinity).toBeLessThan(2000);
    await vi.waitFor(async () => expect((await history('unit.attrs{http_route="/fine",service="unit"}')).map((p) => p.value)).toEqual([1]), WAIT);
  });

  it("skips NaN and ±Infinity values and counts them as rejected (protobuf doubles and JSON strings)", async () => {
    const proto = await postProto(server.url, request([gauge("unit.nan", [{ value: NaN }, { value: Infinity }, { value: 4 }])]));
    expect(proto.partial).toEqual({ rejectedDataPoints: 2, errorMessage: expect.stringMatching(/2 non-finite values/) });
    const now = String(Date.now() * NS_PER_MS);
    const json = await postJson(server.url, {
      resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: "unit.nanjson", gauge: { dataPoints: [{ timeUnixNano: now, asDouble: "NaN" }, { timeUnixNano: now, asDouble: "-Infinity" }] } }] }] }],
    });
    expect(json.json).toEqual({ partialSuccess: { rejectedDataPoints: "2", errorMessage: expect.stringMatching(/2 non-finite values/) } });
    await vi.waitFor(async () => expect((await history('unit.nan{service="unit"}')).map((p) => p.value)).toEqual([4]), WAIT);
  });

  it("names a metric of an unknown type (JSON key or protobuf field it does not know) and keeps the rest", async () => {
    const json = await postJson(server.url, {
      resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: "unit.future", fancyHistogram: { dataPoints: [{ asDouble: 1 }] } }, { name: "unit.known", gauge: { dataPoints: [{ asInt: "7" }] } }] }] }],
    });
    expect(json.status).toBe(200);
    expect(json.json).toEqual({ partialSuccess: { rejectedDataPoints: "0", errorMessage: expect.stringMatching(/metrics\[0\] 'unit.future': no data of a known type/) } });
    // Protobuf: a Metric with only an unknown field (number 99, a varint) decodes and is named the same way.
    const metric = Buffer.concat([Buffer.from([0x0a, 0x0b]), Buffer.from("unit.future"), Buffer.from([0x98, 0x06, 0x01])]);
    const scope = Buffer.concat([Buffer.from([0x12, metric.length]), metric]);
    const resource = Buffer.concat([Buffer.from([0x12, scope.length]), scope]);
    const body = Buffer.concat([Buffer.from([0x0a, resource.length]), resource]);
    const proto = await postProto(server.url, body);
    expect(proto.status).toBe(200);
    expect(proto.partial?.errorMessage).toMatch(/'unit.future': no data of a known type/);
    await vi.waitFor(async () => expect((await history("unit.known")).map((p) => p.value)).toEqual([7]), WAIT);
  });

  it("takes OTLP JSON as the Collector writes it: int64 as strings, enum names, snake_case keys, hex-free bytes in base64", async () => {
    const t1 = Date.now() - 10_000;
    const body = {
      resource_metrics: [
        {
          resource: { attributes: [{ key: "host.name", value: { stringValue: "db1" } }, { key: "bytes", value: { bytesValue: Buffer.from("hi").toString("base64") } }] },
          scope_metrics: [
            {
              metrics: [
                {
                  name: "unit.snake",
                  sum: {
                    aggregation_temporality: "AGGREGATION_TEMPORALITY_CUMULATIVE",
                    is_monotonic: false,
                    data_points: [{ time_unix_nano: String(t1 * NS_PER_MS), as_int: "42", attributes: [{ key: "n", value: { intValue: "3" } }, { key: "ok", value: { boolValue: true } }] }],
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    const res = await postJson(server.url, body);
    expect(res.json).toEqual({});
    await vi.waitFor(async () => expect(await history('unit.snake{host="db1",n="3",ok="true"}')).toEqual([{ ts: t1, value: 42, min: 42, max: 42 }]), WAIT);
  });

  it.each([
    ["protobuf garbage", "application/x-protobuf", Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]), /not a valid protobuf ExportMetricsServiceRequest/],
    ["malformed JSON", "application/json", "{ resourceMetrics: [", /body: not valid JSON/],
    ["a JSON value of the wrong type", "application/json", JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: "x", gauge: { dataPoints: [{ asDouble: {} }] } }] }] }] }), /resourceMetrics\[0\]\.scopeMetrics\[0\]\.metrics\[0\]\.gauge\.dataPoints\[0\]\.asDouble: must be a number/],
    ["a JSON timestamp that is no integer", "application/json", JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: "x", gauge: { dataPoints: [{ timeUnixNano: "soon", asDouble: 1 }] } }] }] }] }), /timeUnixNano: must be an integer/],
  ])("answers 400 with a Status in the request's encoding for %s", async (_name, contentType, body, message) => {
    const before = server.services.traffic.pointsIn;
    const res = await post(server.url, body, { "content-type": contentType });
    expect(res.status).toBe(400);
    const status = contentType === "application/json" ? (JSON.parse(Buffer.from(res.bytes).toString()) as { code: number; message: string }) : google.rpc.Status.decode(res.bytes);
    expect(status.code).toBe(3);
    expect(status.message).toMatch(message);
    expect(server.services.traffic.pointsIn).toBe(before);
  });

  it("answers a malformed gauge or sum data point (read by the mapping) with 400, keeping nothing of the request and no counter's sample", async () => {
    const startMs = Date.now() - 60_000;
    const t1 = Date.now() - 20_000;
    const valid = { asDouble: 100, startTimeUnixNano: startMs * NS_PER_MS, timeUnixNano: t1 * NS_PER_MS };
    const sumBytes = (extra: Uint8Array) =>
      Buffer.concat([opentelemetry.proto.metrics.v1.Sum.encode({ aggregationTemporality: 2, isMonotonic: true, dataPoints: [valid] }).finish(), extra]);
    const body = (extra: Uint8Array) => {
      const name = Buffer.from("unit.lazyreqs");
      const metric = Buffer.concat([Buffer.from([0x0a, name.length]), name, Buffer.from([0x3a, sumBytes(extra).length]), sumBytes(extra)]);
      const scope = Buffer.concat([Buffer.from([0x12, metric.length]), metric]);
      const resource = Buffer.concat([Buffer.from([0x12, scope.length]), scope]);
      return Buffer.concat([Buffer.from([0x0a, resource.length]), resource]);
    };
    const before = server.services.traffic.pointsIn;
    // A second data point whose as_double (field 4) comes as a varint: no decoder can read it.
    const bad = await postProto(server.url, body(Uint8Array.of(0x0a, 0x02, 0x20, 0x01)));
    expect(bad.status).toBe(400);
    expect(bad.error?.message).toMatch(/not a valid protobuf ExportMetricsServiceRequest \(field 4 has wire type 0, expected 1\)/);
    expect(server.services.traffic.pointsIn).toBe(before);
    // The valid point alone: 100 over the 40 s since its start, so the refused request left no sample behind.
    expect((await postProto(server.url, body(new Uint8Array()))).status).toBe(200);
    await vi.waitFor(async () => expect((await history("unit.lazyreqs")).map((p) => [p.ts, p.value])).toEqual([[t1, 2.5]]), WAIT);
  });

  it("answers 415 for a body that is neither protobuf nor JSON", async () => {
    const res = await post(server.url, "cpu value=1", { "content-type": "text/plain" });
    expect(res.status).toBe(415);
    expect(JSON.parse(Buffer.from(res.bytes).toString())).toMatchObject({ code: 3, message: expect.stringMatching(/application\/x-protobuf or application\/json \(got "text\/plain"\)/) });
  });

  it("takes gzip, and answers a zip bomb with 413 naming the decompressed limit", async () => {
    const ok = await postProto(server.url, gzipSync(ExportMetricsServiceRequest.encode(request([gauge("unit.gz", [{ value: 5 }])])).finish()), { "content-encoding": "gzip" });
    expect(ok.status).toBe(200);
    // 16 MiB of zeros gzip to ~16 KiB, far below the 64 KiB raw limit: only the decompressed size can stop it.
    const bomb = gzipSync(Buffer.alloc(16 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(65536);
    const res = await postProto(server.url, bomb, { "content-encoding": "gzip" });
    expect(res.status).toBe(413);
    expect(res.headers.get("connection")).toBe("close");
    expect(res.error?.message).toMatch(/decompresses to more than allowed \(limit 65536 bytes, LIVEDASH_MAX_BODY_BYTES\)/);
  });

  it("keeps the series that fit under LIVEDASH_MAX_SERIES and reports the others as rejected data points", async () => {
    const held = server.services.store.size();
    const room = 30 - held;
    const points = Array.from({ length: room + 3 }, (_, i) => ({ value: i, attributes: { n: String(i) } }));
    const res = await postProto(server.url, request([gauge("unit.cap", points)]));
    expect(res.status).toBe(200);
    expect(res.partial?.rejectedDataPoints).toBe(3);
    expect(res.partial?.errorMessage).toMatch(/3 data points over the series cap: series cap reached: .* at most 30 distinct series .*LIVEDASH_MAX_SERIES/);
    await vi.waitFor(() => expect(server.services.store.size()).toBe(30), WAIT);
    // The metric's description (its bare name) comes after its points' series: past the cap it is
    // dropped with them, not described into the catalog beyond LIVEDASH_MAX_SERIES.
    expect(server.services.store.has("unit.cap")).toBe(false);
  });

  it("answers 400 (OTLP's Bad Data: permanent, not retried) past LIVEDASH_MAX_POINTS_PER_REQUEST, counting the points a request expands to", async () => {
    // 50 histogram points become 250 points (count, sum, p50, p90, p99 each) against a limit of 200:
    // the mapping stops at the 201st.
    const now = Date.now() * NS_PER_MS;
    const dataPoints = Array.from({ length: 50 }, () => ({ startTimeUnixNano: now - 1e9, timeUnixNano: now, count: 2, sum: 3, bucketCounts: [1, 1], explicitBounds: [1] }));
    const res = await postProto(server.url, request([{ name: "unit.many", histogram: { aggregationTemporality: 1, dataPoints } }]));
    expect(res.status).toBe(400);
    expect(res.error?.code).toBe(3);
    expect(res.error?.message).toMatch(/at most 200 points per request \(got more than 200; LIVEDASH_MAX_POINTS_PER_REQUEST\)/);
  });
});

describe("POST /v1/metrics refusals from the ingest service", () => {
  it("answers 401 without the ingest token and 429 with Retry-After past the rate limit", async () => {
    const token = "ingest-token-0123456789";
    const server = await startTestServer({ LIVEDASH_INGEST_TOKEN: token, LIVEDASH_INGEST_RATE: "1" });
    try {
      const body = ExportMetricsServiceRequest.encode(request([gauge("unit.rate", [{ value: 1 }, { value: 2, attributes: { a: "b" } }, { value: 3, attributes: { a: "c" } }])])).finish();
      const anonymous = await postProto(server.url, body);
      expect(anonymous.status).toBe(401);
      expect(anonymous.error).toMatchObject({ code: 16, message: expect.stringMatching(/ingest token/) });
      const auth = { authorization: `Bearer ${token}` };
      // Burst is 2 points: the first request's 3 points go through (a request larger than the burst
      // is allowed on a full bucket), the next one finds it empty.
      expect((await postProto(server.url, body, auth)).status).toBe(200);
      const limited = await postProto(server.url, body, auth);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(limited.error).toMatchObject({ code: 8, message: expect.stringMatching(/LIVEDASH_INGEST_RATE/) });
    } finally {
      await server.close();
    }
  });

  it("a cumulative sum refused with 429 and then retried lost its interval (the state moved on before the refusal)", async () => {
    const server = await startTestServer({ LIVEDASH_INGEST_RATE: "1" });
    try {
      const startMs = Date.now() - 60_000;
      const sum = (total: number, tsMs: number, pad: MetricProps[] = []): RequestProps =>
        request([{ name: "unit.reqs", sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ asDouble: total, startTimeUnixNano: startMs * NS_PER_MS, timeUnixNano: tsMs * NS_PER_MS }] } }, ...pad]);
      const t1 = Date.now() - 20_000;
      const t2 = t1 + 10_000;
      // Three points empty the 2-point burst.
      expect((await postProto(server.url, sum(100, t1, [gauge("unit.pad", [{ value: 1 }, { value: 2, attributes: { a: "b" } }])]))).status).toBe(200);
      // The bucket is empty now: the exporter's next request is refused, and it retries after Retry-After.
      const refused = await postProto(server.url, sum(200, t2));
      expect(refused.status).toBe(429);
      await vi.waitFor(async () => expect((await postProto(server.url, sum(200, t2))).status).toBe(200), { timeout: 10_000, interval: 300 });
      const history = async () => (await httpClient(server.url).metrics.history.query({ series: ['unit.reqs{service="unit"}'], from: 0, to: Date.now() + 60_000 }))[0]?.points ?? [];
      // t1: 100 over the 40 s since start; t2: 100 more over 10 s.
      await vi.waitFor(async () => expect((await history()).map((p) => [p.ts, p.value])).toEqual([[t1, 2.5], [t2, 10]]), WAIT);
    } finally {
      await server.close();
    }
  });
});
