import { z } from "zod";
import { IdentifiedEventSchema, EventIdSchema } from "./live";
import { IncomingPointSchema } from "./point";
import { WIRE_LIMITS } from "./protocol/limits";
import { SeriesKeySchema } from "./labels";
import { AggregateSchema } from "./aggregate";
import { SeriesMetaSchema } from "./series";
import { SeriesSelectorSchema } from "./selector";
import { HistoryEncodingSchema } from "./history-f64";

const patterns = z
  .array(SeriesSelectorSchema)
  .min(1, "series must name at least one series or pattern")
  .max(WIRE_LIMITS.patternsPerSubscription, `series must have at most ${WIRE_LIMITS.patternsPerSubscription} patterns`);

export const LiveInputSchema = z.object({
  series: patterns,
  /** Set by tRPC's links on reconnect (tracked() convention) or by the caller to resume. */
  lastEventId: EventIdSchema.nullish(),
  /** Aggregate the selected series by label (docs/aggregation.md); absent: every selected series as is. */
  aggregate: AggregateSchema.optional(),
});
export type LiveInput = z.infer<typeof LiveInputSchema>;

export const PollInputSchema = z.object({
  series: patterns,
  /** The `cursor` returned by the previous poll; absent on the first one (returns only new events). */
  cursor: EventIdSchema.nullish(),
  /** How long to hold the request open when nothing is new. 0 makes it a short poll. */
  waitMs: z
    .number()
    .int("waitMs must be an integer")
    .min(0, "waitMs must not be negative")
    .max(WIRE_LIMITS.maxPollWaitMs, `waitMs must be at most ${WIRE_LIMITS.maxPollWaitMs}`)
    .default(25_000),
  /** As in metrics.live: the poll then carries the aggregate's points (docs/aggregation.md). */
  aggregate: AggregateSchema.optional(),
});
export type PollInput = z.input<typeof PollInputSchema>;

export const PollResultSchema = z.object({ events: z.array(IdentifiedEventSchema), cursor: EventIdSchema.nullable() });
export type PollResult = z.infer<typeof PollResultSchema>;

const historyInputShape = {
  /**
   * Series keys or selectors (`host.cpu.*{host="web1"}`); each is expanded to the catalog's keys it
   * matches (at most seriesPerHistoryQuery in all). A selector that names one exact series (a name
   * and `=` matchers) and matches nothing answers for that key with no points.
   */
  series: z
    .array(SeriesSelectorSchema)
    .min(1, "series must name at least one series")
    .max(WIRE_LIMITS.seriesPerHistoryQuery, `series must have at most ${WIRE_LIMITS.seriesPerHistoryQuery} names`),
  from: z.number().finite("from must be epoch milliseconds").nonnegative("from must not be negative").optional(),
  to: z.number().finite("to must be epoch milliseconds").nonnegative("to must not be negative").optional(),
  maxPoints: z
    .number()
    .int("maxPoints must be an integer")
    .min(1, "maxPoints must be at least 1")
    .max(WIRE_LIMITS.maxHistoryPoints, `maxPoints must be at most ${WIRE_LIMITS.maxHistoryPoints}`)
    .default(600),
  /** Aggregate the series by label per bucket (docs/aggregation.md); the answer lists the output series. */
  aggregate: AggregateSchema.optional(),
};
const fromNotAfterTo: [(q: { from?: number; to?: number }) => boolean, { message: string; path: string[] }] = [
  (q) => q.from === undefined || q.to === undefined || q.from <= q.to,
  { message: "from must not be after to", path: ["from"] },
];

export const HistoryInputSchema = z.object(historyInputShape).refine(...fromNotAfterTo);
export type HistoryInput = z.input<typeof HistoryInputSchema>;

