import protobuf from "protobufjs/minimal.js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CumulativeState } from "../src/ingest/otlp/cumulative-state";
import { opentelemetry } from "../src/ingest/otlp/generated/otlp-metrics.js";
import { mapExportRequest } from "../src/ingest/otlp/map-request";
import type { OtlpExportRequest, OtlpMetric } from "../src/ingest/otlp/model";
import type { LivedashServer } from "../src/server";
import { httpClient } from "./helpers/live-clients";
import { NS_PER_MS, gauge, postJson, postProto, request, type MetricProps } from "./helpers/otlp";
import { startTestServer } from "./helpers/server";

const { Gauge } = opentelemetry.proto.metrics.v1;
const WAIT = { timeout: 10_000, interval: 20 };
const LIMIT = 200;

/** A length-delimited protobuf field: `field` number, wire type 2, then `payload`. */
function lengthDelimited(field: number, payload: Uint8Array): Uint8Array {
  return protobuf.Writer.create().uint32((field << 3) | 2).bytes(payload).finish();
}

/**
 * An ExportMetricsServiceRequest whose one Gauge holds `points` data points and then `tail`, bytes
 * inside the Gauge message after its data points (a tag of wire type 7, which no decoder can read).
 */
function gaugeBody(name: string, points: number, tail: Uint8Array): Uint8Array {
  const now = Date.now() * NS_PER_MS;
  const dataPoints = Array.from({ length: points }, (_, i) => ({ asDouble: i, timeUnixNano: now }));
  const gaugeBytes = Buffer.concat([Gauge.encode({ dataPoints }).finish(), tail]);
  const metric = Buffer.concat([lengthDelimited(1, Buffer.from(name)), lengthDelimited(5, gaugeBytes)]);
  const scope = lengthDelimited(2, metric);
  return lengthDelimited(1, lengthDelimited(2, scope));
}
const UNREADABLE = Uint8Array.of(0x0f);

