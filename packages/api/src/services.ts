import type { HistoryPoint, IngestInput, IngestResult, Point, ResetEvent, SeriesInfo, SeriesMatcherCache, SeriesMeta, ServerInfo } from "@livedash/events";

/** One published batch: every point of one tick or one ingest request, under one event id. */
export interface Batch {
  readonly id: string;
  readonly points: readonly Point[];
}

/** Answer of EventLog.replayAfter: the batches after an id, or why they cannot be replayed. */
export type ReplayResult =
  | { readonly ok: true; readonly batches: readonly Batch[] }
  | { readonly ok: false; readonly reason: ResetEvent["reason"] };

/** The read side of the bus that subscriptions and polls need; the server's Engine implements it. */
export interface EventLog {
  /** Listeners run synchronously, in id order, once per batch, on every instance. */
  onBatch(listener: (batch: Batch) => void): () => void;
  /** Batches strictly after `id`, oldest first, or a reset reason when that id cannot be replayed. */
  replayAfter(id: string): Promise<ReplayResult>;
  /** The id of the newest batch this instance has seen, or null before the first. */
  latestId(): string | null;
  /** A cursor that sorts before every batch published from now on: the id a reset carries when no batch exists yet. */
  startId(): string;
  /** <0, 0, >0 like a sort comparator; throws on ids this log did not make. */
  compareIds(a: string, b: string): number;
}

export interface HistoryQuery {
  readonly from: number;
  readonly to: number;
  readonly maxPoints: number;
}

/** What the procedures read from the series store (catalog, history) and write to it (descriptions). */
export interface CatalogStore {
  /** Declares or updates unit/kind/description/thresholds. */
  describe(meta: readonly SeriesMeta[]): void;
  catalog(): SeriesInfo[];
  /** Points in [from, to] downsampled to at most maxPoints buckets, each with mean, min and max. */
  history(series: string, query: HistoryQuery): HistoryPoint[];
}

/** The one write path (limits, cardinality cap, rate limit, one batch) shared with the HTTP ingest routes. */
export interface IngestPath {
  accept(input: { points: IngestInput["points"]; meta?: SeriesMeta[] }, clientKey: string): Promise<IngestResult>;
}

/**
 * Everything a procedure may use. The server builds one implementation in createServer() (its own
 * Services extends this); tests may hand a smaller fake to createCaller.
 */
export interface ApiServices {
  readonly config: {
    /** How far back history reaches when a query gives no `from`. */
    readonly retentionMs: number;
    readonly limits: { readonly maxPatterns: number };
  };
  readonly engine: EventLog;
  readonly store: CatalogStore;
  readonly ingest: IngestPath;
  readonly tickets: { issue(): { ticket: string; expiresAt: number } };
  /** Open long-polls, counted for the self collector and /metrics. */
  readonly traffic: { polls: number };
  /** Compiled series patterns and their per-series results for the per-request paths (poll, live generator). */
  readonly matchers: SeriesMatcherCache;
  info(): ServerInfo;
}
