import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import type { Point, SeriesMeta } from "@livedash/events";
import { errorCode } from "../error-code";

const gzip = promisify(gzipCallback);

/** What one POST /api/ingest came to, as the send loop acts on it. */
export type SendOutcome =
  | { kind: "ok"; accepted: number }
  /** A redirect (an SSO page, http -> https): --server is not the server's own URL. Retrying cannot help; the agent exits. */
  | { kind: "config"; message: string }
  /** 401/403: the token is wrong or missing. Retrying cannot help; the agent exits. */
  | { kind: "refused-token"; status: number; message: string }
  /** 413: this batch is too big for the server's limits; send it in smaller pieces. */
  | { kind: "too-large"; message: string }
  /** Another 4xx: the server will never take this batch (a series it refuses); dropping it unblocks the rest. */
  | { kind: "rejected"; status: number; message: string }
  /** Network down, server restarting, overloaded (429/5xx): keep the batch and retry later. */
  | { kind: "retry"; message: string; retryAfterMs: number | undefined };

export interface SendOptions {
  /** Base URL of the server (no query, fragment or credentials; agent-args refuses those). */
  readonly server: string;
  readonly token: string | undefined;
  /**
   * The host the points are about (--host), sent as `X-Livedash-Host`: the server rate-limits per
   * address and host, so agents behind one proxy address do not share a flooding agent's bucket.
   */
  readonly host?: string;
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

/** Most of any answer read: a proxy's 200 MB error page must not take the agent's memory with it. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** Longest server-supplied text put in a log line. */
const MAX_MESSAGE_CHARS = 200;

/** `<base>/api/ingest`, keeping a base path (a proxy prefix) whether or not --server ends in "/". */
export function ingestUrl(server: string): string {
  return new URL("api/ingest", server.endsWith("/") ? server : `${server}/`).href;
}

/**
 * POSTs one gzip-compressed JSON batch to `/api/ingest` and classifies the answer. Never throws:
 * every failure becomes an outcome with a message that names the URL.
 */
export async function sendBatch(points: readonly Point[], meta: readonly SeriesMeta[], options: SendOptions): Promise<SendOutcome> {
  const url = ingestUrl(options.server);
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
        // Percent-encoded: a header carries bytes, a host label may be any Unicode.
        ...(options.host === undefined ? {} : { "x-livedash-host": encodeURIComponent(options.host) }),
      },
      body,
      // A followed redirect to a login page answers 200 and would count as sent.
      redirect: "manual",
      signal: options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]),
    });
  } catch (error) {
    return { kind: "retry", message: unreachable(error, options.server, timeout.aborted), retryAfterMs: undefined };
  }
  const text = await readCapped(res, MAX_ANSWER_BYTES);
  const message = errorMessage(text) ?? clean(`${res.status} ${res.statusText}`);
  if (res.status >= 300 && res.status < 400) {
    const location = clean(res.headers.get("location") ?? "(no Location)");
    return { kind: "config", message: `${url} answered ${res.status} redirecting to ${location}: --server must be the Livedash server's own base URL (redirects are not followed)` };
  }
  if (res.ok) {
    // Only the server's own answer counts as sent: another service's 200 would lose the points silently.
    const accepted = (safeJson(text) as { accepted?: unknown } | undefined)?.accepted;
    if (typeof accepted === "number") return { kind: "ok", accepted };
    return { kind: "retry", message: `${url} answered ${res.status} without {"accepted": n}: is --server the base URL of a Livedash server?`, retryAfterMs: undefined };
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

/** The answer's first `max` bytes as text; the rest is cancelled, never buffered. Never throws. */
async function readCapped(res: Response, max: number): Promise<string> {
  if (res.body === null) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value.subarray(0, max - size));
      size += Math.min(value.length, max - size);
    }
  } catch {
    // A reset mid-answer: classify on what arrived.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** One log-safe line: control characters (newlines included, so no forged log lines) become spaces, cut to 200 chars. */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex -- the point is to match control characters
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, " ").replace(/\s+/g, " ").trim().slice(0, MAX_MESSAGE_CHARS);
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
  if (typeof parsed?.error?.message === "string") return clean(parsed.error.message) || undefined;
  const plain = clean(text.replace(/<[^>]*>/g, " "));
  return plain.length > 0 ? plain : undefined;
}

/** Retry-After in seconds (or an HTTP date), in ms; undefined when absent or unreadable. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, MAX_RETRY_AFTER_MS) : undefined;
}
