import type { HistoryBuckets, HistoryPoint, Point, SeriesInfo, SeriesMeta } from "@livedash/events";

export interface HistoryQuery {
  readonly from: number;
  readonly to: number;
  readonly maxPoints: number;
  /**
   * How many series the request reads with this query (metrics.history asks for up to 1000, an
   * aggregation reads every member): the disk store's per-series row floors shrink past
   * FULL_FLOOR_SERIES so one request stays bounded. @default 1
   */
  readonly seriesInRequest?: number;
}

/**
 * Per-series ring buffers (typed arrays) plus the catalog. Points are fed from Engine.onBatch, so every
 * instance holds the same points whichever engine runs. Descriptions (describe) are not on the bus:
 * they stay on the instance that received them (collectors' own, or an ingest request's `meta`), and
 * another instance lists such a series with default unit and kind once its first point arrives.
 */
export interface SeriesStore {
  /** Appends points (in accepted order). A series seen for the first time enters the catalog. */
  append(points: readonly Point[]): void;
  /** Declares or updates unit/kind/description/thresholds. */
  describe(meta: readonly SeriesMeta[]): void;
  has(series: string): boolean;
  /** Number of distinct series held (for the cardinality cap). */
  size(): number;
  /** How many held points of `series` are newer than `ts` (ingest refuses points later than its limit). */
  latePoints(series: string, ts: number): number;
  catalog(): SeriesInfo[];
  /** Points in [from, to] downsampled to at most maxPoints buckets, each with mean, min and max. */
  history(series: string, query: HistoryQuery): HistoryPoint[];
  /** The same buckets as columns (what `metrics.historyColumns` sends; no object per bucket). */
  historyColumns(series: string, query: HistoryQuery): HistoryBuckets;
  /**
   * Why writes are refused right now (the disk store when its disk is full), or null. Ingest answers
   * 507 with this message while it is set. Absent: never blocked (memory).
   */
  writeBlocked?(): string | null;
}
