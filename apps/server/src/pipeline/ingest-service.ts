import type { IngestInput, IngestResult, Point, SeriesMeta } from "@livedash/events";
import { validateIngestPoints } from "../ingest/json-ingest";
import { ErrorList, summarizeErrors } from "../ingest/result";
import { TRPCError } from "@trpc/server";
import { createLogger } from "../logger";
import type { Batcher } from "../engine/batcher";
import { EngineUnavailableError } from "../engine/types";
import type { SeriesStore } from "../store/types";
import { labelWithMostValues } from "./cardinality";

export interface IngestLimits {
  /** @default 10_000 */
  maxPointsPerRequest: number;
  /** Distinct series the server will hold. @default 10_000 */
  maxSeries: number;
  /** Points a timestamp may lie in the future. @default 300_000 (5 min) */
  maxFutureMs: number;
  /** Most newer points of its series a late point may arrive behind (LIVEDASH_MAX_LATE_POINTS). @default 1024 */
  maxLatePoints: number;
}

export interface PointRateLimiter {
  /** `setting`: the variable whose limit refused it. @default "LIVEDASH_INGEST_RATE" */
  take(key: string, n: number): { ok: true } | { ok: false; retryAfterMs: number; setting?: string };
}

/**
 * The one path every write takes (tRPC mutation, POST /api/ingest, POST /api/write): limits, the
 * cardinality cap, the rate limit, then one batch. The checks run before anything is written and the
 * points are published as one batch, so they are accepted all or none. Descriptions (`meta`) are applied
 * just before the batch is published: a request then refused because the engine is down (503) has
 * still updated them, and its points were counted against the rate limit.
 */
