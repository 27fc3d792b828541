import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseSeriesKey } from "@livedash/events";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { LivedashServer } from "../src/server";
import { SCRAPE_ACCEPT_HEADER } from "../src/scrape/fetch-exposition";
import { httpClient } from "./helpers/live-clients";
import { startNodeExporter, startPrometheus } from "./helpers/prometheus-peer";
import type { PrometheusPeer } from "./helpers/prometheus-peer";
import { startTestServer } from "./helpers/server";
import { mainUrl, startMain } from "./helpers/main-process";

const WAIT = { timeout: 30_000, interval: 100 };

/** The latest value of `key` in history, or undefined. */
async function latest(server: LivedashServer, key: string): Promise<number | undefined> {
  const [history] = await httpClient(server.url).metrics.history.query({ series: [key], from: Date.now() - 120_000 });
  return history?.points.at(-1)?.value;
}

describe("scraping Debian's prometheus and prometheus-node-exporter (LIVEDASH_SCRAPE)", () => {
  let prometheus: PrometheusPeer;
  let nodeExporter: Awaited<ReturnType<typeof startNodeExporter>>;
  let server: LivedashServer;
  beforeAll(async () => {
    [prometheus, nodeExporter] = await Promise.all([startPrometheus(), startNodeExporter()]);
    server = await startTestServer({
      LIVEDASH_SCRAPE: `${prometheus.url}/metrics#job=prometheus,${nodeExporter.url}/metrics#job=node`,
      LIVEDASH_SCRAPE_INTERVAL_MS: "500",
    });
  }, 40_000);
  afterAll(async () => {
    await server?.close();
    await nodeExporter?.stop();
    await prometheus?.stop();
  });

  it("stores node_exporter's and Prometheus' series with instance and job labels, and up = 1 per target", async () => {
    const node = { instance: nodeExporter.address, job: "node" };
    await vi.waitFor(async () => expect(await latest(server, `up{instance="${node.instance}",job="node"}`)).toBe(1), WAIT);
    await vi.waitFor(async () => expect(await latest(server, `up{instance="${prometheus.address}",job="prometheus"}`)).toBe(1), WAIT);
    const idle = `node_cpu_seconds_total{cpu="0",instance="${node.instance}",job="node",mode="idle"}`;
    expect(await latest(server, idle)).toBeGreaterThan(0);
    expect(await latest(server, `scrape_duration_seconds{instance="${node.instance}",job="node"}`)).toBeGreaterThan(0);
    expect(await latest(server, `scrape_samples_scraped{instance="${node.instance}",job="node"}`)).toBeGreaterThan(100);

    const catalog = await httpClient(server.url).metrics.catalog.query();
    const build = catalog.map((s) => parseSeriesKey(s.key)).find((p) => p.ok && p.value.name === "prometheus_build_info");
    expect(build?.ok && build.value.labels).toMatchObject({ instance: prometheus.address, job: "prometheus", version: expect.stringMatching(/^2\.42\./) });
    // Histograms as Prometheus stores them: a series per bucket (le), _sum and _count.
    expect(catalog.some((s) => s.key.startsWith("prometheus_http_request_duration_seconds_bucket{") && s.key.includes('le="+Inf"'))).toBe(true);
    expect(catalog.some((s) => s.key.startsWith("prometheus_http_request_duration_seconds_count{"))).toBe(true);
  });

  it("describes the series from the targets' HELP and TYPE: unit, kind and description in the catalog", async () => {
    const node = `instance="${nodeExporter.address}",job="node"`;
    const entry = async (key: string) => (await httpClient(server.url).metrics.catalog.query()).find((s) => s.key === key);
    const idle = `node_cpu_seconds_total{cpu="0",${node},mode="idle"}`;
    // node_exporter 1.5: `# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.` / `# TYPE ... counter`.
    await vi.waitFor(async () => expect(await entry(idle)).toMatchObject({ unit: "seconds", kind: "counter", description: "Seconds the CPUs spent in each mode." }), WAIT);
    expect(await entry(`node_memory_MemAvailable_bytes{${node}}`)).toMatchObject({ unit: "bytes", kind: "gauge", description: expect.stringContaining("MemAvailable") });
    // A histogram's series: buckets and _count count observations, _sum is in the family's unit.
    const prom = `instance="${prometheus.address}",job="prometheus"`;
    const catalog = await httpClient(server.url).metrics.catalog.query();
    const sum = catalog.find((s) => s.key.startsWith("prometheus_http_request_duration_seconds_sum{") && s.key.includes(prom));
    expect(sum).toMatchObject({ unit: "seconds", kind: "counter", description: expect.stringMatching(/^Histogram of latencies for HTTP requests\. \(sum of observations\)/) });
    const bucket = catalog.find((s) => s.key.startsWith("prometheus_http_request_duration_seconds_bucket{") && s.key.includes(prom));
    expect(bucket).toMatchObject({ unit: "count", kind: "counter" });
    // The described name is not listed beside its labelled keys.
    expect(catalog.filter((s) => s.key === "node_cpu_seconds_total")).toEqual([]);
  });

  it("writes up = 0 once the target is gone", async () => {
    const up = `up{instance="${nodeExporter.address}",job="node"}`;
    await vi.waitFor(async () => expect(await latest(server, up)).toBe(1), WAIT);
    await nodeExporter.stop();
    await vi.waitFor(async () => expect(await latest(server, up)).toBe(0), WAIT);
  });
});

