import type { IncomingMessage, ServerResponse } from "node:http";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { HttpError, readBodyBytes } from "../ingest/read-body";
import { ErrorList } from "../ingest/result";
import { CumulativeState } from "../ingest/otlp/cumulative-state";
import { decodeJsonRequest } from "../ingest/otlp/decode-json";
import { OtlpDecodeError, decodeProtobufRequest, decodingLazily } from "../ingest/otlp/decode-proto";
import { LabelTailCache } from "../ingest/otlp/label-tail-cache";
import { MetaMemo } from "../ingest/meta-memo";
import { SeriesKeys } from "../ingest/otlp/series-keys";
import { RawTailCache } from "../ingest/otlp/raw-tail-cache";
import type { PointRefused } from "../ingest/otlp/emitter";
import { mapExportRequest, type MappedRequest } from "../ingest/otlp/map-request";
import { formatOf, sendExportResponse, sendStatus, type OtlpFormat } from "../ingest/otlp/response";
import type { OtlpExportRequest } from "../ingest/otlp/model";
import { EntryLimitPassed, PointLimitPassed } from "../ingest/otlp/point-budget";
import { INSUFFICIENT_STORAGE_STATUS, InsufficientStorage, RetryAfter, type OverCapDrop } from "../pipeline/ingest-service";
import type { Services } from "../services";
import { contextFromRequest, ingestSourceKey } from "./auth";

/**
 * What a producer is told to wait after a 503 (the engine is down): OTLP exporters retry 503 with
 * backoff and honour Retry-After.
 */
const UNAVAILABLE_RETRY_AFTER_MS = 5_000;
/** What a request the decoder stopped reading at the points-per-request limit maps to: nothing, and `more`. */
const PAST_LIMIT: MappedRequest = { points: [], sources: [], meta: [], dataPoints: 0, rejected: 0, errors: new ErrorList(), more: true };
/** Error lines quoted in partial_success.error_message; the count says how many there were. */
const QUOTED_ERRORS = 5;

/**
 * `POST /v1/metrics`, OTLP/HTTP (docs/ingest.md, "OpenTelemetry"): protobuf or JSON, gzip,
 * through the same ingest service as /api/ingest (token, rate limit, series cap, points per request,
 * 507 on a full disk). The per-series state that turns cumulative counters into rates lives here,
 * one per server.
 */
export function createOtlpMetricsHandler(services: Services) {
  const state = new CumulativeState(services.config.limits.maxSeries);
  const tails = new LabelTailCache<string | PointRefused>();
  const rawTails = new RawTailCache();
  const keys = new SeriesKeys();
  const described = new MetaMemo(services.config.limits.maxSeries);

  return async function handleOtlpMetrics(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const format = formatOf(req.headers["content-type"]);
    if (format === null) {
      const got = req.headers["content-type"] ?? "none";
      return sendStatus(res, 415, "json", `Content-Type must be application/x-protobuf or application/json (got ${JSON.stringify(got.slice(0, 80))})`);
    }
    const ctx = contextFromRequest(services, req);
    if (!ctx.auth.ingest) return sendStatus(res, 401, format, "a valid ingest token is required (Authorization: Bearer <LIVEDASH_INGEST_TOKEN>)");
    const source = ingestSourceKey(services, req);
    if (!source.ok) return sendStatus(res, 400, format, source.message);

    const { maxPointsPerRequest: maxPoints, maxFutureMs } = services.ingest.limits;
    // null: the body holds more data points than the limit (the decoder stopped there).
    let request: OtlpExportRequest | null;
    try {
      const body = await readBodyBytes(req, services.config.limits.maxBodyBytes);
      request = format === "protobuf" ? decodeProtobufRequest(body, maxPoints) : decodeJsonRequest(body.toString("utf8"), maxPoints);
    } catch (error) {
      if (error instanceof HttpError) return sendStatus(res, error.status, format, error.message);
      if (error instanceof OtlpDecodeError || error instanceof EntryLimitPassed) return sendStatus(res, 400, format, error.message);
      if (!(error instanceof PointLimitPassed)) throw error;
      request = null;
    }

    // The state moves on only if the points are taken: a refused request is retried by the exporter.
    const advances = state.transaction();
    let mapped: MappedRequest;
    try {
      mapped = request === null ? PAST_LIMIT : decodingLazily(() => mapExportRequest(request, advances, { nowMs: Date.now(), maxFutureMs, maxPoints }, tails, rawTails, keys));
    } catch (error) {
      if (!(error instanceof OtlpDecodeError)) throw error;
      // A gauge or sum data point is read by the mapping: one that is malformed refuses the request whole.
      advances.rollback();
      return sendStatus(res, 400, format, error.message);
    }
    let overCap: OverCapDrop | undefined;
    try {
      const meta = described.changed(mapped.meta);
      // Past the limit (`more`), the ingest service refuses the request with the limit's message.
      ({ overCap } = await services.ingest.acceptValidated(mapped.points, meta, source.key, mapped.more, "drop"));
      const dropped = overCap?.series;
      described.remember(dropped === undefined ? meta : meta.filter((m) => !dropped.has(m.series)));
    } catch (error) {
      advances.rollback();
      if (!(error instanceof TRPCError)) throw error;
      return sendIngestError(res, format, error);
    }
    sendExportResponse(res, format, partialSuccess(mapped, overCap));
  };
}

/**
 * The ingest service's refusals as OTLP wants them: 429 and 503 are the retryable ones, with
 * Retry-After. The points-per-request limit is a 400: the OTLP spec's "Bad Data", a request refused
 * the same way whenever it is sent (its body, unlike a 413's, was read within the byte limit).
 */
function sendIngestError(res: ServerResponse, format: OtlpFormat, error: TRPCError): void {
  if (error.cause instanceof InsufficientStorage) return sendStatus(res, INSUFFICIENT_STORAGE_STATUS, format, error.message);
  const status = error.code === "PAYLOAD_TOO_LARGE" ? 400 : getHTTPStatusCodeFromError(error);
  const retryAfterMs = error.cause instanceof RetryAfter ? error.cause.retryAfterMs : status === 503 ? UNAVAILABLE_RETRY_AFTER_MS : undefined;
  sendStatus(res, status, format, error.message, retryAfterMs);
}

/** partial_success when data points were rejected (by the mapping or the series cap) or a warning is due; else null. */
export function partialSuccess(mapped: MappedRequest, overCap: OverCapDrop | undefined): { rejectedDataPoints: number; errorMessage: string } | null {
  let rejected = mapped.rejected;
  const messages = mapped.errors.items.map((e) => e.message);
  if (overCap) {
    // A data point is rejected when any of its series was dropped (a histogram's .p99 but not its .count, say).
    const dropped = new Set<number>();
    for (let i = 0; i < mapped.points.length; i++) if (overCap.series.has(mapped.points[i]!.series)) dropped.add(mapped.sources[i]!);
    rejected += dropped.size;
    messages.unshift(`${dropped.size} data points over the series cap: ${overCap.message}`);
  }
  if (rejected === 0 && messages.length === 0) return null;
  const more = messages.length - QUOTED_ERRORS + (mapped.errors.truncated ? 1 : 0);
  const errorMessage = messages.slice(0, QUOTED_ERRORS).join("; ") + (more > 0 ? `; and more` : "");
  return { rejectedDataPoints: rejected, errorMessage };
}