describe("POST /v1/metrics past LIVEDASH_MAX_POINTS_PER_REQUEST", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer({ LIVEDASH_MAX_POINTS_PER_REQUEST: String(LIMIT), LIVEDASH_MAX_SERIES: "1000" });
  });
  afterAll(async () => {
    await server.close();
  });
  const history = async (series: string) => (await httpClient(server.url).metrics.history.query({ series: [series], from: 0, to: Date.now() + 60_000 }))[0]?.points ?? [];

  it("a protobuf body of more data points than the limit was decoded in full before the limit applied: the bytes after the 201st data point are never read", async () => {
    const before = server.services.traffic.pointsIn;
    const res = await postProto(server.url, gaugeBody("unit.over", LIMIT + 1, UNREADABLE));
    expect(res.status).toBe(400);
    expect(res.error?.code).toBe(3);
    expect(res.error?.message).toMatch(/points: at most 200 points per request \(got more than 200; LIVEDASH_MAX_POINTS_PER_REQUEST\)/);
    expect(server.services.traffic.pointsIn).toBe(before);
    // At the limit the whole body is read: the same tail is then the 400 of a body that is no protobuf.
    const atLimit = await postProto(server.url, gaugeBody("unit.over", LIMIT, UNREADABLE));
    expect(atLimit.status).toBe(400);
    expect(atLimit.error?.message).toMatch(/not a valid protobuf ExportMetricsServiceRequest/);
    const fits = await postProto(server.url, gaugeBody("unit.fits", LIMIT, new Uint8Array()));
    expect(fits.status).toBe(200);
    await vi.waitFor(async () => expect(await history("unit.fits")).toHaveLength(LIMIT), WAIT);
  });

  it("a JSON body of more data points than the limit was decoded in full before the limit applied: the data point after the 201st is never looked at", async () => {
    const now = String(Date.now() * NS_PER_MS);
    const dataPoints: unknown[] = Array.from({ length: LIMIT + 1 }, (_, i) => ({ timeUnixNano: now, asDouble: i }));
    dataPoints.push({ timeUnixNano: now, asDouble: {} });
    const res = await postJson(server.url, { resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: "unit.jsonover", gauge: { dataPoints } }] }] }] });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ code: 3, message: expect.stringMatching(/points: at most 200 points per request \(got more than 200; LIVEDASH_MAX_POINTS_PER_REQUEST\)/) });
  });

  // A review sent 1 MiB of metrics, scopes or resources with no data point (524k empty metrics in 1 KB
  // of gzip): the points limit never applied, and decoding and mapping them blocked the server 0.2-0.9 s.
  // Entries count against max(LIVEDASH_MAX_POINTS_PER_REQUEST, 1000): 1000 here.
  const ENTRY_LIMIT = /more than 1000 resources, scopes, metrics and resource attributes in one request \(at most max\(LIVEDASH_MAX_POINTS_PER_REQUEST, 1000\)\)/;
  it("a protobuf body of metrics with no data points was decoded in full: the bytes after the 1001st entry are never read", async () => {
    const emptyMetric = (i: number) => lengthDelimited(2, lengthDelimited(1, Buffer.from(`unit.empty${i}`)));
    const scopeOf = (count: number) => Buffer.concat(Array.from({ length: count }, (_, i) => emptyMetric(i)));
    const body = (count: number) => lengthDelimited(1, Buffer.concat([lengthDelimited(2, Buffer.concat([scopeOf(count), UNREADABLE]))]));
    const over = await postProto(server.url, body(1001));
    expect(over.status).toBe(400);
    expect(over.error?.message).toMatch(ENTRY_LIMIT);
    // Within the limit the whole body is read (and its unreadable tail found).
    const within = await postProto(server.url, body(900));
    expect(within.status).toBe(400);
    expect(within.error?.message).toMatch(/not a valid protobuf ExportMetricsServiceRequest/);
  });

  it("a protobuf resource of 1001 attributes was decoded in full before any limit", async () => {
    const kv = (i: number) => lengthDelimited(1, Buffer.concat([lengthDelimited(1, Buffer.from(`k${i}`)), lengthDelimited(2, lengthDelimited(1, Buffer.from("v")))]));
    const resource = Buffer.concat([...Array.from({ length: 1001 }, (_, i) => kv(i)), UNREADABLE]);
    const res = await postProto(server.url, lengthDelimited(1, lengthDelimited(1, resource)));
    expect(res.status).toBe(400);
    expect(res.error?.message).toMatch(ENTRY_LIMIT);
  });

  it("a JSON body of empty scopes and metrics was decoded in full: the entry after the 1000th is never looked at", async () => {
    const metrics: unknown[] = Array.from({ length: 600 }, (_, i) => ({ name: `unit.jsonempty${i}` }));
    const scopeMetrics: unknown[] = [{ metrics }, { metrics: [...metrics, { name: {} }] }];
    const res = await postJson(server.url, { resourceMetrics: [{ scopeMetrics }] });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ code: 3, message: expect.stringMatching(ENTRY_LIMIT) });
    // The same shape within the limit reaches the bad name (the decoder read it all).
    const few: unknown[] = [{ metrics: metrics.slice(0, 10) }, { metrics: [{ name: {} }] }];
    const within = await postJson(server.url, { resourceMetrics: [{ scopeMetrics: few }] });
    expect(within.status).toBe(400);
    expect(within.json).toEqual({ code: 3, message: expect.stringMatching(/metrics\[0\]\.name: must be a string/) });
  });

  it("counts data points across metrics and resources, not per metric", async () => {
    const half = Array.from({ length: LIMIT / 2 + 1 }, (_, i) => ({ value: i, attributes: { n: String(i) } }));
    const twoMetrics = request([gauge("unit.halfa", half), gauge("unit.halfb", half)]);
    const res = await postProto(server.url, twoMetrics);
    expect(res.status).toBe(400);
    expect(res.error?.message).toMatch(/at most 200 points per request/);
    expect(await history('unit.halfa{n="0",service="unit"}')).toEqual([]);
  });

  it("a request refused at the limit leaves the counters' samples as they were: the retry within the limit gets the interval", async () => {
    const startMs = Date.now() - 60_000;
    const t1 = Date.now() - 20_000;
    const counter: MetricProps = {
      name: "unit.limitreqs",
      sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ asDouble: 100, startTimeUnixNano: startMs * NS_PER_MS, timeUnixNano: t1 * NS_PER_MS }] },
    };
    const now = Date.now() * NS_PER_MS;
    const histograms = Array.from({ length: 50 }, () => ({ startTimeUnixNano: now - 1e9, timeUnixNano: now, count: 2, sum: 3, bucketCounts: [1, 1], explicitBounds: [1] }));
    const over = await postProto(server.url, request([counter, { name: "unit.limithist", histogram: { aggregationTemporality: 1, dataPoints: histograms } }]));
    expect(over.status).toBe(400);
    expect((await postProto(server.url, request([counter]))).status).toBe(200);
    // 100 over the 40 s since its start: the refused request did not make the retry a resend.
    await vi.waitFor(async () => expect((await history('unit.limitreqs{service="unit"}')).map((p) => [p.ts, p.value])).toEqual([[t1, 2.5]]), WAIT);
  });
});

