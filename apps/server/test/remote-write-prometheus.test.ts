import { parseSeriesKey } from "@livedash/events";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { LivedashServer } from "../src/server";
import { httpClient, openLive } from "./helpers/live-clients";
import type { LiveClient } from "./helpers/live-clients";
import { startPrometheus } from "./helpers/prometheus-peer";
import type { PrometheusPeer } from "./helpers/prometheus-peer";
import { startTestServer } from "./helpers/server";

// Prometheus batches for 200 ms and scrapes every second (helpers/prometheus-peer.ts); the rest is
// its start-up on a shared machine.
const WAIT = { timeout: 30_000, interval: 200 };
const INGEST = "ingest-token-for-prometheus";

describe("Debian's prometheus remote-writing to POST /api/v1/write", () => {
  let server: LivedashServer;
  let prometheus: PrometheusPeer;
  let live: LiveClient;
  beforeAll(async () => {
    // An ingest token as a user would set one; reads stay open (loopback) for the live client.
    server = await startTestServer({ LIVEDASH_INGEST_TOKEN: INGEST });
    live = openLive("ws", server.url, { series: ["up*"] });
    prometheus = await startPrometheus({ remoteWriteUrl: `${server.url}/api/v1/write`, bearerToken: INGEST });
  }, 40_000);
  afterAll(async () => {
    await prometheus?.stop();
    await live?.close();
    await server?.close();
  });

  it("delivers its series with their labels to history and live; NaN samples are taken, counted, not stored", async () => {
    const up = `up{instance="${prometheus.address}",job="prometheus"}`;
    const trpc = httpClient(server.url);
    await vi.waitFor(async () => {
      const [history] = await trpc.metrics.history.query({ series: [up], from: Date.now() - 60_000 });
      expect(history!.points.at(-1)?.value, prometheus.output()).toBe(1);
    }, WAIT);
    await vi.waitFor(() => expect(live.points().some((p) => p.series === up && p.value === 1)).toBe(true), WAIT);

    const catalog = await trpc.metrics.catalog.query();
    const buildInfo = catalog.map((s) => parseSeriesKey(s.key)).find((p) => p.ok && p.value.name === "prometheus_build_info");
    expect(buildInfo?.ok && buildInfo.value.labels).toMatchObject({ instance: prometheus.address, job: "prometheus", version: expect.stringMatching(/^2\.42\./) });
    // Histograms arrive as Prometheus stores them: one series per bucket, with `le`.
    expect(catalog.some((s) => s.key.startsWith("prometheus_http_request_duration_seconds_bucket{") && s.key.includes('le="+Inf"'))).toBe(true);

    // Prometheus' own metrics include NaN (summaries with no observations): the requests were still
    // accepted (204, or it would log and drop them) and the NaN samples counted.
    await vi.waitFor(async () => {
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(Number(/livedash_remote_write_skipped_total\{reason="nan"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(0);
    }, WAIT);
    expect(prometheus.output()).not.toMatch(/non-recoverable error|status 4\d\d/);
  });

  it("describes the series from the metadata Prometheus sends (TYPE, HELP): unit, kind and description in the catalog", async () => {
    const trpc = httpClient(server.url);
    const find = async (prefix: string) => (await trpc.metrics.catalog.query()).find((s) => s.key.startsWith(prefix) && s.key.includes(`instance="${prometheus.address}"`));
    await vi.waitFor(async () => expect(await find("prometheus_http_requests_total{"), prometheus.output()).toMatchObject({ kind: "counter", description: "Counter of HTTP requests." }), WAIT);
    expect(await find("prometheus_http_request_duration_seconds_sum{")).toMatchObject({ unit: "seconds", kind: "counter", description: expect.stringContaining("sum of observations") });
    expect(await find("process_resident_memory_bytes{")).toMatchObject({ unit: "bytes", kind: "gauge", description: "Resident memory size in bytes." });
    expect(prometheus.output()).not.toMatch(/non-recoverable error|status 4\d\d/);
  });
});
