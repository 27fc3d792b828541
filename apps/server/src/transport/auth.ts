import type { IncomingMessage } from "node:http";
import { extractBearer, tokensEqual } from "../security/tokens";
import { declaredHost, SOURCE_HOST_HEADER } from "../security/ingest-sources";
import type { Context } from "@livedash/api";
import type { Services } from "../services";
import { addressKey } from "../security/address-key";

export interface Credentials {
  /** A long-lived token from `Authorization: Bearer` or WS connectionParams. */
  token?: string | null;
  /** A short-lived ticket from auth.ticket (SSE URLs, where headers cannot be set). */
  ticket?: string | null;
}

/** Decides what a caller may do. With no tokens configured (loopback default) everything is open. */
export function authorize(services: Services, credentials: Credentials): Context["auth"] {
  return authorizeStream(services, credentials).auth;
}

/**
 * authorize, plus when its ticket expires for a caller let in by a ticket alone (null otherwise): a
 * stream (WS, SSE) ends then, so a ticket taken before sign-out does not keep it open forever.
 */
export function authorizeStream(services: Services, credentials: Credentials): { auth: Context["auth"]; ticketExpiresAt: number | null } {
  const { readToken, ingestToken } = services.config;
  const token = credentials.token ?? null;
  const readByToken = !readToken || (token !== null && tokensEqual(token, readToken));
  // A ticket also works as `Authorization: Bearer <ticket>` (and WS connectionParams `token`): the
  // dashboard's browser page holds only tickets, and a header keeps them out of URLs. Reads only.
  const ticket = credentials.ticket ?? (readByToken ? null : token);
  const ticketExpiresAt = !readByToken && ticket ? services.tickets.expiresAt(ticket) : null;
  const readByTicket = ticketExpiresAt !== null;
  const ingest = !ingestToken || (token !== null && tokensEqual(token, ingestToken));
  return { auth: { read: readByToken || readByTicket, ingest, ticketOnly: readByTicket }, ticketExpiresAt };
}

/** The setTimeout limit (about 24.8 days); a later expiry waits in steps of it. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Runs `end` once when a ticket expires (nothing when `expiresAt` is null: a token-authenticated
 * stream lives on). One timer per connection; the returned function clears it and must run on close.
 */
export function endAtTicketExpiry(expiresAt: number | null, end: () => void): () => void {
  if (expiresAt === null) return () => {};
  let timer: NodeJS.Timeout;
  const arm = () => {
    const left = expiresAt - Date.now();
    timer = left > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(end, Math.max(0, left));
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}

/** The peer address, used for per-IP connection limits and as the anonymous rate-limit key. */
export function peerAddress(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? "unknown";
}

/** Builds the tRPC context of an HTTP request. */
export function contextFromRequest(services: Services, req: IncomingMessage, extra: Credentials = {}): Context {
  return streamContextFromRequest(services, req, extra).ctx;
}

/** contextFromRequest, plus the ticket's expiry when only a ticket let the caller in (see authorizeStream). */
export function streamContextFromRequest(services: Services, req: IncomingMessage, extra: Credentials = {}): { ctx: Context; ticketExpiresAt: number | null } {
  const token = extractBearer(req.headers.authorization) ?? extra.token ?? null;
  const { auth, ticketExpiresAt } = authorizeStream(services, { token, ticket: extra.ticket });
  // Live caps are per socket address whatever the credentials (attack review of #12, L3), an IPv6 one by
  // its /64 (address-key.ts); the ingest rate of tRPC writes is per socket address (the HTTP ingest
  // routes add the declared host, ingestSourceKey).
  const clientKey = `ip:${peerAddress(req)}`;
  return { ctx: { auth, clientKey, address: addressKey(peerAddress(req)), services }, ticketExpiresAt };
}

/**
 * The ingest rate-limit key of an HTTP write: the socket's address plus the host named in
 * X-Livedash-Host (security/ingest-sources.ts), or why that header is refused.
 */
export function ingestSourceKey(services: Services, req: IncomingMessage): { ok: true; key: string } | { ok: false; message: string } {
  const declared = declaredHost(req.headersDistinct[SOURCE_HOST_HEADER]);
  if (!declared.ok) return declared;
  return { ok: true, key: services.ingestSources.key(peerAddress(req), declared.host) };
}

/**
 * The ticket from `connectionParams` (JSON in the query, as httpSubscriptionLink sends it). Only a
 * short-lived ticket is taken from a URL: a long-lived token there would land in proxy and access logs.
 */
export function ticketFromUrl(url: URL): Credentials {
  const raw = url.searchParams.get("connectionParams");
  if (!raw) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed && typeof parsed === "object") {
      const { ticket } = parsed as Record<string, unknown>;
      return { ticket: typeof ticket === "string" ? ticket : null };
    }
  } catch {
    // Not JSON: no credentials, which the auth check then answers with 401.
  }
  return {};
}
