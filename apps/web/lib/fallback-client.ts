import type { LiveEvent, LiveInput } from "@livedash/events";
import { IdentifiedEventSchema, LiveEventSchema } from "@livedash/events";
import { createTRPCUntypedClient, createWSClient, httpBatchLink, httpSubscriptionLink, wsLink } from "@trpc/client";
import type { ConnectionState, DashboardClient, LiveHandlers, OpenClientOptions, TransportName } from "./client-types";

/** Tunables of the stand-in client; the real ladder lives in @livedash/client. */
export interface FallbackClientOptions {
  /** A WebSocket that has not opened by then counts as blocked. @default 3000 */
  wsOpenTimeoutMs?: number;
  /** Long-poll hold time. @default 20000 */
  pollWaitMs?: number;
  /** Delay before a failed poll is retried. @default 1000 */
  pollRetryMs?: number;
  /** Event ids remembered for de-duplication across reconnects. @default 4096 */
  dedupeWindow?: number;
}

type Stop = () => void;

/**
 * A small stand-in for @livedash/client built on @trpc/client links: WebSocket, falling back to
 * SSE when the socket never opens or closes before its first message, and long-polling when forced.
 * It keeps lastEventId across switches and drops ids it has already delivered.
 */
export function openFallbackClient(options: OpenClientOptions & FallbackClientOptions): DashboardClient {
  const base = options.url.replace(/\/+$/, "");
  const httpUrl = `${base}/trpc`;
  const wsUrl = httpUrl.replace(/^http/, "ws");
  const wsOpenTimeoutMs = options.wsOpenTimeoutMs ?? 3000;
  const pollWaitMs = options.pollWaitMs ?? 20_000;
  const pollRetryMs = options.pollRetryMs ?? 1000;
  const dedupeWindow = options.dedupeWindow ?? 4096;
  const headers = () => (options.token ? { Authorization: `Bearer ${options.token}` } : {});
  const http = createTRPCUntypedClient({ links: [httpBatchLink({ url: httpUrl, headers })] });

  const choice = options.transport ?? "auto";
  let state: ConnectionState = { transport: choice === "auto" ? "ws" : choice, status: "connecting", lastEventAt: null, reconnects: 0 };
  const listeners = new Set<(s: ConnectionState) => void>();
  const setState = (patch: Partial<ConnectionState>) => {
    const next = { ...state, ...patch };
    if (next.transport === state.transport && next.status === state.status && next.lastEventAt === state.lastEventAt && next.reconnects === state.reconnects) return;
    state = next;
    for (const listener of listeners) listener(state);
  };
  const stops = new Set<Stop>();

  function subscribeLive(input: LiveInput, handlers: LiveHandlers) {
    let lastEventId = input.lastEventId ?? null;
    const seen = new Set<string>();
    let stopped = false;
    let stopCurrent: Stop = () => {};

    const deliver = (id: string, data: LiveEvent) => {
      if (stopped || seen.has(id)) return;
      seen.add(id);
      if (seen.size > dedupeWindow) seen.delete(seen.values().next().value as string);
      lastEventId = id;
      setState({ status: "live", lastEventAt: Date.now() });
      handlers.onData({ id, data });
    };
    const onTrackedData = (raw: unknown) => {
      const envelope = raw as { id?: unknown; data?: unknown };
      const event = LiveEventSchema.safeParse(envelope.data);
      if (typeof envelope.id === "string" && event.success) deliver(envelope.id, event.data);
      else handlers.onError(new Error("metrics.live sent an event that is not { id, data: LiveEvent }"));
    };

    const start = (transport: TransportName) => {
      if (stopped) return;
      setState({ transport, status: state.lastEventAt === null ? "connecting" : "reconnecting" });
      stopCurrent = transport === "ws" ? startWs() : transport === "sse" ? startSse() : startPoll();
    };
    const fallBack = (from: TransportName) => {
      if (choice !== "auto" || stopped) return;
      stopCurrent();
      start(from === "ws" ? "sse" : "poll");
    };

    function startWs(): Stop {
      let opened = false;
      let gotMessage = false;
      let failed = false;
      const fail = () => {
        if (failed) return;
        failed = true;
        fallBack("ws");
      };
      const openTimer = setTimeout(() => {
        if (!opened) fail();
      }, wsOpenTimeoutMs);
      let wsClient: ReturnType<typeof createWSClient>;
      try {
        wsClient = createWSClient({
          url: wsUrl,
          connectionParams: options.token ? { token: options.token } : undefined,
          onOpen: () => {
            opened = true;
            if (state.lastEventAt !== null) setState({ reconnects: state.reconnects + 1 });
          },
          onClose: () => {
            if (!gotMessage && choice === "auto") fail();
            else if (!stopped) setState({ status: "reconnecting" });
          },
        });
      } catch {
        // No WebSocket in this browser (or it is blocked): straight to SSE.
        clearTimeout(openTimer);
        queueMicrotask(fail);
        return () => {};
      }
      const client = createTRPCUntypedClient({ links: [wsLink({ client: wsClient })] });
      const sub = client.subscription("metrics.live", { series: input.series, lastEventId }, {
        onData: (raw) => {
          gotMessage = true;
          onTrackedData(raw);
        },
        onError: (err) => handlers.onError(err),
      });
      return () => {
        clearTimeout(openTimer);
        sub.unsubscribe();
        void wsClient.close();
      };
    }

    function startSse(): Stop {
      const client = createTRPCUntypedClient({
        links: [httpSubscriptionLink({ url: httpUrl })],
      });
      let everLive = false;
      const sub = client.subscription("metrics.live", { series: input.series, lastEventId }, {
        onData: onTrackedData,
        onError: (err) => handlers.onError(err),
        onConnectionStateChange: (s) => {
          if (s.state === "pending") {
            if (everLive) setState({ reconnects: state.reconnects + 1 });
            everLive = true;
          } else if (s.state === "connecting" && everLive) setState({ status: "reconnecting" });
        },
      });
      return () => sub.unsubscribe();
    }

    function startPoll(): Stop {
      const abort = new AbortController();
      let failing = false;
      const loop = async () => {
        // Bounded by the abort signal: every pass either waits on the server or on the retry timer.
        while (!abort.signal.aborted) {
          try {
            const raw = await http.query("metrics.poll", { series: input.series, cursor: lastEventId, waitMs: pollWaitMs }, { signal: abort.signal });
            const result = raw as { events: unknown[]; cursor: string | null };
            if (failing) setState({ reconnects: state.reconnects + 1 });
            failing = false;
            if (state.status !== "live") setState({ status: "live" });
            for (const item of result.events) {
              const parsed = IdentifiedEventSchema.safeParse(item);
              if (parsed.success) deliver(parsed.data.id, parsed.data.event);
            }
            if (result.cursor) lastEventId = result.cursor;
          } catch (err) {
            if (abort.signal.aborted) return;
            if (!failing) handlers.onError(err);
            failing = true;
            setState({ status: "reconnecting" });
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, pollRetryMs);
              abort.signal.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
            });
          }
        }
      };
      void loop();
      return () => abort.abort();
    }

    start(state.transport);
    const stop = () => {
      stopped = true;
      stopCurrent();
      stops.delete(stop);
    };
    stops.add(stop);
    return { unsubscribe: stop };
  }

  return {
    catalog: () => http.query("metrics.catalog") as ReturnType<DashboardClient["catalog"]>,
    history: (input) => http.query("metrics.history", input) as ReturnType<DashboardClient["history"]>,
    poll: (input) => http.query("metrics.poll", input) as ReturnType<DashboardClient["poll"]>,
    info: () => http.query("system.info") as ReturnType<DashboardClient["info"]>,
    subscribeLive,
    connection: {
      get: () => state,
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    close() {
      for (const stop of [...stops]) stop();
      listeners.clear();
      setState({ status: "offline" });
    },
  };
}
