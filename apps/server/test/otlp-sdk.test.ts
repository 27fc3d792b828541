import { createServer as createHttpServer, request, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { OTLPMetricExporter as JsonExporter, AggregationTemporalityPreference } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPMetricExporter as ProtoExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { CompressionAlgorithm } from "@opentelemetry/otlp-exporter-base";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AggregationTemporality,
  AggregationType,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
  type ViewOptions,
} from "@opentelemetry/sdk-metrics";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { LivedashServer } from "../src/server";
import { httpClient, openLive } from "./helpers/live-clients";
import { ingest, startTestServer } from "./helpers/server";

const WAIT = { timeout: 10_000, interval: 20 };

/**
 * A loopback pass-through in front of the server that records each request's headers, so a test can
 * tell what the SDK really sent (protobuf or JSON, gzip or not) while the server answers it.
 */
async function recordingProxy(target: string): Promise<{ url: string; seen: IncomingHttpHeaders[]; close(): Promise<void> }> {
  const seen: IncomingHttpHeaders[] = [];
  const upstream = new URL(target);
  const proxy: Server = createHttpServer((req, res) => {
    seen.push(req.headers);
    const out = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on("error", () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const { port } = proxy.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise<void>((resolve) => proxy.close(() => resolve())) };
}

const variants = [
  { name: "protobuf", contentType: "application/x-protobuf", encoding: undefined, make: (url: string) => new ProtoExporter({ url }) },
  { name: "protobuf, gzip", contentType: "application/x-protobuf", encoding: "gzip", make: (url: string) => new ProtoExporter({ url, compression: CompressionAlgorithm.GZIP }) },
  { name: "JSON", contentType: "application/json", encoding: undefined, make: (url: string) => new JsonExporter({ url }) },
  { name: "JSON, gzip", contentType: "application/json", encoding: "gzip", make: (url: string) => new JsonExporter({ url, compression: CompressionAlgorithm.GZIP }) },
] as const;

/** A MeterProvider exporting only when flushed, so each export is one deliberate step of the test. */
function sdk(exporter: PushMetricExporter, service: string, views: ViewOptions[] = [], also: PushMetricExporter[] = []) {
  const reader = (e: PushMetricExporter) => new PeriodicExportingMetricReader({ exporter: e, exportIntervalMillis: 3_600_000, exportTimeoutMillis: 10_000 });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ "service.name": service, "host.name": "web1", "service.instance.id": "i-1", "process.pid": 4242 }),
    readers: [exporter, ...also].map(reader),
    views,
  });
  return { meter: provider.getMeter("livedash-test"), flush: () => provider.forceFlush(), shutdown: () => provider.shutdown() };
}

/**
 * `rate` is `increase` per second over the interval between two stored points `ms` apart. Stored ts
 * are the export times truncated to whole ms, so the true interval is within 1 ms of `ms`.
 */
function expectRate(rate: number, increase: number, ms: number) {
  expect(rate).toBeGreaterThanOrEqual(increase / ((ms + 1) / 1000));
  expect(rate).toBeLessThanOrEqual(increase / (Math.max(ms - 1, 0.5) / 1000));
}

/** Resolves once Date.now() is past `ms` (a condition on the clock, not a fixed sleep). */
async function clockPast(ms: number) {
  await vi.waitFor(() => expect(Date.now()).toBeGreaterThan(ms), { timeout: 1_000, interval: 1 });
}

/**
 * A WebSocket live subscription to `selector`, returned once it is known to be live: a sentinel point
 * pushed after subscribing has reached it.
 */
async function liveFor(server: LivedashServer, selector: string) {
  const live = openLive("ws", server.url, { series: [selector, "otel.sentinel"] });
  await vi.waitFor(async () => {
    await ingest(server.url, [{ series: "otel.sentinel", value: 1 }]);
    expect(live.points().some((p) => p.series === "otel.sentinel")).toBe(true);
  }, WAIT);
  return live;
}

