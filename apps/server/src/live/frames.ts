import { encodeWsTrackedEvent } from "@livedash/events";
import type { IdentifiedEvent } from "@livedash/events";
import type { FrameEncoder } from "./types";
import { frameText } from "./ws-frame";

/**
 * tRPC wsLink protocol: `{ id, result: { type: "data", id, data: { id, data } } }` (tracked envelope),
 * already framed as a WebSocket text frame so the sink writes it straight to the socket.
 */
export function wsFrameEncoder(requestId: number | string): FrameEncoder {
  return {
    key: `ws:${JSON.stringify(requestId)}`,
    encode: (event) => frameText(Buffer.from(encodeWsTrackedEvent(requestId, event.id, event.json))),
  };
}

/** tRPC httpSubscriptionLink: an unnamed message whose data is the event and whose `id:` is the event id. */
export const trpcSseFrameEncoder: FrameEncoder = {
  key: "trpc-sse",
  encode: (event) => Buffer.from(`data: ${event.json}\nid: ${event.id}\n\n`),
};

/** Plain EventSource stream: named events (`points`, `reset`) so `addEventListener("points")` works. */
export const plainSseFrameEncoder: FrameEncoder = {
  key: "sse",
  encode: (event) => Buffer.from(`event: ${event.event.type}\nid: ${event.id}\ndata: ${event.json}\n\n`),
};

/** In-process consumers (the tRPC generator, long-poll answers): the event itself, no bytes. */
export const objectEncoder: FrameEncoder<IdentifiedEvent> = {
  key: "object",
  encode: (event) => ({ id: event.id, event: event.event }),
};
