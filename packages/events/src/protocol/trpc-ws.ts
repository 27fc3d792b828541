import { z } from "zod";
import { EventIdSchema, LiveEventSchema } from "../live";
import type { LiveEvent } from "../live";

/**
 * tRPC's wsLink protocol as Livedash speaks it (tRPC v11, `@trpc/server` rpc/envelopes.ts and
 * adapters/ws.ts): JSON messages keyed by a request id, plus `PING`/`PONG` text keep-alives. The server,
 * the client's WebSocket session, the web probes and the bench all build and read messages here.
 */

/** Path of the WebSocket upgrade (and of tRPC over HTTP). */
export const TRPC_PATH = "/trpc";
/** The subscription every live client opens. */
export const LIVE_PROCEDURE = "metrics.live";
/** The long-poll query. */
export const POLL_PROCEDURE = "metrics.poll";
/**
 * Query flag on the upgrade URL (`?connectionParams=1`): the server then waits for a `connectionParams`
 * message before it runs any request. On tRPC's SSE URL the same name carries the params as JSON.
 */
export const CONNECTION_PARAMS_PARAM = "connectionParams";
/** Text keep-alive frames; either side answers PING with PONG. */
export const WS_KEEPALIVE = { ping: "PING", pong: "PONG" } as const;

/** Methods a client sends, and the one notice the server sends (`reconnect`, before it shuts down). */
export const WS_METHOD = {
  query: "query",
  mutation: "mutation",
  subscription: "subscription",
  stop: "subscription.stop",
  connectionParams: "connectionParams",
  reconnect: "reconnect",
} as const;

/**
 * A request id is echoed in every answer and every event frame of its subscription: a long one would
 * multiply the bytes of each (tRPC's own clients send small numbers).
 */
export const MAX_WS_REQUEST_ID_CHARS = 128;
export const WsRequestIdSchema = z.union([z.number(), z.string().max(MAX_WS_REQUEST_ID_CHARS)]);
export type WsRequestId = z.infer<typeof WsRequestIdSchema>;

// ---- client -> server --------------------------------------------------------------------------

/** Any message a client may send; the server checks `params` per method. */
export const WsClientMessageSchema = z.object({
  id: WsRequestIdSchema.nullish(),
  method: z.string(),
  params: z.object({ path: z.unknown(), input: z.unknown(), lastEventId: z.unknown() }).partial().optional(),
  data: z.unknown().optional(),
});
export type WsClientMessage = z.infer<typeof WsClientMessageSchema>;

export function wsSubscribeMessage(id: WsRequestId, path: string, input: unknown) {
  return { id, method: WS_METHOD.subscription, params: { path, input } };
}

export function wsStopMessage(id: WsRequestId) {
  return { id, method: WS_METHOD.stop };
}

/** Sent first when the URL carries `?connectionParams=1`: the token (or ticket) for this socket. */
export function wsConnectionParamsMessage(data: { token?: string; ticket?: string }) {
  return { method: WS_METHOD.connectionParams, data };
}

// ---- server -> client --------------------------------------------------------------------------

export function wsStartedMessage(id: WsRequestId) {
  return { id, result: { type: "started" as const } };
}

export function wsStoppedMessage(id: WsRequestId) {
  return { id, result: { type: "stopped" as const } };
}

/** A query or mutation answer (untracked data). */
export function wsDataMessage(id: WsRequestId, data: unknown) {
  return { id, result: { type: "data" as const, data } };
}

/** One live event, tracked: `result.id` is the event id and `result.data` tRPC's `{ id, data }` envelope. */
export function wsTrackedEventMessage(requestId: WsRequestId, eventId: string, event: LiveEvent) {
  return wsTrackedDataMessage(requestId, eventId, event);
}

/** Any subscription's tracked() event (hosts.live's snapshots), in the same envelope as a live event. */
export function wsTrackedDataMessage<T>(requestId: WsRequestId, eventId: string, data: T) {
  return { id: requestId, result: { type: "data" as const, id: eventId, data: { id: eventId, data } } };
}

/**
 * The text of wsTrackedEventMessage from an event already serialized once per batch (the fan-out path
 * shares it across subscribers). Byte for byte what JSON.stringify(wsTrackedEventMessage(...)) gives.
 */
export function encodeWsTrackedEvent(requestId: WsRequestId, eventId: string, eventJson: string): string {
  const idJson = JSON.stringify(eventId);
  return `{"id":${JSON.stringify(requestId)},"result":{"type":"data","id":${idJson},"data":{"id":${idJson},"data":${eventJson}}}}`;
}

/** tRPC's shutdown notice: clients reconnect (to another instance, or this one once it is back). */
export const WS_RECONNECT_NOTICE = { id: null, method: WS_METHOD.reconnect } as const;

/** Schema of a tracked live event message (what wsTrackedEventMessage builds). */
export const WsTrackedEventMessageSchema = z.object({
  id: WsRequestIdSchema,
  result: z.object({
    type: z.literal("data"),
    id: EventIdSchema,
    data: z.object({ id: EventIdSchema, data: LiveEventSchema }),
  }),
});

/** Any message the server sends: a result, an error, or the reconnect notice. */
export const WsServerMessageSchema = z.union([
  z.object({
    id: WsRequestIdSchema.nullable(),
    result: z.discriminatedUnion("type", [
      z.object({ type: z.literal("started") }),
      z.object({ type: z.literal("stopped") }),
      z.object({ type: z.literal("data"), id: z.string().optional(), data: z.unknown() }),
    ]),
  }),
  z.object({
    id: WsRequestIdSchema.nullable(),
    error: z.object({ code: z.number(), message: z.string(), data: z.unknown().optional() }),
  }),
  z.object({ id: z.null(), method: z.literal(WS_METHOD.reconnect) }),
]);
export type WsServerMessage = z.infer<typeof WsServerMessageSchema>;

/** The upgrade URL for a base URL (`http://h:p` -> `ws://h:p/trpc`), with the connectionParams flag when a token is sent. */
export function trpcWsUrl(baseUrl: string, withConnectionParams: boolean): string {
  const url = `${baseUrl.replace(/\/+$/, "").replace(/^http/, "ws")}${TRPC_PATH}`;
  return withConnectionParams ? `${url}?${CONNECTION_PARAMS_PARAM}=1` : url;
}
