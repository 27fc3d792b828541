import { EventSource } from "eventsource";
import { WebSocket } from "ws";
import { createLivedashClient as createBase } from "./client";
import type { LivedashClient, LivedashClientOptions } from "./client";
import type { WebSocketConstructorLike } from "./transports/types";

/**
 * Node entry: the same client with `ws` and `eventsource` wired in statically (Node 20 has neither
 * global). Kept out of index.ts so browser bundles never see these imports.
 */
export function createLivedashClient(options: LivedashClientOptions): LivedashClient {
  return createBase({
    WebSocket: WebSocket as unknown as WebSocketConstructorLike,
    EventSource,
    ...options,
  });
}

export * from "./index";
