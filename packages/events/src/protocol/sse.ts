/**
 * The two Server-Sent Events dialects on the one port.
 *
 * Plain SSE (`GET /sse?series=a,b.*`) for `new EventSource()` and `curl -N`: named events whose
 * `data:` is one LiveEvent as JSON and whose `id:` is the event id; comment heartbeats.
 *
 * tRPC SSE (`GET /trpc/metrics.live?input=...`) as httpSubscriptionLink reads it: a `connected` event,
 * unnamed data events (the tracked event, `id:` = event id), `ping` events and `serialized-error`.
 */
export const PLAIN_SSE_PATH = "/sse";
/** Event names on /sse: the LiveEvent's `type`. */
export const PLAIN_SSE_EVENTS = ["points", "reset"] as const;

/** Named events of tRPC's SSE protocol (@trpc/server `sse.ts`); data events are unnamed. */
export const TRPC_SSE_EVENTS = {
  connected: "connected",
  ping: "ping",
  serializedError: "serialized-error",
  return: "return",
} as const;