/** `metrics.historyColumns`' input: metrics.history's, plus how to send the numbers (history-f64.ts). */
export const HistoryColumnsInputSchema = z
  .object({
    ...historyInputShape,
    /** `json` (plain arrays) or `f64` (base64 of little-endian doubles, same numbers, no text formatting). @default "json" */
    encoding: HistoryEncodingSchema.default("json"),
  })
  .refine(...fromNotAfterTo);
export type HistoryColumnsInput = z.input<typeof HistoryColumnsInputSchema>;

/** One downsampled bucket: `value` is the mean, `min`/`max` keep the peaks. */
export const HistoryPointSchema = z.object({ ts: z.number(), value: z.number(), min: z.number(), max: z.number() });
export type HistoryPoint = z.infer<typeof HistoryPointSchema>;

export const HistorySeriesSchema = z.object({ series: SeriesKeySchema, points: z.array(HistoryPointSchema) });
export type HistorySeries = z.infer<typeof HistorySeriesSchema>;

/**
 * The buckets of one series as parallel arrays (`ts[i]`, `value[i]`, `min[i]`, `max[i]` are bucket i,
 * in ts order), the answer of `metrics.historyColumns`. Same numbers as `metrics.history`, in plain JSON,
 * without an object and four keys per bucket: a 30-day answer for 50 series (36 000 buckets) is 2.6 MB
 * as points and about a third smaller as columns, and the server builds no object per bucket.
 */
export const HistoryColumnsSchema = z
  .object({
    series: SeriesKeySchema,
    ts: z.array(z.number()),
    value: z.array(z.number()),
    min: z.array(z.number()),
    max: z.array(z.number()),
  })
  .refine((c) => c.value.length === c.ts.length && c.min.length === c.ts.length && c.max.length === c.ts.length, {
    message: "ts, value, min and max must have the same length",
    path: ["ts"],
  });
export type HistoryColumns = z.infer<typeof HistoryColumnsSchema>;

/** The columns of one series without its name (what a store answers for one series). */
export type HistoryBuckets = Omit<HistoryColumns, "series">;

/** Points as columns (the `metrics.historyColumns` shape). */
export function historyColumns(points: readonly HistoryPoint[]): HistoryBuckets {
  return { ts: points.map((p) => p.ts), value: points.map((p) => p.value), min: points.map((p) => p.min), max: points.map((p) => p.max) };
}

/** Bucket i of columns as a point (the `metrics.history` shape). */
export function historyPoints(buckets: HistoryBuckets): HistoryPoint[] {
  const out = new Array<HistoryPoint>(buckets.ts.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = { ts: buckets.ts[i] as number, value: buckets.value[i] as number, min: buckets.min[i] as number, max: buckets.max[i] as number };
  }
  return out;
}

export const IngestInputSchema = z.object({
  points: z
    .array(IncomingPointSchema)
    .max(WIRE_LIMITS.pointsPerIngest, `points must have at most ${WIRE_LIMITS.pointsPerIngest} entries`),
  /** Optional metadata for the series being pushed. */
  meta: z.array(SeriesMetaSchema).max(1000, "meta must have at most 1000 entries").optional(),
});
export type IngestInput = z.input<typeof IngestInputSchema>;

export const IngestResultSchema = z.object({ accepted: z.number().int(), id: EventIdSchema.nullable() });
export type IngestResult = z.infer<typeof IngestResultSchema>;

export const DescribeInputSchema = z.object({
  series: z.array(SeriesMetaSchema).min(1).max(1000, "series must have at most 1000 entries"),
});
export type DescribeInput = z.infer<typeof DescribeInputSchema>;

/** Answer of `system.info`: lets a dashboard show which instance it talks to. */
export const ServerInfoSchema = z.object({
  instanceId: z.string(),
  engine: z.enum(["memory", "redis"]),
  version: z.string(),
  startedAt: z.number(),
  /** The server's clock (epoch ms) when it answered: dashboards draw in server time, not the browser's. */
  now: z.number(),
  tickMs: z.number(),
  retentionMs: z.number(),
});
export type ServerInfo = z.infer<typeof ServerInfoSchema>;
