import { TRPC_PATH } from "@livedash/events";
import { TRPCClientError } from "@trpc/client";
import type { TransportContext } from "./types";

/** `http://host/trpc/<path>?input=<json>`: tRPC's GET encoding for queries and SSE subscriptions. */
export function trpcGetUrl(baseUrl: string, path: string, input: unknown, extra?: Record<string, string>): string {
  const params = new URLSearchParams();
  if (input !== undefined) params.set("input", JSON.stringify(input));
  for (const [k, v] of Object.entries(extra ?? {})) params.set(k, v);
  const qs = params.toString();
  return `${baseUrl}${TRPC_PATH}/${path}${qs ? `?${qs}` : ""}`;
}

export function authHeaders(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

/**
 * The read credential of an HTTP request: the token, or else a ticket (the server takes a ticket as
 * `Authorization: Bearer` for reads, so it never has to be in a URL). Rejects with TicketError.
 */
export async function readHeaders(ctx: Pick<TransportContext, "token" | "tickets">): Promise<Record<string, string>> {
  if (ctx.token !== undefined || ctx.tickets === null) return authHeaders(ctx.token);
  return authHeaders(await ctx.tickets.get());
}

/** Thrown when the HTTP exchange itself failed (no answer, or an answer that is not tRPC's). */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "TransportError";
  }
}

/** Status codes after which retrying the same request later may work. */
const RETRYABLE_STATUSES = new Set([408, 429, 502, 503, 504]);

/**
 * Runs one tRPC call over plain HTTP (no batching: a long-poll must not hold other queries back).
 * Resolves with `result.data`; rejects with TRPCClientError for a tRPC error answer, or with
 * TransportError when the network or a proxy failed.
 */
export async function trpcHttpCall(
  ctx: TransportContext,
  type: "query" | "mutation",
  path: string,
  input: unknown,
  signal?: AbortSignal,
): Promise<unknown> {
  // Outside the try below: a missing ticket is a TicketError, not "the server did not answer".
  const auth = await readHeaders(ctx);
  let res: Response;
  try {
    res =
      type === "query"
        ? await ctx.fetch(trpcGetUrl(ctx.baseUrl, path, input), { headers: auth, signal })
        : await ctx.fetch(`${ctx.baseUrl}${TRPC_PATH}/${path}`, {
            method: "POST",
            headers: { ...auth, "content-type": "application/json" },
            body: JSON.stringify(input ?? null),
            signal,
          });
  } catch (cause) {
    throw new TransportError(`${path}: the server did not answer (${describe(cause)})`, true, { cause });
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch (cause) {
    throw new TransportError(`${path}: HTTP ${res.status} without a tRPC JSON body`, RETRYABLE_STATUSES.has(res.status) || res.status >= 500, { cause });
  }
  if (isObject(body) && "error" in body) {
    const error = TRPCClientError.from(body as Parameters<typeof TRPCClientError.from>[0]);
    if (RETRYABLE_STATUSES.has(res.status)) throw new TransportError(error.message, true, { cause: error });
    throw error;
  }
  if (isObject(body) && isObject(body["result"])) return body["result"]["data"];
  throw new TransportError(`${path}: unexpected answer (HTTP ${res.status})`, true);
}

/**
 * Is the server up at all? Any HTTP answer counts, even 401 or 404: then the transport that just
 * failed is blocked on the way, not the server down.
 */
export async function isServerReachable(ctx: TransportContext): Promise<boolean> {
  // With tickets (a signed-in browser), send one: a 401 still counts here, but Chromium logs every
  // 4xx as a console error, and with sign-in on each WebSocket failure would print one.
  const headers = await readHeaders(ctx).catch(() => authHeaders(ctx.token));
  try {
    const res = await ctx.fetch(`${ctx.baseUrl}${TRPC_PATH}/system.info`, {
      headers,
      signal: AbortSignal.timeout(ctx.options.reachabilityTimeoutMs),
    });
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

/**
 * A short-lived ticket for an EventSource, which cannot send an Authorization header: from the
 * ticket provider when the client has one, else traded for the token at the server's auth.ticket.
 */
export async function fetchTicket(ctx: TransportContext, signal?: AbortSignal): Promise<string> {
  if (ctx.token === undefined && ctx.tickets !== null) return ctx.tickets.get();
  const data = await trpcHttpCall(ctx, "mutation", "auth.ticket", undefined, signal);
  if (isObject(data) && typeof data["ticket"] === "string") return data["ticket"];
  throw new TransportError("auth.ticket: answer has no ticket", false);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code ?? (cause.cause as { code?: unknown } | undefined)?.code;
    return typeof code === "string" ? `${cause.message}, ${code}` : cause.message;
  }
  return String(cause);
}

/** Node error codes that mean nobody listens (or the host is gone): the server is down, not blocked. */
export const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "EPIPE"]);
