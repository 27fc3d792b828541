import {
  AnnotationInputSchema,
  AnnotationQuerySchema,
  DescribeInputSchema,
  HistoryInputSchema,
  IngestInputSchema,
  LiveInputSchema,
  PollInputSchema,
} from "@livedash/events";
import { historyColumns } from "@livedash/events";
import type { HistoryColumns } from "@livedash/events";
import type { z } from "zod";
import type { ApiServices, HistoryQuery } from "../services";
import type { TRPCRouterRecord } from "@trpc/server";
import { TRPCError } from "@trpc/server";
import { liveEvents } from "./live-generator";
import { pollEvents } from "./poll";
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

/** The window and bucket count both history procedures read (each checks its budget). */
function historyWindow(services: ApiServices, input: z.output<typeof HistoryInputSchema>): HistoryQuery {
  const to = input.to ?? Date.now();
  return { from: input.from ?? to - services.config.retentionMs, to, maxPoints: input.maxPoints };
}

export const metricsRouter = {
  catalog: readProcedure.query(({ ctx }) => ctx.services.store.catalog()),

  history: readProcedure.input(HistoryInputSchema).query(({ ctx, input }) => {
    const window = historyWindow(ctx.services, input);
    // The answer's size depends on the output series, known once the members are grouped: checked there.
    if (input.aggregate) return ctx.services.aggregates.history(input.series, input.aggregate, window);
    checkHistoryBudget(input.series.length, input.maxPoints, ctx.services.config.limits.maxHistoryPoints);
    return input.series.map((series) => ({ series, points: ctx.services.store.history(series, window) }));
  }),

  /**
   * metrics.history's answer as columns (HistoryColumns): same input, same limits, same numbers; no
   * object per bucket to build, serialize and parse. The dashboard reads this one.
   */
  historyColumns: readProcedure.input(HistoryInputSchema).query(({ ctx, input }): HistoryColumns[] => {
    const window = historyWindow(ctx.services, input);
    if (input.aggregate) return ctx.services.aggregates.history(input.series, input.aggregate, window).map(({ series, points }) => ({ series, ...historyColumns(points) }));
    checkHistoryBudget(input.series.length, input.maxPoints, ctx.services.config.limits.maxHistoryPoints);
    return input.series.map((series) => ({ series, ...ctx.services.store.historyColumns(series, window) }));
  }),

  /**
   * The live stream. Over WebSocket and SSE the transport layer serves this path on its own fast path
   * (shared frames, backpressure); this generator is the reference implementation for any other caller.
   */
  live: readProcedure.input(LiveInputSchema).subscription(async function* ({ ctx, input, signal }) {
    checkPatternLimit(input.series, ctx.services.config.limits.maxPatterns);
    yield* liveEvents(ctx.services, input, signal, ctx.clientKey);
  }),

  poll: readProcedure.input(PollInputSchema).query(({ ctx, input, signal }) => {
    checkPatternLimit(input.series, ctx.services.config.limits.maxPatterns);
    return pollEvents(ctx.services, input, signal, ctx.clientKey);
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