describe("OpenTelemetry JS SDK exporting to POST /v1/metrics", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it.each(variants)("takes gauges, counters, up-down counters and histograms over $name, readable by history and live", async (variant) => {
    const proxy = await recordingProxy(server.url);
    const service = `svc-${variant.name.replace(/\W+/g, "-")}`;
    const labels = `host="web1",instance="i-1",service="${service}"`;
    const live = await liveFor(server, "otel.test.*");

    const { meter, flush, shutdown } = sdk(variant.make(`${proxy.url}/v1/metrics`), service);
    const gauge = meter.createGauge("otel.test.temperature", { unit: "Cel" });
    const counter = meter.createCounter("otel.test.requests");
    const upDown = meter.createUpDownCounter("otel.test.queue");
    const histogram = meter.createHistogram("otel.test.latency", { advice: { explicitBucketBoundaries: [0, 5, 10, 25, 50, 75, 100, 250] } });

    gauge.record(21.5, { room: "a" });
    counter.add(5, { "http.route": "/a" });
    upDown.add(7);
    upDown.add(-2);
    for (let v = 1; v <= 100; v++) histogram.record(v);
    // The SDK's clock has whole milliseconds: an export in the millisecond of the first recording has
    // start == time, an interval of zero, which gives no rate (rightly). Let one pass.
    await clockPast(Date.now() + 2);
    await flush();

    const temperature = `otel.test.temperature{host="web1",instance="i-1",room="a",service="${service}"}`;
    const requests = `otel.test.requests{host="web1",http_route="/a",instance="i-1",service="${service}"}`;
    const queue = `otel.test.queue{${labels}}`;
    const trpc = httpClient(server.url);
    const history = async (series: string) => (await trpc.metrics.history.query({ series: [series], from: 0, to: Date.now() + 60_000 }))[0]!.points;

    await vi.waitFor(async () => expect((await history(temperature)).map((p) => p.value)).toEqual([21.5]), WAIT);
    expect((await history(queue)).map((p) => p.value)).toEqual([5]);
    // The first export of a cumulative counter is a rate since its start time: 5 over a positive interval.
    const [firstRate] = await history(requests);
    expect(firstRate!.value).toBeGreaterThan(0);
    // 1..100 in buckets (0,5] (5,10] (10,25] (25,50] (50,75] (75,100]: the quantiles interpolate to 50, 90 and 99.
    for (const [suffix, expected] of [["p50", 50], ["p90", 90], ["p99", 99]] as const) {
      expect((await history(`otel.test.latency.${suffix}{${labels}}`))[0]!.value).toBeCloseTo(expected, 6);
    }
    expect((await history(`otel.test.latency.count{${labels}}`))[0]!.value).toBeGreaterThan(0);

    // Second export: the counter's rate is the increase (10) over the time between the two exports.
    counter.add(10, { "http.route": "/a" });
    await clockPast(Date.now() + 2);
    await flush();
    await vi.waitFor(async () => expect(await history(requests)).toHaveLength(2), WAIT);
    const [first, second] = await history(requests);
    expectRate(second!.value, 10, second!.ts - first!.ts);
    // No new observation in the histogram: its count rate falls to 0 and no quantile is made up.
    expect((await history(`otel.test.latency.count{${labels}}`)).map((p) => p.value).at(-1)).toBe(0);
    expect(await history(`otel.test.latency.p50{${labels}}`)).toHaveLength(1);

    // The same points reached the live subscription, labels in their keys; process.pid was not made a label.
    await vi.waitFor(() => expect(live.points().filter((p) => p.series === requests)).toHaveLength(2), WAIT);
    expect(live.points().some((p) => p.series === temperature && p.value === 21.5)).toBe(true);
    expect(live.points().every((p) => !p.series.includes("pid"))).toBe(true);

    // What the SDK sent: the encoding under test.
    expect(proxy.seen.length).toBeGreaterThanOrEqual(2);
    for (const headers of proxy.seen) {
      expect(headers["content-type"]).toContain(variant.contentType);
      expect(headers["content-encoding"]).toBe(variant.encoding);
    }
    await shutdown();
    await live.close();
    await proxy.close();
  });

  it.each([variants[0], variants[2]])("estimates p50/p90/p99 from an exponential histogram over $name, per export interval", async (variant) => {
    const service = `expo-${variant.name.replace(/\W+/g, "-")}`;
    // What the SDK exports, seen by a second reader: proof the view made the histogram exponential.
    const seen = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const { meter, flush, shutdown } = sdk(variant.make(`${server.url}/v1/metrics`), service, [
      { instrumentName: "otel.expo.latency", aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } },
    ], [seen]);
    const histogram = meter.createHistogram("otel.expo.latency", { unit: "ms" });
    for (let v = 1; v <= 1000; v++) histogram.record(v);
    await clockPast(Date.now() + 2);
    await flush();
    const trpc = httpClient(server.url);
    const labels = `host="web1",instance="i-1",service="${service}"`;
    const values = async (suffix: string) =>
      (await trpc.metrics.history.query({ series: [`otel.expo.latency.${suffix}{${labels}}`], from: 0, to: Date.now() + 60_000 }))[0]!.points.map((p) => p.value);
    await vi.waitFor(async () => expect(await values("p50")).toHaveLength(1), WAIT);
    const exported = seen.getMetrics().flatMap((m) => m.scopeMetrics.flatMap((sm) => sm.metrics));
    expect(exported.map((m) => m.dataPointType)).toEqual([DataPointType.EXPONENTIAL_HISTOGRAM]);
    // The SDK picks the finest scale that fits 1..1000 in its 160 buckets (scale 4: each bucket spans
    // a factor 2^(1/16) = 1.044), so an estimate is within that factor of the exact quantile.
    const within = (estimate: number, exact: number) => {
      expect(estimate).toBeGreaterThanOrEqual(exact / 1.045);
      expect(estimate).toBeLessThanOrEqual(exact * 1.045);
    };
    within((await values("p50"))[0]!, 500);
    within((await values("p90"))[0]!, 900);
    within((await values("p99"))[0]!, 990);
    expect((await values("count"))[0]).toBeGreaterThan(0);

    // Second export, cumulative, a range 3x wider (the SDK rescales): the quantiles are those of the interval.
    for (let v = 2001; v <= 3000; v++) histogram.record(v);
    await clockPast(Date.now() + 2);
    await flush();
    await vi.waitFor(async () => expect(await values("p50")).toHaveLength(2), WAIT);
    const coarse = 2 ** (1 / 8) + 0.001; // at most one rescale: scale 3
    const p50 = (await values("p50"))[1]!;
    expect(p50).toBeGreaterThanOrEqual(2500 / coarse);
    expect(p50).toBeLessThanOrEqual(2500 * coarse);
    expect((await values("p99"))[1]!).toBeGreaterThanOrEqual(2990 / coarse);
    await shutdown();
  });

  it.each([variants[0], variants[2]])("carries units and descriptions into the catalog over $name", async (variant) => {
    const service = `meta-${variant.name.replace(/\W+/g, "-")}`;
    const { meter, flush, shutdown } = sdk(variant.make(`${server.url}/v1/metrics`), service);
    meter.createCounter("otel.meta.sent", { unit: "By", description: "Bytes sent." }).add(1000);
    meter.createHistogram("otel.meta.latency", { unit: "ms", description: "Request latency." }).record(12);
    meter.createUpDownCounter("otel.meta.queue", { unit: "{job}", description: "Jobs waiting." }).add(3);
    meter.createGauge("otel.meta.temperature", { unit: "Cel", description: "Room temperature." }).record(21);
    await clockPast(Date.now() + 2);
    await flush();
    const labels = `{host="web1",instance="i-1",service="${service}"}`;
    const trpc = httpClient(server.url);
    const entry = async (name: string) => (await trpc.metrics.catalog.query()).find((s) => s.key === name + labels);
    await vi.waitFor(async () => expect(await entry("otel.meta.temperature")).toBeDefined(), WAIT);
    // A counter becomes a per-second rate: bytes -> bytes per second.
    expect(await entry("otel.meta.sent")).toMatchObject({ unit: "bytes_per_second", kind: "rate", description: "Bytes sent. (per second)" });
    expect(await entry("otel.meta.latency.p99")).toMatchObject({ unit: "ms", kind: "gauge", description: "Request latency. (p99)" });
    expect(await entry("otel.meta.latency.count")).toMatchObject({ unit: "per_second", kind: "rate", description: "Request latency. (observations per second)" });
    expect(await entry("otel.meta.latency.sum")).toMatchObject({ unit: "none", kind: "rate" });
    // `{job}` is a count of things; an up-down counter stays a value.
    expect(await entry("otel.meta.queue")).toMatchObject({ unit: "count", kind: "gauge", description: "Jobs waiting." });
    // A unit the dashboard has no format for (Celsius) is named in the description.
    expect(await entry("otel.meta.temperature")).toMatchObject({ unit: "none", kind: "gauge", description: "Room temperature. [unit Cel]" });
    await shutdown();
  });

  it("turns a delta counter into its rate over each interval", async () => {
    const { meter, flush, shutdown } = sdk(
      new JsonExporter({ url: `${server.url}/v1/metrics`, temporalityPreference: AggregationTemporalityPreference.DELTA }),
      "delta-svc",
    );
    const counter = meter.createCounter("otel.delta.jobs");
    counter.add(30);
    await clockPast(Date.now() + 2);
    await flush();
    const key = 'otel.delta.jobs{host="web1",instance="i-1",service="delta-svc"}';
    const trpc = httpClient(server.url);
    await vi.waitFor(async () => expect((await trpc.metrics.history.query({ series: [key], from: 0 }))[0]!.points).toHaveLength(1), WAIT);
    const [first] = (await trpc.metrics.history.query({ series: [key], from: 0 }))[0]!.points;
    expect(first!.value).toBeGreaterThan(0);
    // Delta: each export holds only its interval's increase, 12 here, over the time since the last export.
    counter.add(12);
    await clockPast(Date.now() + 2);
    await flush();
    await vi.waitFor(async () => expect((await trpc.metrics.history.query({ series: [key], from: 0 }))[0]!.points).toHaveLength(2), WAIT);
    const [, second] = (await trpc.metrics.history.query({ series: [key], from: 0 }))[0]!.points;
    expectRate(second!.value, 12, second!.ts - first!.ts);
    await shutdown();
  });
});
