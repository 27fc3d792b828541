import {
  AnnotationInputSchema,
  AnnotationQuerySchema,
  DescribeInputSchema,
  HistoryColumnsInputSchema,
  HistoryInputSchema,
  IngestInputSchema,
  LabelsInputSchema,
  LiveInputSchema,
  WIRE_LIMITS,
  PollInputSchema,
} from "@livedash/events";
import { encodeHistoryColumnsF64, historyColumns } from "@livedash/events";
import type { HistoryBuckets, HistoryColumnsWire } from "@livedash/events";
import type { z } from "zod";
import type { ApiServices, HistoryQuery } from "../services";
import type { TRPCRouterRecord } from "@trpc/server";
import { TRPCError } from "@trpc/server";
import { liveEvents } from "./live-generator";
import { pollEvents } from "./poll";
import { catalogEntries, expandSelectors, labelValues } from "./series-queries";
import { ingestProcedure, readProcedure } from "../trpc";

export function checkPatternLimit(patterns: readonly string[], maxPatterns: number) {
  if (patterns.length > maxPatterns) {
    throw new TRPCError({ code: "BAD_REQUEST", message: `series: at most ${maxPatterns} patterns per subscription (got ${patterns.length})` });
  }
}

/**
 * A history answer is built in one turn of the event loop and serialized whole, so its largest
 * possible size (series × maxPoints) is bounded before any work: 1000 series × 10k points was 59 MB.
 */
export function checkHistoryBudget(series: number, maxPoints: number, limit: number) {
  const asked = series * maxPoints;
  if (asked > limit) {
    throw new TRPCError({
      code: "PAYLOAD_TOO_LARGE",
      message: `series × maxPoints: ${series} × ${maxPoints} = ${asked} points is over the limit of ${limit} per history query (LIVEDASH_MAX_HISTORY_POINTS); ask fewer series per request or a smaller maxPoints`,
    });
  }
}

/** The window and bucket count of a history query. */
function historyWindow(services: ApiServices, input: z.output<typeof HistoryInputSchema>): HistoryQuery {
  const to = input.to ?? Date.now();
  return { from: input.from ?? to - services.config.retentionMs, to, maxPoints: input.maxPoints };
}

/**
 * The keys the selectors expand to, and the window and bucket count, both history procedures read. The
 * budget bounds what was asked before the catalog is read, then what the selectors expanded to.
 */
function historyQuery(services: ApiServices, input: z.output<typeof HistoryInputSchema>): { series: string[]; query: HistoryQuery } {
  checkHistoryBudget(input.series.length, input.maxPoints, services.config.limits.maxHistoryPoints);
  const keys = services.store.catalog().map((info) => info.name);
  const series = expandSelectors(input.series, keys, WIRE_LIMITS.seriesPerHistoryQuery);
  checkHistoryBudget(series.length, input.maxPoints, services.config.limits.maxHistoryPoints);
  return { series, query: { ...historyWindow(services, input), seriesInRequest: Math.max(1, series.length) } };
}

export const metricsRouter = {
  /** Every series: its key, and the key's name and labels, with unit, kind and last value. */
  catalog: readProcedure.query(({ ctx }) => catalogEntries(ctx.services.store.catalog())),

  /** Label names and their values over the series a selector matches: the explorer's filters. */
  labels: readProcedure.input(LabelsInputSchema).query(({ ctx, input }) => labelValues(catalogEntries(ctx.services.store.catalog()), input)),

  history: readProcedure.input(HistoryInputSchema).query(({ ctx, input }) => {
    // Aggregated, the answer's size depends on the output series, known once the members are grouped: checked there.
    if (input.aggregate) return ctx.services.aggregates.history(input.series, input.aggregate, historyWindow(ctx.services, input));
    const { series, query } = historyQuery(ctx.services, input);
    return series.map((key) => ({ series: key, points: ctx.services.store.history(key, query) }));
  }),

  /**
   * metrics.history's answer as columns (HistoryColumns): same input, same limits, same numbers; no
   * object per bucket to build, serialize and parse. The dashboard reads this one.
   */
  historyColumns: readProcedure.input(HistoryColumnsInputSchema).query(({ ctx, input }): HistoryColumnsWire[] => {
    // `encoding: "f64"` sends each column as base64 of doubles: same bits, no number formatting (history-f64.ts).
    const wire = (series: string, buckets: HistoryBuckets): HistoryColumnsWire => (input.encoding === "f64" ? encodeHistoryColumnsF64(series, buckets) : { series, ...buckets });
    if (input.aggregate) {
      return ctx.services.aggregates.history(input.series, input.aggregate, historyWindow(ctx.services, input)).map(({ series, points }) => wire(series, historyColumns(points)));
    }
    const { series, query } = historyQuery(ctx.services, input);
    return series.map((key) => wire(key, ctx.services.store.historyColumns(key, query)));
  }),

  /**
   * The live stream. Over WebSocket and SSE the transport layer serves this path on its own fast path
   * (shared frames, backpressure); this generator is the reference implementation for any other caller.
   */
  live: readProcedure.input(LiveInputSchema).subscription(async function* ({ ctx, input, signal }) {
    checkPatternLimit(input.series, ctx.services.config.limits.maxPatterns);
    yield* liveEvents(ctx.services, input, signal, ctx.address);
  }),

  poll: readProcedure.input(PollInputSchema).query(({ ctx, input, signal }) => {
    checkPatternLimit(input.series, ctx.services.config.limits.maxPatterns);
    return pollEvents(ctx.services, input, signal, ctx.address);
  }),

  ingest: ingestProcedure.input(IngestInputSchema).mutation(({ ctx, input }) => ctx.services.ingest.accept(input, ctx.clientKey)),

  /** A marker on every chart whose window holds it: a time point or a range, text and tags. */
  annotate: ingestProcedure.input(AnnotationInputSchema).mutation(({ ctx, input }) => ctx.services.alerts.annotate(input)),

  /** Annotations overlapping [from, to] (user ones and alert transitions), oldest first. */
  annotations: readProcedure.input(AnnotationQuerySchema).query(({ ctx, input }) => ctx.services.alerts.annotations(input)),

  describe: ingestProcedure.input(DescribeInputSchema).mutation(({ ctx, input }) => {
    ctx.services.store.describe(input.series);
    return { described: input.series.length };
  }),
} satisfies TRPCRouterRecord;
