import type { Point, SeriesMeta } from "@livedash/events";

/** Cumulative counters and gauges of the server's own traffic, read by the self collector. */
export interface TrafficStats {
  /** Open connections per transport right now. */
  readonly connections: { readonly ws: number; readonly sse: number; readonly trpcSse: number; readonly poll: number };
  /** Live subscriptions right now (all transports). */
  readonly subscriptions: number;
  /** Events written to subscribers since start (one per subscriber per event). */
  readonly eventsOut: number;
  /** Bytes written to subscribers since start. */
  readonly bytesOut: number;
  /** Points accepted since start (collectors and ingest). */
  readonly pointsIn: number;
}

export interface CollectorContext {
  /** Sampling interval; every collector samples once per tick. */
  readonly intervalMs: number;
  /** Publishes one tick's points as one batch (one event). */
  readonly publish: (points: Point[]) => void;
  /** Declares unit/kind/description of the series a collector produces, once at start. */
  readonly describe: (meta: SeriesMeta[]) => void;
  /** The server's own traffic, for the `livedash.*` series. @default none: no self collector (an agent) */
  readonly traffic?: () => TrafficStats;
  readonly now?: () => number;
}

export interface Collectors {
  stop(): void;
}

/** The one logging call collectors make; pino's Logger fits it, and so does a CLI's line writer. */
export interface CollectorLog {
  warn(fields: { err: unknown; collector: string }, message: string): void;
}
