import type { IncomingMessage, ServerResponse } from "node:http";
import { AnnotationInputSchema, AnnotationQuerySchema, formatZodIssues } from "@livedash/events";
import type { Services } from "../services";
import { HttpError, readBody } from "../ingest/read-body";
import { contextFromRequest } from "./auth";
import { sendJson, sendJsonError } from "./http-errors";
import { readSingleParams } from "./query-params";

/** Annotations are small: a body past this is refused before it is parsed. */
const MAX_ANNOTATION_BODY_BYTES = 16_384;

function requireRead(req: IncomingMessage, res: ServerResponse, services: Services): boolean {
  if (contextFromRequest(services, req).auth.read) return true;
  sendJsonError(res, 401, "a valid read token is required (Authorization: Bearer <LIVEDASH_READ_TOKEN>)");
  return false;
}

/** `GET /api/alerts`: every rule with its state, silences, recent transitions, the rules file's last error. */
export function handleAlertsList(req: IncomingMessage, res: ServerResponse, services: Services) {
  if (!requireRead(req, res, services)) return;
  sendJson(res, 200, services.alerts.list());
}

/** `GET /api/annotations?from=&to=&limit=` (read token) and `POST /api/annotations` `{ text, ts?, endTs?, tags? }` (ingest token). */
export async function handleAnnotations(req: IncomingMessage, res: ServerResponse, url: URL, services: Services) {
  if (req.method === "GET") {
    if (!requireRead(req, res, services)) return;
    const params = readSingleParams(url, ["from", "to", "limit"]);
    if (!params.ok) return sendJsonError(res, 400, params.message, { field: params.field });
    const raw: Record<string, number | undefined> = {};
    for (const field of ["from", "to", "limit"] as const) {
      const text = params.values[field];
      if (text === null || text === "") continue;
      const value = Number(text);
      if (!Number.isFinite(value)) return sendJsonError(res, 400, `${field}: must be a number (got "${text.slice(0, 40)}")`, { field });
      raw[field] = value;
    }
    const query = AnnotationQuerySchema.safeParse(raw);
    if (!query.success) return sendJsonError(res, 400, formatZodIssues(query.error), { field: String(query.error.issues[0]?.path[0] ?? "") });
    const found = await orUnavailable(res, services, () => services.alerts.annotations(query.data));
    if (found !== undefined) sendJson(res, 200, { annotations: found });
    return;
  }
  if (!contextFromRequest(services, req).auth.ingest) {
    return sendJsonError(res, 401, "a valid ingest token is required (Authorization: Bearer <LIVEDASH_INGEST_TOKEN>)");
  }
  let body: string;
  try {
    body = await readBody(req, Math.min(MAX_ANNOTATION_BODY_BYTES, services.config.limits.maxBodyBytes));
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    return sendJsonError(res, error.status, error.message, error.extra);
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return sendJsonError(res, 400, "body: not valid JSON", { field: "body" });
  }
  const input = AnnotationInputSchema.safeParse(json);
  if (!input.success) return sendJsonError(res, 400, formatZodIssues(input.error), { field: String(input.error.issues[0]?.path[0] ?? "body") });
  const annotation = await orUnavailable(res, services, () => services.alerts.annotate(input.data));
  if (annotation !== undefined) sendJson(res, 200, annotation);
}

/**
 * With Redis, user annotations live there: while it does not answer, a 503 says so (the caller
 * retries). The backend's own text (addresses) goes to the log, not to the caller.
 */
async function orUnavailable<T>(res: ServerResponse, services: Services, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (error) {
    services.log.warn({ err: error }, "annotations: redis did not answer");
    sendJsonError(res, 503, "annotations unavailable: their store (Redis) did not answer; try again");
    return undefined;
  }
}
