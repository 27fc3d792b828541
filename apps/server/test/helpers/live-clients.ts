import type { LiveEvent, LiveInput } from "@livedash/events";
import { createTRPCClient, createWSClient, httpBatchLink, httpSubscriptionLink, wsLink } from "@trpc/client";
import { EventSource } from "eventsource";
import WebSocket from "ws";
import type { AppRouter } from "@livedash/api";
import { expect, vi } from "vitest";
import type { LivedashServer } from "../../src/server";

export type TransportName = "ws" | "trpc-sse" | "sse" | "poll";
export const TRANSPORTS: TransportName[] = ["ws", "trpc-sse", "sse", "poll"];

export interface ReceivedEvent {
  id: string;
  data: LiveEvent;
}

export interface LiveClient {
  readonly events: ReceivedEvent[];
  readonly errors: unknown[];
  /** Points of every received `points` event, in arrival order. */
  points(): { series: string; ts: number; value: number }[];
  close(): Promise<void>;
}

export function httpClient(baseUrl: string, headers: Record<string, string> = {}) {
  return createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${baseUrl}/trpc`, headers })] });
}

function collector(): Omit<LiveClient, "close"> {
  const events: ReceivedEvent[] = [];
  const errors: unknown[] = [];
  return {
    events,
    errors,
    points: () => events.flatMap((e) => (e.data.type === "points" ? e.data.points : [])),
  };
}

/** Opens a live subscription over one transport with a real client of that transport. */
export function openLive(transport: TransportName, baseUrl: string, input: LiveInput): LiveClient {
  const c = collector();
  if (transport === "ws") {
    const wsClient = createWSClient({ url: `${baseUrl.replace(/^http/, "ws")}/trpc`, WebSocket: WebSocket as never });
    const trpc = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient })] });
    const sub = trpc.metrics.live.subscribe(input, { onData: (e) => c.events.push(e), onError: (e) => c.errors.push(e) });
    return { ...c, close: async () => (sub.unsubscribe(), await wsClient.close()) };
  }
  if (transport === "trpc-sse") {
    const trpc = createTRPCClient<AppRouter>({ links: [httpSubscriptionLink({ url: `${baseUrl}/trpc`, EventSource })] });
    const sub = trpc.metrics.live.subscribe(input, { onData: (e) => c.events.push(e), onError: (e) => c.errors.push(e) });
    return { ...c, close: async () => sub.unsubscribe() };
  }
  if (transport === "sse") {
    const url = new URL(`${baseUrl}/sse`);
    url.searchParams.set("series", input.series.join(","));
    if (input.lastEventId) url.searchParams.set("lastEventId", input.lastEventId);
    const source = new EventSource(url);
    const push = (msg: MessageEvent<string>) => c.events.push({ id: msg.lastEventId, data: JSON.parse(msg.data) as LiveEvent });
    source.addEventListener("points", push);
    source.addEventListener("reset", push);
    source.addEventListener("error", (e) => c.errors.push(e));
    return { ...c, close: async () => source.close() };
  }
  const trpc = httpClient(baseUrl);
  const controller = new AbortController();
  let cursor: string | null | undefined = input.lastEventId;
  const loop = (async () => {
    // Bounded: a test never polls more than this many times.
    for (let i = 0; i < 10_000 && !controller.signal.aborted; i++) {
      try {
        const answer = await trpc.metrics.poll.query({ series: input.series, cursor, waitMs: 5_000 }, { signal: controller.signal });
        for (const e of answer.events) c.events.push({ id: e.id, data: e.event });
        cursor = answer.cursor;
      } catch (error) {
        if (!controller.signal.aborted) c.errors.push(error);
        return;
      }
    }
  })();
  return {
    ...c,
    close: async () => {
      controller.abort();
      await loop;
    },
  };
}

/**
 * Closes the clients, then waits until the server noticed (it does so asynchronously): the next test
 * starts from a quiet server. `baseline`: streaming subscriptions the server holds itself.
 */
export async function closeAllAndSettle(server: LivedashServer, clients: LiveClient[], baseline = 0) {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await vi.waitFor(
    () => {
      expect(server.services.hub.stats().subscriptions).toBe(baseline);
      expect(server.services.traffic.polls).toBe(0);
    },
    { timeout: 10_000, interval: 20 },
  );
}
