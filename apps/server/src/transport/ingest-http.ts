import type { IncomingMessage, ServerResponse } from "node:http";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { parseJsonIngest } from "../ingest/json-ingest";
import { parseLineProtocol } from "../ingest/line-protocol";
import { summarizeErrors } from "../ingest/result";
import { PrecisionSchema } from "../ingest/timestamp";
import { INSUFFICIENT_STORAGE_CODE, INSUFFICIENT_STORAGE_STATUS, InsufficientStorage, RetryAfter } from "../pipeline/ingest-service";
import type { Point, SeriesMeta } from "@livedash/events";
import type { Services } from "../services";
import { contextFromRequest, ingestSourceKey } from "./auth";
import { SOURCE_HOST_HEADER } from "../security/ingest-sources";
import { HttpError, readBodyBytes } from "../ingest/read-body";
import { sendJson, sendJsonError } from "./http-errors";
import { readSingleParams } from "./query-params";

async function readRequestBody(req: IncomingMessage, res: ServerResponse, services: Services): Promise<string | null> {
  const body = await readRequestBytes(req, res, services);
  return body === null ? null : body.toString("utf8");
}

/** The body within LIVEDASH_MAX_BODY_BYTES, or null once the refusal is answered. */
export async function readRequestBytes(req: IncomingMessage, res: ServerResponse, services: Services, options?: { decodeContent?: boolean }): Promise<Buffer | null> {
  try {
    return await readBodyBytes(req, services.config.limits.maxBodyBytes, options);
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    sendJsonError(res, error.status, error.message, error.extra);
    return null;
  }
}

/**
 * Answers an ingest the service refused (its TRPCError) with the matching status, Retry-After on 429,
 * 507 on a full disk. false: not a refusal (a bug), for the caller to rethrow.
 */
export function sendIngestRefusal(res: ServerResponse, error: unknown): boolean {
  if (!(error instanceof TRPCError)) return false;
  const retryAfterMs = error.cause instanceof RetryAfter ? error.cause.retryAfterMs : undefined;
  const full = error.cause instanceof InsufficientStorage;
  // The body's code matches the status: a full disk is not "service unavailable" (that one means retry soon).
  sendJsonError(res, full ? INSUFFICIENT_STORAGE_STATUS : getHTTPStatusCodeFromError(error), error.message, { code: full ? INSUFFICIENT_STORAGE_CODE : error.code }, retryAfterMs);
  return true;
}

/** Shared tail of both ingest routes: the one ingest path for parsed points, then a JSON answer. */
async function accept(res: ServerResponse, services: Services, clientKey: string, points: Point[], meta?: SeriesMeta[], more = false) {
  try {
    const result = await services.ingest.acceptValidated(points, meta, clientKey, more);
    sendJson(res, 200, result);
  } catch (error) {
    if (!sendIngestRefusal(res, error)) throw error;
  }
}

/** The caller's rate-limit key when it may write; null (401, or 400 for a bad X-Livedash-Host, sent) otherwise. */
export function requireIngest(req: IncomingMessage, res: ServerResponse, services: Services): string | null {
  const ctx = contextFromRequest(services, req);
  if (!ctx.auth.ingest) {
    sendJsonError(res, 401, "a valid ingest token is required (Authorization: Bearer <LIVEDASH_INGEST_TOKEN>)");
    return null;
  }
  const source = ingestSourceKey(services, req);
  if (source.ok) return source.key;
  sendJsonError(res, 400, source.message, { field: SOURCE_HOST_HEADER });
  return null;
}

/** `POST /api/ingest` with `{ "points": [{ "series", "value", "ts"? }], "meta"?: [...] }`. */
export async function handleIngestJson(req: IncomingMessage, res: ServerResponse, services: Services) {
  const clientKey = requireIngest(req, res, services);
  if (clientKey === null) return;
  const body = await readRequestBody(req, res, services);
  if (body === null) return;
  // The points-per-request limit is the ingest service's (one 413 for every entry point); the body
  // byte limit already bounds what the parser sees.
  const parsed = parseJsonIngest(body, { nowMs: Date.now(), maxFutureMs: services.ingest.limits.maxFutureMs });
  if (!parsed.ok) {
    return sendJsonError(res, 400, summarizeErrors(parsed.errors, parsed.truncated, "field"), { errors: parsed.errors, truncated: parsed.truncated });
  }
  await accept(res, services, clientKey, parsed.points, parsed.meta);
}

/** `POST /api/write?precision=s|ms|us|ns` with Influx line protocol, as Telegraf sends it. */
export async function handleIngestLineProtocol(req: IncomingMessage, res: ServerResponse, url: URL, services: Services) {
  const clientKey = requireIngest(req, res, services);
  if (clientKey === null) return;
  const params = readSingleParams(url, ["precision"]);
  if (!params.ok) return sendJsonError(res, 400, params.message, { field: params.field });
  const precision = PrecisionSchema.safeParse(params.values.precision ?? undefined);
  if (!precision.success) {
    return sendJsonError(res, 400, `precision: must be one of s, ms, us, ns (got "${params.values.precision}")`, { field: "precision" });
  }
  const body = await readRequestBody(req, res, services);
  if (body === null) return;
  // Parsing stops once the body is known to pass the points limit; the service still decides (once).
  const parsed = parseLineProtocol(body, {
    precision: precision.data,
    nowMs: Date.now(),
    maxFutureMs: services.ingest.limits.maxFutureMs,
    stopAfterPoints: services.ingest.limits.maxPointsPerRequest,
    heads: services.lineHeads,
  });
  if (!parsed.ok) {
    return sendJsonError(res, 400, summarizeErrors(parsed.errors, parsed.truncated, "line"), { errors: parsed.errors, truncated: parsed.truncated });
  }
  await accept(res, services, clientKey, parsed.points, undefined, parsed.more);
}