describe("scrape limits and shutdown, against misbehaving targets", () => {
  let target: Server;
  let base: string;
  const accepts: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let hangingRequests = 0;
  beforeAll(async () => {
    target = createServer((req, res) => {
      accepts.push(req.headers.accept ?? "");
      if (req.url === "/hang") {
        hangingRequests++;
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        req.socket.once("close", () => inFlight--);
        return; // never answers
      }
      if (req.url === "/big") return res.end(`big ${"1".repeat(5_000)}\n`);
      if (req.url === "/garbage") return res.end("this is { not an exposition\n");
      if (req.url === "/500") {
        res.statusCode = 500;
        return res.end("oops");
      }
      res.setHeader("content-type", "application/openmetrics-text; version=1.0.0; charset=utf-8");
      res.end("# TYPE ok gauge\nok 1\n# EOF\n");
    });
    await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    target.closeAllConnections();
    await new Promise((resolve) => target.close(resolve));
  });

  it("writes up = 0 for a timeout, a body over the limit, a bad exposition and HTTP 500; up = 1 for a good one; one scrape in flight per target; close() aborts", async () => {
    const instance = (target.address() as AddressInfo).port;
    const jobs = ["hang", "big", "garbage", "500", "ok"];
    const server = await startTestServer(
      { LIVEDASH_SCRAPE: jobs.map((job) => `${base}/${job}#job=${job}`).join(","), LIVEDASH_SCRAPE_INTERVAL_MS: "200" },
      { scrape: { timeoutMs: 150, maxBodyBytes: 1_000 } },
    );
    try {
      for (const job of jobs) {
        await vi.waitFor(async () => expect(await latest(server, `up{instance="127.0.0.1:${instance}",job="${job}"}`), job).toBe(job === "ok" ? 1 : 0), WAIT);
      }
      expect(await latest(server, `ok{instance="127.0.0.1:${instance}",job="ok"}`)).toBe(1);
      await vi.waitFor(() => expect(hangingRequests).toBeGreaterThanOrEqual(3), WAIT);
      expect(maxInFlight).toBe(1);
      expect(accepts[0]).toBe(SCRAPE_ACCEPT_HEADER);
      // A scrape hangs right now or will soon: close() must not wait for it.
      await vi.waitFor(() => expect(inFlight).toBe(1), WAIT);
    } finally {
      await server.close();
    }
    const after = hangingRequests;
    await vi.waitFor(() => expect(inFlight).toBe(0), WAIT);
    // No loop survives close(): another interval passes without a new request (an absence: nothing to await).
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(hangingRequests).toBe(after);
  });

  it("the server process exits 0 on SIGTERM while a scrape hangs, and the scrape's connection is closed", async () => {
    const before = hangingRequests;
    // A long interval: the scrape's own timeout (10 s) is far beyond the shutdown timeout (2 s).
    const proc = startMain({ PORT: "0", LIVEDASH_SCRAPE: `${base}/hang#job=hang`, LIVEDASH_SCRAPE_INTERVAL_MS: "60000", LIVEDASH_SHUTDOWN_TIMEOUT_MS: "2000" });
    await mainUrl(proc);
    await vi.waitFor(() => {
      expect(hangingRequests).toBe(before + 1);
      expect(inFlight).toBe(1);
    }, WAIT);
    proc.child.kill("SIGTERM");
    expect(await proc.exited, proc.output()).toBe(0);
    await vi.waitFor(() => expect(inFlight).toBe(0), WAIT);
  });
});
