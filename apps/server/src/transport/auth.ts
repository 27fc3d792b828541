import type { IncomingMessage } from "node:http";
import { extractBearer, tokensEqual } from "../security/tokens";
import type { Context } from "@livedash/api";
import type { Services } from "../services";

export interface Credentials {
  /** A long-lived token from `Authorization: Bearer` or WS connectionParams. */
  token?: string | null;
  /** A short-lived ticket from auth.ticket (SSE URLs, where headers cannot be set). */
  ticket?: string | null;
}

/** Decides what a caller may do. With no tokens configured (loopback default) everything is open. */
export function authorize(services: Services, credentials: Credentials): Context["auth"] {
  const { readToken, ingestToken } = services.config;
  const token = credentials.token ?? null;
  const readByToken = !readToken || (token !== null && tokensEqual(token, readToken));
  // A ticket also works as `Authorization: Bearer <ticket>` (and WS connectionParams `token`): the
  // dashboard's browser page holds only tickets, and a header keeps them out of URLs. Reads only.
  const ticket = credentials.ticket ?? (readByToken ? null : token);
  const readByTicket = !readByToken && !!ticket && services.tickets.verify(ticket);
  const ingest = !ingestToken || (token !== null && tokensEqual(token, ingestToken));
  return { read: readByToken || readByTicket, ingest, ticketOnly: readByTicket };
}

/** The peer address, used for per-IP connection limits and as the anonymous rate-limit key. */
export function peerAddress(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? "unknown";
}

/** Builds the tRPC context of an HTTP request. */
export function contextFromRequest(services: Services, req: IncomingMessage, extra: Credentials = {}): Context {
  const token = extractBearer(req.headers.authorization) ?? extra.token ?? null;
  const auth = authorize(services, { token, ticket: extra.ticket });
  // Writers are rate limited per token when one is used, per address otherwise.
  const clientKey = token && auth.ingest && services.config.ingestToken ? "token:ingest" : `ip:${peerAddress(req)}`;
  return { auth, clientKey, services };
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
