import type { IncomingMessage, ServerResponse } from "node:http";
import { getTRPCErrorShape, TRPCError } from "@trpc/server";
import { LIVE_PROCEDURE, TRPC_SSE_EVENTS } from "@livedash/events";
import { trpcSseFrameEncoder } from "../live/frames";
import { appRouter } from "@livedash/api";
import type { Services } from "../services";
import { ticketFromUrl, streamContextFromRequest } from "./auth";
import { headerValue } from "./plain-sse";
import { parseLiveRequest } from "./live-request";
import { readSingleParams, TRPC_QUERY_PARAMS } from "./query-params";
import { sendJsonError } from "./http-errors";
import type { SseStreams } from "./sse-streams";

/**
 * The fast path for `metrics.live` over httpSubscriptionLink. It speaks tRPC's SSE dialect (a
 * `connected` event, unnamed data events whose `id:` is the tracked id, `ping` events,
 * `serialized-error`) but writes shared frames from the hub instead of running a generator and a
 * web-streams chain per connection.
 */
export async function handleTrpcSse(req: IncomingMessage, res: ServerResponse, url: URL, services: Services, streams: SseStreams) {
  const params = readSingleParams(url, TRPC_QUERY_PARAMS);
  if (!params.ok) return sendJsonError(res, 400, params.message, { field: params.field });
  const credentials = ticketFromUrl(url);
  const { ctx, ticketExpiresAt } = streamContextFromRequest(services, req, credentials);
  let rawInput: unknown = undefined;
  let inputError: string | null = null;
  const inputParam = params.values.input;
  if (inputParam !== null) {
    try {
      rawInput = JSON.parse(inputParam);
    } catch {
      inputError = "input: not valid JSON";
    }
  }
  const lastEventId = headerValue(req.headers["last-event-id"]) ?? params.values.lastEventId ?? params.values["Last-Event-Id"];
  if (lastEventId && rawInput && typeof rawInput === "object") rawInput = { ...rawInput, lastEventId };

  let unsubscribe: (() => void) | null = null;
  services.traffic.trpcSse++;
  const reconnectAfterInactivityMs = streams.heartbeatMs * 3;
  const sink = streams.open(req, res, {
    transport: "trpc-sse",
    preamble: `event: ${TRPC_SSE_EVENTS.connected}\ndata: ${JSON.stringify({ reconnectAfterInactivityMs })}\n\n`,
    heartbeat: `event: ${TRPC_SSE_EVENTS.ping}\ndata: \n\n`,
    ticketExpiresAt,
    onClose: () => {
      services.traffic.trpcSse--;
      unsubscribe?.();
      unsubscribe = null;
    },
  });

  const fail = (error: TRPCError) => {
    const shape = getTRPCErrorShape({ config: appRouter._def._config, error, type: "subscription", path: LIVE_PROCEDURE, input: rawInput, ctx });
    res.end(`event: ${TRPC_SSE_EVENTS.serializedError}\ndata: ${JSON.stringify(shape)}\n\n`);
  };
  if (!ctx.auth.read) return fail(new TRPCError({ code: "UNAUTHORIZED", message: "a valid read token or ticket is required" }));
  if (inputError) return fail(new TRPCError({ code: "BAD_REQUEST", message: inputError }));
  const request = parseLiveRequest(rawInput, services.config.limits.maxPatterns);
  if (!request.ok) return fail(new TRPCError({ code: "BAD_REQUEST", message: request.message }));

  let subscription;
  try {
    subscription = services.hub.subscribe({ sink, encoder: trpcSseFrameEncoder, patterns: request.input.series, aggregate: request.input.aggregate, address: ctx.address, lastEventId: request.input.lastEventId });
  } catch (error) {
    // Past a live pattern cap (TOO_MANY_REQUESTS, naming it).
    if (error instanceof TRPCError) return fail(error);
    throw error;
  }
  if (res.destroyed || res.writableEnded) subscription.unsubscribe();
  else unsubscribe = subscription.unsubscribe;
}
