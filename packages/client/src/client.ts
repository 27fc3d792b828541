import { createTRPCClient, httpBatchLink, httpLink, splitLink } from "@trpc/client";
import type { TRPCClient } from "@trpc/client";
import type { AppRouter } from "@livedash/api";
import type { ConnectionListener, ConnectionState, TransportKind, TransportPreference } from "./connection-state";
import { Ladder } from "./ladder/ladder";
import { ladderLink } from "./ladder/ladder-link";
import { formatZodIssues } from "@livedash/events";
import { ClientOptionsSchema, resolveLadderOptions } from "./options";
import type { LadderOptions } from "./options";
import { TicketCache } from "./auth/ticket-cache";
import type { TicketCacheOptions, TicketProvider } from "./auth/ticket-cache";
import { authHeaders, readHeaders } from "./transports/http";
import { createPollSession } from "./transports/poll-session";
import { createSseSession } from "./transports/sse-session";
import type { EventSourceConstructorLike, FetchLike, SessionFactory, TransportContext, WebSocketConstructorLike } from "./transports/types";
import { createWsSession } from "./transports/ws-session";

export interface LivedashClientOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:4000`. */
  url: string;
  /**
   * "auto" walks the ladder WebSocket -> SSE -> long-poll and probes back up; the others pin one.
   * @default "auto"
   */
  transport?: TransportPreference;
  /**
   * Read token, only when the server has tokens configured: WebSocket connectionParams, HTTP
   * `Authorization: Bearer`, and traded for a short-lived ticket for SSE (never put in a URL).
   */
  token?: string;
  /**
   * Short-lived read tickets instead of `token`, for a client that must not hold the read token (the
   * dashboard's browser page asks its own server). Called when a ticket is needed and renewed before
   * it expires (TicketCache): WebSocket connectionParams at every (re)connect, the SSE URL, and
   * `Authorization: Bearer <ticket>` on queries and long-polls. Resume by last event id carries
   * across ticket changes like across any reconnect.
   */
  ticket?: TicketProvider;
  /** Ticket renewal timing (see TicketCacheOptions). */
  ticketCache?: TicketCacheOptions;
  /**
   * Ingest token for `metrics.ingest` and `metrics.describe`, when it differs from `token`.
   * @default token
   */
  ingestToken?: string;
  /** Ladder timeouts and limits; each has a documented default (see LadderOptions). */
  ladder?: Partial<LadderOptions>;
  /**
   * WebSocket implementation. Default: the global one, else (Node 20) the `ws` package, loaded
   * lazily so browser bundles never include it.
   */
  WebSocket?: WebSocketConstructorLike;
  /** EventSource implementation. Default: the global one, else (Node) the `eventsource` package. */
  EventSource?: EventSourceConstructorLike;
  /** fetch implementation. @default globalThis.fetch */
  fetch?: FetchLike;
}

export interface LivedashConnection {
  get(): ConnectionState;
  /** Calls `listener` on every change; returns the function that stops it. */
  subscribe(listener: ConnectionListener): () => void;
}

export interface LivedashClient {
  /** Typed from the server's AppRouter: queries and mutations over HTTP, subscriptions over the ladder. */
  readonly trpc: TRPCClient<AppRouter>;
  readonly connection: LivedashConnection;
  /** Ends every subscription (they complete), closes sockets and stops timers. */
  close(): void;
}

export function createLivedashClient(options: LivedashClientOptions): LivedashClient {
  const parsed = ClientOptionsSchema.safeParse({
    url: options.url,
    transport: options.transport,
    token: options.token,
    ingestToken: options.ingestToken,
  });
  if (!parsed.success) throw new TypeError(`createLivedashClient: ${formatZodIssues(parsed.error)}`);
  if (options.ticket !== undefined && typeof options.ticket !== "function") throw new TypeError("createLivedashClient: ticket must be a function returning { ticket, expiresInMs }");
  if (options.ticket !== undefined && parsed.data.token !== undefined) throw new TypeError("createLivedashClient: pass token or ticket, not both");
  const tickets = options.ticket === undefined ? null : new TicketCache(options.ticket, options.ticketCache);
  const baseUrl = parsed.data.url.replace(/\/+$/, "");
  const token = parsed.data.token;
  const fetchImpl: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  const ctx: TransportContext = {
    baseUrl,
    token,
    tickets,
    options: resolveLadderOptions(options.ladder),
    fetch: fetchImpl,
    getWebSocket: once(() => resolveWebSocket(options.WebSocket)),
    getEventSource: once(() => resolveEventSource(options.EventSource)),
  };
  const factories: Record<TransportKind, SessionFactory> = { ws: createWsSession, sse: createSseSession, poll: createPollSession };
  const ladder = new Ladder(ctx, parsed.data.transport, factories);

  const trpcUrl = `${baseUrl}/trpc`;
  const readLink = httpBatchLink({ url: trpcUrl, headers: () => readHeaders(ctx), fetch: fetchImpl });
  const ingestToken = parsed.data.ingestToken;
  // One batch carries one Authorization header, so writes with their own token go unbatched.
  const requestLink =
    ingestToken === undefined
      ? readLink
      : splitLink({
          condition: (op) => INGEST_PATHS.has(op.path),
          true: httpLink({ url: trpcUrl, headers: () => authHeaders(ingestToken), fetch: fetchImpl }),
          false: readLink,
        });
  const trpc = createTRPCClient<AppRouter>({
    links: [splitLink({ condition: (op) => op.type === "subscription", true: ladderLink(ladder), false: requestLink })],
  });

  return {
    trpc,
    connection: { get: () => ladder.state.get(), subscribe: (listener) => ladder.state.subscribe(listener) },
    close: () => {
      ladder.close();
      tickets?.close();
    },
  };
}

/** Procedures that need the ingest token when the server has tokens. */
const INGEST_PATHS: ReadonlySet<string> = new Set(["metrics.ingest", "metrics.describe"]);

function once<T>(load: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => {
    promise ??= load().catch((error: unknown) => {
      promise = undefined;
      throw error;
    });
    return promise;
  };
}

/**
 * Imports a Node-only package by a name the bundler cannot see, so that Next.js (Turbopack or
 * webpack) never puts `ws`/`eventsource` into a browser bundle; browsers have the globals anyway.
 */
async function importNodeOnly(name: string): Promise<Record<string, unknown>> {
  return (await import(/* webpackIgnore: true */ /* turbopackIgnore: true */ /* @vite-ignore */ name)) as Record<string, unknown>;
}

async function resolveWebSocket(given: WebSocketConstructorLike | undefined): Promise<WebSocketConstructorLike> {
  if (given) return given;
  const globalImpl = (globalThis as { WebSocket?: unknown }).WebSocket;
  if (typeof globalImpl === "function") return globalImpl as WebSocketConstructorLike;
  const mod = await importNodeOnly("ws");
  return (mod["WebSocket"] ?? mod["default"]) as WebSocketConstructorLike;
}

async function resolveEventSource(given: EventSourceConstructorLike | undefined): Promise<EventSourceConstructorLike> {
  if (given) return given;
  const globalImpl = (globalThis as { EventSource?: unknown }).EventSource;
  if (typeof globalImpl === "function") return globalImpl as EventSourceConstructorLike;
  const mod = await importNodeOnly("eventsource");
  return mod["EventSource"] as EventSourceConstructorLike;
}
