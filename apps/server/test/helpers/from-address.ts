import { request } from "node:http";
import { Readable } from "node:stream";
import type { LiveEvent } from "@livedash/events";
import type { AppRouter } from "@livedash/api";
import { createTRPCClient, createWSClient, httpBatchLink, httpSubscriptionLink, wsLink } from "@trpc/client";
import { EventSource } from "eventsource";
import WebSocket from "ws";

/**
 * Real clients that connect from another loopback address (127.0.0.0/8 all reaches the server bound
 * on 127.0.0.1), so a test can be several peers the server tells apart by address, as it does on a
 * network: per-address caps, one address's load against another's.
 */

/** A fetch() whose connections leave from `localAddress` (Node's fetch cannot bind one). Plain http, enough for tRPC and EventSource. */
export function fetchFrom(localAddress: string): typeof fetch {
  return (input, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((value, key) => (headers[key] = value));
      const req = request(url, { method: init.method ?? "GET", headers, localAddress }, (res) => {
        const responseHeaders = new Headers();
        for (const [key, value] of Object.entries(res.headers)) {
          if (value !== undefined) responseHeaders.set(key, Array.isArray(value) ? value.join(", ") : value);
        }
        const status = res.statusCode ?? 500;
        const body = status === 204 || status === 304 ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
        resolve(new Response(body, { status, headers: responseHeaders }));
      });
      const abort = () => req.destroy(new DOMException("aborted", "AbortError"));
      if (init.signal?.aborted) return abort();
      init.signal?.addEventListener("abort", abort, { once: true });
      req.on("error", reject);
      req.end(typeof init.body === "string" ? init.body : undefined);
    });
}

/** The ws WebSocket, connecting from `localAddress`. */
export function webSocketFrom(localAddress: string): typeof WebSocket {
  return class extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, { localAddress });
    }
  } as typeof WebSocket;
}

/** tRPC clients of one peer address: HTTP (queries, long-polls), WebSocket and tRPC SSE. */
export function peer(baseUrl: string, localAddress: string) {
  const fetchImpl = fetchFrom(localAddress);
  const wsClient = createWSClient({ url: `${baseUrl.replace(/^http/, "ws")}/trpc`, WebSocket: webSocketFrom(localAddress) as never, lazy: { enabled: true, closeMs: 0 } });
  class PeerEventSource extends EventSource {
    constructor(url: string | URL, init?: EventSourceInit) {
      super(url, { ...init, fetch: fetchImpl });
    }
  }
  return {
    address: `ip:${localAddress}`,
    fetch: fetchImpl,
    http: createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${baseUrl}/trpc`, fetch: fetchImpl })] }),
    ws: createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient })] }),
    sse: createTRPCClient<AppRouter>({ links: [httpSubscriptionLink({ url: `${baseUrl}/trpc`, EventSource: PeerEventSource })] }),
    /** A plain `/sse` EventSource from this address; `query` is the part after `/sse?`. */
    plainSse(query: string) {
      const events: { id: string; data: LiveEvent }[] = [];
      const errors: unknown[] = [];
      const source = new EventSource(`${baseUrl}/sse?${query}`, { fetch: fetchImpl });
      const push = (msg: MessageEvent<string>) => events.push({ id: msg.lastEventId, data: JSON.parse(msg.data) as LiveEvent });
      source.addEventListener("points", push);
      source.addEventListener("reset", push);
      source.addEventListener("error", (e) => errors.push(e));
      return { events, errors, source, close: () => source.close() };
    },
    close: () => wsClient.close(),
  };
}

export type Peer = ReturnType<typeof peer>;
