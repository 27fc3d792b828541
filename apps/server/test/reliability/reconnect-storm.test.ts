import { performance, monitorEventLoopDelay } from "node:perf_hooks";
import type { IntervalHistogram } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { LivedashServer } from "../../src/server";
import { startTestServer } from "../helpers/server";
import { reportResult } from "./helpers/results";

/** Clients per transport: WebSocket (wsLink), plain /sse and tRPC SSE. */
const COUNTS = { ws: 1_500, sse: 250, "trpc-sse": 250 };
const CLIENTS = COUNTS.ws + COUNTS.sse + COUNTS["trpc-sse"];
const SERIES = "storm.counter";
/** Offered ingest load during the whole scenario: one point per batch. */
const RATE_PER_SEC = 50;
/** Safety bound of the producer; the scenario stops it long before. */
const MAX_VALUES = 20_000;
/** Values every client must have before the storm, and values produced during/after it. */
const VALUES_BEFORE_STORM = 25;
const VALUES_AFTER_STORM = 50;
const WAIT = { timeout: 60_000, interval: 50 };

/** Request/response over the worker's message port; each call answered once. */
function stormWorker(url: string) {
  const worker = new Worker(new URL("./helpers/storm-clients.mjs", import.meta.url), { workerData: { url, counts: COUNTS, series: [SERIES] } });
  let nextId = 1;
  const pending = new Map<number, (result: unknown) => void>();
  worker.on("message", ({ id, result }: { id: number; result: unknown }) => {
    pending.get(id)?.(result);
    pending.delete(id);
  });
  const failure = new Promise<never>((_, reject) => {
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`storm worker exited (${code})`)));
  });
  failure.catch(() => undefined);
  return {
    call<T>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
      const id = nextId++;
      const answer = new Promise<T>((resolve) => pending.set(id, resolve as (r: unknown) => void));
      worker.postMessage({ id, cmd, args });
      return Promise.race([answer, failure]);
    },
    terminate: () => worker.terminate(),
  };
}

interface Status {
  started: number;
  open: number;
  minLast: number;
  sent: number;
  producing: boolean;
  failed: number;
  lastStatus: number;
}

/** Sampling interval of the event-loop monitor. */
const LAG_RESOLUTION_MS = 10;
/** The histogram records whole timer intervals; the lag is what exceeds the resolution. */
const lagMs = (ns: number) => +Math.max(0, ns / 1e6 - LAG_RESOLUTION_MS).toFixed(1);
const lagFigures = (h: IntervalHistogram) => ({ p50Ms: lagMs(h.percentile(50)), p99Ms: lagMs(h.percentile(99)), maxMs: lagMs(h.max) });

describe("reconnect storm", () => {
  let server: LivedashServer;
  let clients: ReturnType<typeof stormWorker>;
  beforeAll(async () => {
    // Every storm client connects from 127.0.0.1, and old sockets may still be closing as new ones open.
    server = await startTestServer({ LIVEDASH_MAX_CONNECTIONS_PER_IP: "10000" });
    clients = stormWorker(server.url);
  });
  afterAll(async () => {
    await clients?.call("close").catch(() => undefined);
    await clients?.terminate();
    await server?.close();
  });

  it(`${CLIENTS} clients (${COUNTS.ws} WS, ${COUNTS.sse} SSE, ${COUNTS["trpc-sse"]} tRPC SSE) drop at once and resume by id: no gap, no duplicate, ids strictly increasing; event-loop lag reported`, async () => {
    // Bounded by the call's own promise; a stuck worker fails the test by its timeout.
    const status = () => clients.call<Status>("status");
    await clients.call("open", { concurrency: 50 });
    await vi.waitFor(() => expect(server.services.hub.stats().subscriptions).toBe(CLIENTS), WAIT);

    const steady = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
    steady.enable();
    await clients.call("produce", { ratePerSec: RATE_PER_SEC, maxValues: MAX_VALUES });
    await vi.waitFor(async () => expect((await status()).minLast).toBeGreaterThanOrEqual(VALUES_BEFORE_STORM), WAIT);
    steady.disable();

    // The storm: every client drops at the same instant and reconnects at once with its last id,
    // while points keep arriving.
    const lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
    lag.enable();
    const stormAt = performance.now();
    const sentAtStorm = (await status()).sent;
    await clients.call("storm");
    await vi.waitFor(async () => expect((await status()).started).toBe(CLIENTS), WAIT);
    const allResubscribedMs = performance.now() - stormAt;
    await vi.waitFor(async () => expect((await status()).sent).toBeGreaterThanOrEqual(sentAtStorm + VALUES_AFTER_STORM), WAIT);
    const final = await clients.call<Status>("stop-producing");
    expect(final.failed).toBe(0);
    await vi.waitFor(async () => expect((await status()).minLast).toBe(final.sent), WAIT);
    const allCaughtUpMs = performance.now() - stormAt;
    lag.disable();

    const report = await clients.call<Record<string, unknown> & { problems: string[] }>("report");
    reportResult("reconnect-storm", {
      ...report,
      clients: COUNTS,
      ingestRatePerSec: RATE_PER_SEC,
      valuesProduced: final.sent,
      valuesDuringStorm: final.sent - sentAtStorm,
      allResubscribedMs: Math.round(allResubscribedMs),
      allCaughtUpMs: Math.round(allCaughtUpMs),
      eventLoopLagSteady: lagFigures(steady),
      eventLoopLagStorm: lagFigures(lag),
    });
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ gaps: 0, duplicates: 0, idRegressions: 0, resets: 0, coalesced: 0, errors: 0, reconnects: CLIENTS });
    // Every client saw every value exactly once: 1..final.sent, nothing missing at either end.
    expect(report.distinctLastValues).toEqual([final.sent]);
    expect(report.points).toBe(CLIENTS * final.sent);
    expect(server.services.hub.stats().subscriptions).toBe(CLIENTS);
  }, 150_000);
});
