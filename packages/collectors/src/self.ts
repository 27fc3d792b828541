import { performance } from "node:perf_hooks";
import type { Labels, SeriesMeta } from "@livedash/events";
import type { Collector, CollectorEnv, Reading } from "./collector";
import { ratePerSecond } from "./proc-files";
import type { TrafficStats } from "./types";

const META: SeriesMeta[] = [
  {
    series: "livedash.connections",
    unit: "count",
    kind: "gauge",
    description: "Open connections by transport: ws (WebSocket), sse (plain /sse), trpc_sse (tRPC SSE), poll (long-polls held)",
  },
  { series: "livedash.subscriptions", unit: "count", kind: "gauge", description: "Live subscriptions on all transports" },
  { series: "livedash.events_out_per_s", unit: "per_second", kind: "rate", description: "Events written to subscribers" },
  { series: "livedash.bytes_out_per_s", unit: "bytes_per_second", kind: "rate", description: "Bytes written to subscribers" },
  { series: "livedash.points_in_per_s", unit: "per_second", kind: "rate", description: "Points accepted (collectors and ingest)" },
];

interface Snapshot {
  readonly atMs: number;
  readonly stats: TrafficStats;
}

/** One label set per transport, built once. */
const TRANSPORTS = {
  ws: { transport: "ws" },
  sse: { transport: "sse" },
  trpcSse: { transport: "trpc_sse" },
  poll: { transport: "poll" },
} as const satisfies Record<keyof TrafficStats["connections"], Labels>;

/**
 * livedash.*: the server's own connections (gauges, `livedash.connections{transport="ws"}`) and
 * throughput (rates of its counters).
 */
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
        { series: "livedash.connections", labels: TRANSPORTS.ws, value: connections.ws },
        { series: "livedash.connections", labels: TRANSPORTS.sse, value: connections.sse },
        { series: "livedash.connections", labels: TRANSPORTS.trpcSse, value: connections.trpcSse },
        { series: "livedash.connections", labels: TRANSPORTS.poll, value: connections.poll },
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