export function createIngestService(deps: {
  store: SeriesStore;
  batcher: Batcher;
  limits: IngestLimits;
  rateLimiter: PointRateLimiter;
  now?: () => number;
  /** Where the engine's raw errors go (they may name internal addresses, so never to the caller). @default an error line on a default logger */
  logError?: (message: string) => void;
}) {
  const now = deps.now ?? Date.now;
  const logError = deps.logError ?? ((message: string) => createLogger().error(message));
  /**
   * New series admitted under the cap but not in the store yet: their batch waits in the batcher or,
   * on redis, for the stream read-back. Counting them closes the race where concurrent requests all
   * saw the same store size and together passed the cap. A name leaves once the store has it (checked
   * at the next admission) or at once when its batch was refused.
   */
  const reserved = new Set<string>();
  /** The store's raw error is logged once per outage, not once per refused request. */
  let unavailableLogged = false;
  /** `more`: a parser stopped early, so the request holds more points than `count` (past the limit). */
  function checkCount(count: number, more = false) {
    const limit = deps.limits.maxPointsPerRequest;
    if (more || count > limit) {
      throw new TRPCError({
        code: "PAYLOAD_TOO_LARGE",
        message: `points: at most ${limit} points per request (got ${more ? `more than ${limit}` : count}; LIVEDASH_MAX_POINTS_PER_REQUEST)`,
      });
    }
  }

  /**
   * One pass over the points: refuses points the store would have to shift more than maxLatePoints
   * newer ones for, and collects the series the store does not hold (nor has reserved) yet. Every
   * entry point runs it on every point, so it looks each point's series up at most twice, and not at
   * all for a point that follows one of the same series in ts order (it cannot be later than that one).
   */
  function scanPoints(points: readonly Point[], newSeries: Set<string>): void {
    const { store } = deps;
    const maxLate = deps.limits.maxLatePoints;
    const errors = new ErrorList<{ message: string }>();
    let previous: string | undefined;
    let previousTs = 0;
    for (let i = 0; i < points.length; i++) {
      const point = points[i]!;
      const series = point.series;
      if (series === previous && point.ts >= previousTs) {
        previousTs = point.ts;
        continue;
      }
      previous = series;
      previousTs = point.ts;
      if (!store.has(series)) {
        if (!reserved.has(series)) newSeries.add(series);
        continue;
      }
      const late = store.latePoints(series, point.ts);
      if (late > maxLate) {
        // The next point of this series is checked on its own: the errors name each late one.
        previous = undefined;
        errors.push({
          message: `points[${i}].ts: ${late} newer points of series '${series}' are already held (limit ${maxLate} late points per series, LIVEDASH_MAX_LATE_POINTS)`,
        });
        if (errors.full) break;
      }
    }
    if (!errors.empty) throw new TRPCError({ code: "BAD_REQUEST", message: summarizeErrors(errors.items, errors.truncated, "point") });
  }

  /** The rest of the path once points are counted and validated (ts set, not too far ahead): cap, rate, one batch. */
  async function publish(
    allPoints: readonly Point[],
    meta: readonly SeriesMeta[] | undefined,
    clientKey: string,
    overCap: OverCap = "refuse",
  ): Promise<IngestResult & { overCap?: OverCapDrop }> {
    const { limits, store } = deps;
    let points = allPoints;
    for (const name of reserved) if (store.has(name)) reserved.delete(name);
    const newSeries = new Set<string>();
    scanPoints(points, newSeries);
    // Described-only series enter the catalog too, so they count against the cap.
    for (const m of meta ?? []) if (!store.has(m.series) && !reserved.has(m.series)) newSeries.add(m.series);
    const held = store.size() + reserved.size;
    let dropped: OverCapDrop | undefined;
    if (newSeries.size > 0 && held + newSeries.size > limits.maxSeries) {
      const culprit = labelWithMostValues(newSeries);
      const blame = culprit === null ? "" : `; label ${culprit.label} has the most distinct values among them (${culprit.values})`;
      const message = `series cap reached: the server holds ${held} of at most ${limits.maxSeries} distinct series and this request adds ${newSeries.size} (LIVEDASH_MAX_SERIES)${blame}`;
      if (overCap === "refuse") throw new TRPCError({ code: "BAD_REQUEST", message });
      // "drop" (OTLP's partial success): the first new series that fit are admitted, the others' points dropped.
      const series = new Set<string>();
      let room = Math.max(0, limits.maxSeries - held);
      for (const name of newSeries) if (room > 0) room--; else series.add(name);
      for (const name of series) newSeries.delete(name);
      points = points.filter((point) => !series.has(point.series));
      dropped = { series, message };
    }
    if (points.length > 0) {
      const verdict = deps.rateLimiter.take(clientKey, points.length);
      if (!verdict.ok) {
        throw new TRPCError({
          code: "TOO_MANY_REQUESTS",
          message: `ingest rate limit exceeded; retry after ${Math.ceil(verdict.retryAfterMs / 1000)} s (${verdict.setting ?? "LIVEDASH_INGEST_RATE"})`,
          cause: new RetryAfter(verdict.retryAfterMs),
        });
      }
    }
    const blocked = store.writeBlocked?.();
    if (blocked) {
      // HTTP answers this with 507 Insufficient Storage (tRPC has no such code; see InsufficientStorage).
      throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: blocked, cause: new InsufficientStorage(blocked) });
    }
    // Under "drop", a described name past the cap is dropped like a point's series: never in the catalog.
    const droppedSeries = dropped?.series;
    const described = droppedSeries === undefined ? meta : meta?.filter((m) => !droppedSeries.has(m.series));
    if (described?.length) store.describe(described);
    if (points.length === 0) return { accepted: 0, id: null, ...(dropped && { overCap: dropped }) };
    for (const name of newSeries) if (!store.has(name)) reserved.add(name);
    try {
      const id = await deps.batcher.enqueue(points);
      unavailableLogged = false;
      return { accepted: points.length, id, ...(dropped && { overCap: dropped }) };
    } catch (error) {
      for (const name of newSeries) reserved.delete(name);
      if (error instanceof EngineUnavailableError) {
        if (!unavailableLogged) logError(`ingest refused (503): ${error.message}`);
        unavailableLogged = true;
        throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: `ingest is unavailable: ${error.publicMessage}; retry later` });
      }
      throw error;
    }
  }

  return {
    /** The tRPC mutation's entry: the same validation the HTTP parsers run, then the shared path. */
    async accept(input: { points: IngestInput["points"]; meta?: SeriesMeta[] }, clientKey: string): Promise<IngestResult> {
      // Counted before validation, so an oversized request costs no per-point work.
      checkCount(input.points.length);
      const validated = validateIngestPoints(input.points, { nowMs: now(), maxFutureMs: deps.limits.maxFutureMs });
      if (!validated.ok) {
        throw new TRPCError({ code: "BAD_REQUEST", message: summarizeErrors(validated.errors, validated.truncated, "point") });
      }
      return publish(validated.points, input.meta, clientKey);
    },
    /**
     * For the HTTP routes, whose parsers already validated (and defaulted ts of) every point; the
     * body byte limit bounded that work, and the points-per-request limit is checked here, once.
     * `more`: the parser stopped past the limit (stopAfterPoints) without reading the rest.
     */
    async acceptValidated(
      points: readonly Point[],
      meta: readonly SeriesMeta[] | undefined,
      clientKey: string,
      more = false,
      overCap: OverCap = "refuse",
    ): Promise<IngestResult & { overCap?: OverCapDrop }> {
      checkCount(points.length, more);
      return publish(points, meta, clientKey, overCap);
    },
    /** The limits in force; the HTTP parsers take maxFutureMs from here so it is set in one place. */
    limits: deps.limits as Readonly<IngestLimits>,
  };
}

/**
 * What a request whose new series pass LIVEDASH_MAX_SERIES gets: "refuse" answers 400 and keeps
 * nothing (every entry point but OTLP); "drop" keeps the points of the series that fit and reports
 * the others (OTLP's partial success).
 */
export type OverCap = "refuse" | "drop";

/** The series whose points were dropped under OverCap "drop", and the cap's message. */
export interface OverCapDrop {
  readonly series: ReadonlySet<string>;
  readonly message: string;
}

/** Carried as a TRPCError cause so HTTP answers can set Retry-After. */
export class RetryAfter extends Error {
  constructor(readonly retryAfterMs: number) {
    super(`retry after ${retryAfterMs} ms`);
    this.name = "RetryAfter";
  }
}

/** Carried as a TRPCError cause when the store refuses writes (disk full): answered with HTTP 507. */
export class InsufficientStorage extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InsufficientStorage";
  }
}

/** 507 Insufficient Storage (RFC 4918), the answer to an ingest while the disk is full. */
export const INSUFFICIENT_STORAGE_STATUS = 507;
/** The `code` in the body of POST /api/ingest's 507. */
export const INSUFFICIENT_STORAGE_CODE = "INSUFFICIENT_STORAGE";

export type IngestService = ReturnType<typeof createIngestService>;
