import { IngestInputSchema, addLabels, canonicalSeriesKey, formatIssuePath, type IncomingPoint, type Point } from "@livedash/events";
import type { z } from "zod";
import { ErrorList, type IngestParseResult, type PathError } from "./result";
import { checkFuture } from "./timestamp";

export interface IngestValidationOptions {
  /** Time of the request, epoch ms: the ts of points without one, and the base of maxFutureMs. */
  readonly nowMs: number;
  /**
   * Refuse more points than this before validating them. The server leaves it unset: its ingest
   * service checks LIVEDASH_MAX_POINTS_PER_REQUEST once for every entry point (one 413).
   * @default no cap (the body byte limit bounds the work)
   */
  readonly maxPoints?: number;
  /** How far ahead of nowMs a ts may be. */
  readonly maxFutureMs: number;
}

/**
 * Parses the body of `POST /api/ingest`: `{ "points": [{ "series", "value", "ts"? }], "meta"?: [...] }`.
 * Errors name the JSON path (`points[3].value: value must be a finite number ...`); malformed JSON is
 * one `body` error. Atomic like every ingest entry point: any error and no point is returned.
 */
export function parseJsonIngest(body: string, opts: IngestValidationOptions): IngestParseResult<PathError> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return fail([{ path: "body", message: `body: not valid JSON (${detail})` }]);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return fail([{ path: "body", message: 'body: expected a JSON object like { "points": [{ "series": "a.b", "value": 1 }] }' }]);
  }
  // Checked before the schema so an oversized array is refused without validating every entry.
  const count = countError((parsed as { points?: unknown }).points, opts.maxPoints);
  if (count) return fail([count]);

  const result = IngestInputSchema.safeParse(parsed);
  if (!result.success) {
    const errors = new ErrorList<PathError>();
    for (const issue of result.error.issues) errors.push(issueToError(issue));
    return { ok: false, errors: errors.items, truncated: errors.truncated };
  }
  const validated = validateIngestPoints(result.data.points, opts);
  if (!validated.ok || result.data.meta === undefined) return validated;
  return { ok: true, points: validated.points, meta: result.data.meta };
}

/**
 * The checks every ingest entry point shares after its own schema (JSON body, line protocol, the
 * metrics.ingest mutation): the points-per-request limit, the future-timestamp limit, and the
 * default ts. Returns Points with ts always set.
 */
export function validateIngestPoints(points: readonly IncomingPoint[], opts: IngestValidationOptions): IngestParseResult<PathError> {
  const count = countError(points, opts.maxPoints);
  if (count) return fail([count]);
  const errors = new ErrorList<PathError>();
  const out: Point[] = new Array<Point>(points.length);
  for (let i = 0; i < points.length; i += 1) {
    const point = points[i] as IncomingPoint;
    const ts = point.ts ?? opts.nowMs;
    const future = checkFuture(ts, opts);
    if (!future.ok) errors.push({ path: `points[${i}].ts`, message: `points[${i}].ts: ${future.message}` });
    out[i] = { series: point.series, ts, value: point.value };
    // A bare name is already canonical; a key or `labels` is sorted into the one key of its series.
    if (point.labels !== undefined) {
      const merged = addLabels(point.series, point.labels);
      if (merged.ok) out[i]!.series = merged.key;
      else {
        const path = merged.label === undefined ? `points[${i}].labels` : `points[${i}].labels.${merged.label}`;
        errors.push({ path, message: `${path}: ${merged.message}` });
      }
    } else if (point.series.indexOf("{") !== -1) {
      out[i]!.series = canonicalSeriesKey(point.series) ?? point.series;
    }
  }
  if (!errors.empty) return { ok: false, errors: errors.items, truncated: errors.truncated };
  return { ok: true, points: out };
}

function countError(points: unknown, maxPoints: number | undefined): PathError | null {
  if (maxPoints === undefined || !Array.isArray(points) || points.length <= maxPoints) return null;
  return { path: "points", message: `points: ${points.length} entries (limit ${maxPoints} per request)` };
}

function fail(errors: PathError[]): IngestParseResult<PathError> {
  return { ok: false, errors, truncated: false };
}

/** `["points", 3, "value"]` -> `points[3].value`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return formatIssuePath(path) || "body";
}

function issueToError(issue: z.core.$ZodIssue): PathError {
  const path = formatPath(issue.path);
  return { path, message: `${path}: ${describeIssue(issue)}` };
}

/**
 * zod's type messages ("Invalid input: expected number, received undefined") read like a type mix-up
 * when a key is simply missing, and JSON's 1e999 arrives as Infinity; say what is wrong instead.
 * Falls back to zod's own message for anything else.
 */
function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code !== "invalid_type") return issue.message;
  const received = / received (\S+)$/.exec(issue.message)?.[1];
  if (received === undefined) return issue.message;
  if (received === "undefined") return `is required (${issue.expected})`;
  if (received === "Infinity" || received === "-Infinity" || received === "NaN") {
    return `must be a finite number (got ${received}; JSON numbers beyond ±1.7e308 overflow)`;
  }
  return `must be ${issue.expected === "array" || issue.expected === "object" ? "an" : "a"} ${issue.expected} (got ${received})`;
}