describe("the OTLP mapping past its points limit", () => {
  it("stops at the first point past maxPoints instead of mapping the whole request", () => {
    const T0 = 1_700_000_000_000 * NS_PER_MS;
    const many: OtlpMetric = {
      name: "g",
      description: "",
      unit: "",
      gauge: { dataPoints: Array.from({ length: 11 }, (_, i) => ({ attributes: [], startTimeUnixNano: 0, timeUnixNano: T0, flags: 0, asDouble: i })) },
    };
    const untouchable = {
      name: "never",
      description: "",
      unit: "",
      get gauge(): never {
        throw new Error("the mapping read a metric after the limit");
      },
    } as OtlpMetric;
    const req: OtlpExportRequest = { resourceMetrics: [{ resource: null, scopeMetrics: [{ metrics: [many, untouchable] }] }] };
    const mapped = mapExportRequest(req, new CumulativeState(100), { nowMs: T0 / 1e6, maxFutureMs: 300_000, maxPoints: 10 });
    expect(mapped.more).toBe(true);
    expect(mapped.points.length).toBeLessThanOrEqual(11);
  });
});

describe("POST /v1/metrics exponential histograms at the ends of the number range", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });
  const history = async (series: string) => (await httpClient(server.url).metrics.history.query({ series: [series], from: 0, to: Date.now() + 60_000 }))[0]?.points ?? [];
  const delta = (name: string, point: Record<string, unknown>): MetricProps => {
    const now = Date.now() * NS_PER_MS;
    return { name, exponentialHistogram: { aggregationTemporality: 1, dataPoints: [{ startTimeUnixNano: now - 10_000 * NS_PER_MS, timeUnixNano: now, ...point }] } };
  };

  it("uint64 bucket counts of 2^63 and more were read as int64: they came out negative and their quantiles were silently dropped", async () => {
    const big = 2 ** 63;
    const res = await postProto(server.url, request([delta("unit.expbig", { scale: 0, count: big, positive: { offset: 0, bucketCounts: [big] } })]));
    expect(res.status).toBe(200);
    expect(res.partial).toBeNull();
    // Bucket 0 at scale 0 is (1, 2]; 2^63 observations over 10 s.
    await vi.waitFor(async () => {
      const [p50] = await history('unit.expbig.p50{service="unit"}');
      expect(p50?.value).toBeGreaterThan(1);
      expect(p50?.value).toBeLessThanOrEqual(2);
      expect((await history('unit.expbig.count{service="unit"}'))[0]?.value).toBe(big / 10);
    }, WAIT);
  });

  it("a bucket of the largest doubles (scale 0, bucket 1023 up to 2^1024) gave an infinite quantile, dropped; its bound is the largest double", async () => {
    const res = await postProto(server.url, request([delta("unit.exphuge", { scale: 0, count: 4, positive: { offset: 1023, bucketCounts: [4] }, negative: {} })]));
    expect(res.status).toBe(200);
    expect(res.partial).toBeNull();
    await vi.waitFor(async () => {
      const [p99] = await history('unit.exphuge.p99{service="unit"}');
      expect(p99?.value).toBeGreaterThan(2 ** 1023);
      expect(p99?.value).toBeLessThanOrEqual(Number.MAX_VALUE);
    }, WAIT);
  });

  it("a negative JSON count of a uint64 field (\"-5\") was taken as a count below zero; it is a 400 naming the path", async () => {
    const now = Date.now() * NS_PER_MS;
    const point = { startTimeUnixNano: String(now - 1e10), timeUnixNano: String(now), count: "5", scale: 0, positive: { offset: 0, bucketCounts: ["10", "-5"] } };
    const res = await postJson(server.url, { resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: "unit.expneg", exponentialHistogram: { aggregationTemporality: 1, dataPoints: [point] } }] }] }] });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      code: 3,
      message: expect.stringMatching(/exponentialHistogram\.dataPoints\[0\]\.positive\.bucketCounts\[1\]: must be an integer >= 0 \(uint64\) or a decimal string \(got "-5"\)/),
    });
  });

  it.each(["positive", "negative"])(
    "a %s bucket no double falls in (scale 20, offset 2^30: bounds of 2^1024 and more) was dropped with a message that named neither scale nor offset",
    async (side) => {
      const name = `unit.expinf${side}`;
      const res = await postProto(server.url, request([delta(name, { scale: 20, count: 5, [side]: { offset: 2 ** 30, bucketCounts: [0, 5] } })]));
      expect(res.status).toBe(200);
      expect(res.partial?.rejectedDataPoints).toBe(1);
      expect(res.partial?.errorMessage).toMatch(
        new RegExp(`'${name}' dataPoints\\[0\\]: ${side}\\.offset 1073741824: bucket 1073741825 starts at 2\\^1024\\.00\\d*, past the largest double; at scale 20 bucket indexes must be below 1073741824`),
      );
      // The data point is refused whole: no .count or .sum from it either.
      expect(await history(`${name}.count{service="unit"}`)).toEqual([]);
    },
  );
});
