import { z } from "zod";
import { historyPoints } from "@livedash/events";
import type { HistoryBuckets, HistoryPoint, Point, SeriesInfo, SeriesMeta } from "@livedash/events";
import { downsample } from "./downsample";
import { catalogEntry, defaultCatalogFields, mergeMeta, withNameMeta } from "./series-meta";
import type { CatalogFields } from "./series-meta";
import { TimeRing } from "./ring-buffer";
import type { HistoryQuery, SeriesStore } from "./types";

export interface SeriesStoreOptions {
  /**
   * How far back history reaches at the nominal resolution; with `resolutionMs` it sizes each ring.
   * @default 3_600_000 (1 hour)
   */
  retentionMs?: number;
  /**
   * Expected spacing of points (the collector tick).
   * @default 1000
   */
  resolutionMs?: number;
  /**
   * Points kept per series; overrides retentionMs / resolutionMs. A series written faster than
   * resolutionMs keeps a shorter time window, never more memory.
   * @default ceil(retentionMs / resolutionMs) = 3600
   */
  capacityPerSeries?: number;
  /**
   * Slots first allocated for a series; doubles on demand up to capacityPerSeries, so thousands
   * of sparse pushed series do not each reserve a full hour up front.
   * @default 64
   */
  initialCapacity?: number;
  /**
   * Most newer points a late point may be inserted behind; a later one is left out of history (ingest
   * refuses it first, see latePoints). Bounds what one out-of-order point costs.
   * @default 1024
   */
  maxLatePoints?: number;
  /**
   * Server clock. A series that received nothing (no point, no description) for longer than
   * retentionMs leaves the store: catalog, series cap and memory (time of arrival, not the points' ts).
   * @default Date.now
   */
  now?: () => number;
}

/** Stale series are looked for at most this often (each look walks every series). */
const SWEEP_INTERVAL_MS = 1000;

const MAX_CAPACITY_PER_SERIES = 10_000_000;

const OptionsSchema = z
  .object({
    retentionMs: z.number().int("retentionMs must be an integer").positive("retentionMs must be positive").default(3_600_000),
    resolutionMs: z.number().int("resolutionMs must be an integer").positive("resolutionMs must be positive").default(1000),
    capacityPerSeries: z
      .number()
      .int("capacityPerSeries must be an integer")
      .min(1, "capacityPerSeries must be at least 1")
      .max(MAX_CAPACITY_PER_SERIES, `capacityPerSeries must be at most ${MAX_CAPACITY_PER_SERIES}`)
      .optional(),
    initialCapacity: z.number().int("initialCapacity must be an integer").min(1, "initialCapacity must be at least 1").default(64),
    maxLatePoints: z.number().int("maxLatePoints must be an integer").min(0, "maxLatePoints must not be negative").default(1024),
    now: z.custom<() => number>((v) => typeof v === "function", "now must be a function returning epoch ms").default(() => Date.now),
  })
  .strict()
  .refine((o) => o.capacityPerSeries !== undefined || Math.ceil(o.retentionMs / o.resolutionMs) <= MAX_CAPACITY_PER_SERIES, {
    message: `retentionMs / resolutionMs must be at most ${MAX_CAPACITY_PER_SERIES} points per series`,
    path: ["retentionMs"],
  });

/** Shared by the memory and the disk store. */
export const HistoryQuerySchema = z
  .object({
    from: z.number().finite("from must be a finite epoch-ms number"),
    to: z.number().finite("to must be a finite epoch-ms number"),
    maxPoints: z.number().int("maxPoints must be an integer").min(1, "maxPoints must be at least 1"),
    seriesInRequest: z.number().int("seriesInRequest must be an integer").min(1, "seriesInRequest must be at least 1").optional(),
  })
  .refine((q) => q.from <= q.to, { message: "from must not be after to", path: ["from"] });

interface Entry extends CatalogFields {
  /** Allocated on the first point: a series may be described before it has data. */
  ring: TimeRing | null;
  /** Server clock of its last point or description (expiry). */
  seenMs: number;
}

export function createSeriesStore(options: SeriesStoreOptions = {}): SeriesStore {
  const opts = OptionsSchema.parse(options);
  const capacity = opts.capacityPerSeries ?? Math.ceil(opts.retentionMs / opts.resolutionMs);
  const initialCapacity = Math.min(capacity, opts.initialCapacity);
  const entries = new Map<string, Entry>();
  const now = opts.now;
  let lastSweep = Number.NEGATIVE_INFINITY;

  /**
   * Drops series silent for longer than retentionMs. Before this the memory store kept every series it
   * ever saw (its ring, its catalog entry and its slot of LIVEDASH_MAX_SERIES) until exit.
   */
  const sweep = (t: number): void => {
    if (t - lastSweep < Math.min(SWEEP_INTERVAL_MS, opts.retentionMs)) return;
    lastSweep = t;
    const cutoff = t - opts.retentionMs;
    for (const [name, entry] of entries) if (entry.seenMs < cutoff) entries.delete(name);
  };

  const entryOf = (series: string, t: number): Entry => {
    let entry = entries.get(series);
    if (entry === undefined) {
      entry = { ...defaultCatalogFields(), ring: null, seenMs: t };
      entries.set(series, entry);
    }
    entry.seenMs = t;
    return entry;
  };

  const store: SeriesStore = {
    append(points: readonly Point[]): void {
      const t = now();
      sweep(t);
      for (const point of points) {
        // Points are validated upstream (PointSchema); this guard only protects the sort invariant
        // of the ring, which a NaN timestamp would silently break.
        if (!Number.isFinite(point.ts) || !Number.isFinite(point.value)) continue;
        const entry = entryOf(point.series, t);
        entry.ring ??= new TimeRing(capacity, initialCapacity, opts.maxLatePoints);
        entry.ring.push(point.ts, point.value);
      }
    },

    describe(meta: readonly SeriesMeta[]): void {
      const t = now();
      sweep(t);
      for (const m of meta) mergeMeta(entryOf(m.series, t), m);
    },

    has(series: string): boolean {
      sweep(now());
      return entries.has(series);
    },

    size(): number {
      sweep(now());
      return entries.size;
    },

    latePoints(series: string, ts: number): number {
      return entries.get(series)?.ring?.newerThan(ts) ?? 0;
    },

    catalog(): SeriesInfo[] {
      sweep(now());
      const names = [...entries.keys()].sort();
      const infos = names.map((name) => {
        const entry = entries.get(name) as Entry;
        const ring = entry.ring;
        // `last` is the newest point by ts (the ring's tail), which is the current value even when
        // a late point was accepted after it.
        const last =
          ring !== null && ring.length > 0
            ? { ts: ring.tsAt(ring.length - 1), value: ring.valueAt(ring.length - 1) }
            : null;
        return catalogEntry(name, entry, last);
      });
      return withNameMeta(infos);
    },

    history(series: string, query: HistoryQuery): HistoryPoint[] {
      return historyPoints(store.historyColumns(series, query));
    },

    historyColumns(series: string, query: HistoryQuery): HistoryBuckets {
      const { from, to, maxPoints } = HistoryQuerySchema.parse(query);
      const ring = entries.get(series)?.ring;
      if (ring === null || ring === undefined) return { ts: [], value: [], min: [], max: [] };
      const start = ring.lowerBound(from);
      const end = ring.upperBound(to);
      return downsample(ring, start, end, from, to, maxPoints);
    },
  };
  return store;
}
