import { encodeWsTrackedEvent } from "@livedash/events";
import type { LiveEvent } from "@livedash/events";
import { frameText } from "./ws-frame";

/**
 * Wire encoders: each turns one serialized LiveEvent into the bytes a transport sends. The event JSON
 * is built once per batch and filter group; only these few bytes around it differ per transport (and,
 * for WebSocket, per tRPC request id), so frames are cached and shared across subscribers.
 */
export interface FrameEncoder {
  /** Subscribers with the same key receive byte-identical frames for the same event. */
  readonly key: string;
  encode(eventJson: string, id: string, type: LiveEvent["type"]): Buffer;
}

/**
 * tRPC wsLink protocol: `{ id, result: { type: "data", id, data: { id, data } } }` (tracked envelope),
 * already framed as a WebSocket text frame so the sink writes it straight to the socket.
 */
export function wsFrameEncoder(requestId: number | string): FrameEncoder {
  return {
    key: `ws:${JSON.stringify(requestId)}`,
    encode: (eventJson, id) => frameText(Buffer.from(encodeWsTrackedEvent(requestId, id, eventJson))),
  };
}

/** tRPC httpSubscriptionLink: an unnamed message whose data is the event and whose `id:` is the event id. */
export const trpcSseFrameEncoder: FrameEncoder = {
  key: "trpc-sse",
  encode: (eventJson, id) => Buffer.from(`data: ${eventJson}\nid: ${id}\n\n`),
};

/** Plain EventSource stream: named events (`points`, `reset`) so `addEventListener("points")` works. */
export const plainSseFrameEncoder: FrameEncoder = {
  key: "sse",
  encode: (eventJson, id, type) => Buffer.from(`event: ${type}\nid: ${id}\ndata: ${eventJson}\n\n`),
};
