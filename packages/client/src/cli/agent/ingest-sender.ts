import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import type { Point, SeriesMeta } from "@livedash/events";
import { errorCode } from "../error-code";

const gzip = promisify(gzipCallback);

/** What one POST /api/ingest came to, as the send loop acts on it. */
export type SendOutcome =
  | { kind: "ok"; accepted: number }
  /** 401/403: the token is wrong or missing. Retrying cannot help; the agent exits. */
  | { kind: "refused-token"; status: number; message: string }
  /** 413: this batch is too big for the server's limits; send it in smaller pieces. */
  | { kind: "too-large"; message: string }
  /** Another 4xx: the server will never take this batch (a series it refuses); dropping it unblocks the rest. */
  | { kind: "rejected"; status: number; message: string }
  /** Network down, server restarting, overloaded (429/5xx): keep the batch and retry later. */
  | { kind: "retry"; message: string; retryAfterMs: number | undefined };

export interface SendOptions {
  /** Base URL of the server, no trailing slash. */
  readonly server: string;
  readonly token: string | undefined;
  /**
   * A request that takes longer is abandoned and retried (a half-open connection must not stall the
   * agent forever).
   * @default 15_000
   */
  readonly requestTimeoutMs?: number;
  /** Aborts the request in flight (shutdown after the flush deadline). */
  readonly signal?: AbortSignal;
}

/** Status codes that mean "later": overloaded, draining, or a proxy that cannot reach the server yet. */
const TRANSIENT_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

/** Longest Retry-After the agent honours; a bigger one is capped (the backoff cap still applies after). */
const MAX_RETRY_AFTER_MS = 300_000;

/**
 * POSTs one gzip-compressed JSON batch to `/api/ingest` and classifies the answer. Never throws:
 * every failure becomes an outcome with a message that names the URL.
 */
export async function sendBatch(points: readonly Point[], meta: readonly SeriesMeta[], options: SendOptions): Promise<SendOutcome> {
  const url = `${options.server}/api/ingest`;
  const body = await gzip(JSON.stringify(meta.length > 0 ? { points, meta } : { points }));
  const timeout = AbortSignal.timeout(options.requestTimeoutMs ?? 15_000);
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "content-encoding": "gzip",
        ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      },
      body,
      signal: options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]),
    });
  } catch (error) {
    return { kind: "retry", message: unreachable(error, options.server, timeout.aborted), retryAfterMs: undefined };
  }
  const text = await res.text().catch(() => "");
  const message = errorMessage(text) ?? `${res.status} ${res.statusText}`.trim();
  if (res.ok) {
    const accepted = (safeJson(text) as { accepted?: unknown } | undefined)?.accepted;
    return { kind: "ok", accepted: typeof accepted === "number" ? accepted : points.length };
  }
  if (res.status === 401 || res.status === 403) return { kind: "refused-token", status: res.status, message };
  if (res.status === 413) return { kind: "too-large", message };
  if (TRANSIENT_STATUS.has(res.status)) {
    return { kind: "retry", message: `${url} answered ${res.status}: ${message}`, retryAfterMs: retryAfterMs(res.headers.get("retry-after")) };
  }
  if (res.status === 404 || res.status === 405) {
    // A proxy path or a different service at that address: a configuration slip, but a proxy being
    // redeployed answers 404 for a moment too, so keep the points and keep trying.
    return { kind: "retry", message: `${url} answered ${res.status}: is --server the base URL of a Livedash server?`, retryAfterMs: undefined };
  }
  return { kind: "rejected", status: res.status, message };
}

function unreachable(error: unknown, server: string, timedOut: boolean): string {
  if (timedOut) return `the Livedash server at ${server} did not answer in time`;
  const code = errorCode(error);
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  const detail = code ?? (cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error));
  return `cannot reach the Livedash server at ${server} (${detail})`;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The server's JSON error message (`{ "error": { "message" } }`), or the start of a non-JSON body (a proxy's page). */
function errorMessage(text: string): string | undefined {
  const parsed = safeJson(text) as { error?: { message?: unknown } } | undefined;
  if (typeof parsed?.error?.message === "string") return parsed.error.message;
  const plain = text.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim();
  return plain.length > 0 ? plain.slice(0, 200) : undefined;
}

/** Retry-After in seconds (or an HTTP date), in ms; undefined when absent or unreadable. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, MAX_RETRY_AFTER_MS) : undefined;
}
