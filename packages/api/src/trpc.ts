import { initTRPC, TRPCError } from "@trpc/server";
import { formatZodIssues } from "@livedash/events";
import { ZodError } from "zod";
import type { ApiServices } from "./services";

export interface Context {
  /** What the caller's credentials allow; both true when no tokens are configured. */
  readonly auth: {
    readonly read: boolean;
    readonly ingest: boolean;
    /** Read access comes from a short-lived ticket alone (not a token, not an open server): no new tickets. */
    readonly ticketOnly?: boolean;
  };
  /** Ingest rate-limit key of the caller (its bucket in LIVEDASH_INGEST_RATE). */
  readonly clientKey: string;
  /**
   * Whose per-address live caps (patterns, aggregations) a subscription or poll counts against:
   * `ip:<socket address>`, never a token (every holder of one token would share one address's slots)
   * and never X-Forwarded-For (the client writes it).
   */
  readonly address: string;
  readonly services: ApiServices;
}

const t = initTRPC.context<Context>().create({
  // Never send stack traces to clients, whatever NODE_ENV says.
  isDev: false,
  // Subscriptions tRPC serves itself over SSE (hosts.live; metrics.live has its own path): pings keep
  // proxies from timing the stream out, and the client reconnects a stream silent for 3 pings.
  sse: { ping: { enabled: true, intervalMs: 15_000 }, client: { reconnectAfterInactivityMs: 45_000 } },
  errorFormatter({ shape, error }) {
    const zodError = error.cause instanceof ZodError ? error.cause : null;
    // An error nobody turned into a TRPCError may carry a backend's raw text (a Redis address, a
    // file path): the caller gets a fixed message; the server logs the real one (its onError).
    const internal = error.code === "INTERNAL_SERVER_ERROR";
    return {
      ...shape,
      message: zodError ? formatZodIssues(zodError) : internal ? "internal server error" : shape.message,
      data: { ...shape.data, zodError: zodError ? zodError.flatten() : null },
    };
  },
});

export const router = t.router;

export const readProcedure = t.procedure.use(({ ctx, next }) => {
  if (!ctx.auth.read) throw new TRPCError({ code: "UNAUTHORIZED", message: "a valid read token is required" });
  return next();
});

export const ingestProcedure = t.procedure.use(({ ctx, next }) => {
  if (!ctx.auth.ingest) throw new TRPCError({ code: "UNAUTHORIZED", message: "a valid ingest token is required" });
  return next();
});
