import { performance } from "node:perf_hooks";
import type { SeriesMeta } from "@livedash/events";
import type { Collector, CollectorEnv, Reading } from "./collector";
import { ratePerSecond } from "./proc-files";
import type { TrafficStats } from "./types";

const META: SeriesMeta[] = [
  { series: "livedash.connections.ws", unit: "count", kind: "gauge", description: "Open WebSocket connections" },
  { series: "livedash.connections.sse", unit: "count", kind: "gauge", description: "Open plain /sse streams" },
  { series: "livedash.connections.trpc_sse", unit: "count", kind: "gauge", description: "Open tRPC SSE subscription streams" },
  { series: "livedash.connections.poll", unit: "count", kind: "gauge", description: "Long-poll requests being held" },
  { series: "livedash.subscriptions", unit: "count", kind: "gauge", description: "Live subscriptions on all transports" },
  { series: "livedash.events_out_per_s", unit: "per_second", kind: "rate", description: "Events written to subscribers" },
  { series: "livedash.bytes_out_per_s", unit: "bytes_per_second", kind: "rate", description: "Bytes written to subscribers" },
  { series: "livedash.points_in_per_s", unit: "per_second", kind: "rate", description: "Points accepted (collectors and ingest)" },
];

interface Snapshot {
  readonly atMs: number;
  readonly stats: TrafficStats;
}

/** livedash.*: the server's own connections (gauges) and throughput (rates of its counters). */
export function createSelfCollector(env: CollectorEnv, traffic: () => TrafficStats): Collector {
  env.declare(META);
  let prev: Snapshot | null = null;
  // The baseline is taken at start; if the server's stats are not ready yet, the first tick is the
  // baseline instead and rates begin one tick later.
  try {
    prev = { atMs: performance.now(), stats: traffic() };
  } catch {
    prev = null;
  }

  return {
    name: "self",
    sample(out: Reading[]) {
      const cur: Snapshot = { atMs: performance.now(), stats: traffic() };
      const { connections, subscriptions } = cur.stats;
      out.push(
        { series: "livedash.connections.ws", value: connections.ws },
        { series: "livedash.connections.sse", value: connections.sse },
        { series: "livedash.connections.trpc_sse", value: connections.trpcSse },
        { series: "livedash.connections.poll", value: connections.poll },
        { series: "livedash.subscriptions", value: subscriptions },
      );
      if (prev !== null) {
        const elapsedMs = cur.atMs - prev.atMs;
        const rates: Array<[string, number | null]> = [
          ["livedash.events_out_per_s", ratePerSecond(prev.stats.eventsOut, cur.stats.eventsOut, elapsedMs)],
          ["livedash.bytes_out_per_s", ratePerSecond(prev.stats.bytesOut, cur.stats.bytesOut, elapsedMs)],
          ["livedash.points_in_per_s", ratePerSecond(prev.stats.pointsIn, cur.stats.pointsIn, elapsedMs)],
        ];
        for (const [series, value] of rates) if (value !== null) out.push({ series, value });
      }
      prev = cur;
    },
  };
}
