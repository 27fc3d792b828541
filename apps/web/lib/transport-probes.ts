import { retryDelayMs } from "@livedash/client";
import type { RetryPolicy } from "@livedash/client";
import type { LiveEvent } from "@livedash/events";
import type { Clock } from "./server-clock";
import { LIVE_PROCEDURE, LiveEventSchema, PLAIN_SSE_EVENTS, PLAIN_SSE_PATH, POLL_PROCEDURE, PollResultSchema, TRPC_PATH, WsTrackedEventMessageSchema, trpcWsUrl, wsConnectionParamsMessage, wsSubscribeMessage } from "@livedash/events";

export type ProbeKind = "ws" | "sse" | "long-poll" | "short-poll";

export interface ProbeStats {
  kind: ProbeKind;
  status: "connecting" | "live" | "reconnecting" | "stopped";
  events: number;
  points: number;
  bytes: number;
  /** Receive time (server clock) minus point ts over the most recent points, in ms. */
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  /** HTTP requests plus WebSocket handshakes in the last 60 s. */
  requestsPerMinute: number;
  lastError: string | null;
}

export interface ProbeOptions {
  baseUrl: string;
  /** The server's clock, for latency: a browser clock minutes off must not show as minutes of latency. @default Date */
  clock?: Clock;
  series: readonly string[];
  /** Latency samples kept for the percentiles. @default 500 */
  latencySamples?: number;
  /** Long-poll hold time. @default 20000 */
  longPollWaitMs?: number;
  /** Short-poll period (a plain request with waitMs 0). @default 1000 */
  shortPollIntervalMs?: number;
  /** Reconnecting a dropped probe: floor plus full jitter, growing per failure in a row. @default floor 1 s, base 1 s, max 30 s */
  retry?: RetryPolicy;
  /**
   * Sign-in on: a short-lived read ticket for each connection and request (WS connectionParams,
   * the /sse URL, poll `Authorization`). Unset: no credentials (the open loopback default).
   */
  ticket?: () => Promise<string>;
}

/**
 * One transport measured on the wire, with no client library in between: a raw WebSocket speaking
 * the tRPC protocol, an EventSource on /sse, and fetch for long and short polls. Bytes are the
 * frame or body as received (HTTP and TCP headers excluded), so the numbers compare like with like.
 */
export class TransportProbe {
  private stats_: ProbeStats;
  private readonly latencies: number[] = [];
  private readonly requestTimes: number[] = [];
  /** Closes the probe's one current connection (socket, EventSource or poll loop); replaced on reconnect. */
  private closeCurrent: (() => void) | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Failures since the last event: the retry backoff's attempt number. */
  private failures = 0;
  private stopped = false;
  private cursor: string | null = null;

  constructor(readonly kind: ProbeKind, private readonly options: ProbeOptions) {
    this.stats_ = { kind, status: "connecting", events: 0, points: 0, bytes: 0, latencyP50Ms: null, latencyP95Ms: null, requestsPerMinute: 0, lastError: null };
  }

  start(): void {
    if (this.kind === "ws") this.withTicket((ticket) => this.startWs(ticket));
    else if (this.kind === "sse") this.withTicket((ticket) => this.startSse(ticket));
    else this.startPoll(this.kind === "long-poll");
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.closeCurrent?.();
    this.closeCurrent = null;
    this.stats_ = { ...this.stats_, status: "stopped" };
  }

  stats(): ProbeStats {
    const now = Date.now();
    while (this.requestTimes.length > 0 && (this.requestTimes[0] as number) < now - 60_000) this.requestTimes.shift();
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const pick = (q: number) => (sorted.length === 0 ? null : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number));
    return { ...this.stats_, latencyP50Ms: pick(0.5), latencyP95Ms: pick(0.95), requestsPerMinute: this.requestTimes.length };
  }

  private record(event: LiveEvent, bytes: number): void {
    const now = this.options.clock?.now() ?? Date.now();
    this.failures = 0;
    this.stats_.events++;
    this.stats_.bytes += bytes;
    this.stats_.status = "live";
    if (event.type !== "points") return;
    this.stats_.points += event.points.length;
    const cap = this.options.latencySamples ?? 500;
    for (const p of event.points) {
      this.latencies.push(now - p.ts);
      if (this.latencies.length > cap) this.latencies.shift();
    }
  }

  private fail(error: unknown): void {
    if (this.stopped) return;
    this.stats_.status = "reconnecting";
    this.stats_.lastError = error instanceof Error ? error.message : String(error);
  }

  /** Runs `start` with a fresh ticket (null without sign-in); no ticket to be had counts as a failed attempt. */
  private withTicket(start: (ticket: string | null) => void): void {
    const get = this.options.ticket;
    if (get === undefined) return start(null);
    get().then(
      (ticket) => {
        if (!this.stopped) start(ticket);
      },
      (error: unknown) => {
        this.fail(error);
        this.retry(() => this.withTicket(start));
      },
    );
  }

  private retryPolicy(): RetryPolicy {
    return this.options.retry ?? { retryFloorMs: 1000, backoffBaseMs: 1000, maxBackoffMs: 30_000 };
  }

  /** One pending reconnect at a time, after a backoff that grows while the probe keeps failing. */
  private retry(start: () => void): void {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(start, retryDelayMs(this.failures++, this.retryPolicy()));
  }

  /** The probe's connection is now `close`'s: the previous one (already dead) is let go. */
  private own(close: () => void): void {
    this.closeCurrent?.();
    this.closeCurrent = close;
  }

  private startWs(ticket: string | null): void {
    this.requestTimes.push(Date.now());
    const ws = new WebSocket(trpcWsUrl(this.options.baseUrl, ticket !== null));
    let lastEventId: string | null = this.cursor;
    ws.onopen = () => {
      // Checked once, when the socket authenticates: a reconnect gets a new ticket (withTicket).
      if (ticket !== null) ws.send(JSON.stringify(wsConnectionParamsMessage({ ticket })));
      ws.send(JSON.stringify(wsSubscribeMessage(1, LIVE_PROCEDURE, { series: this.options.series, lastEventId })));
    };
    ws.onmessage = (message) => {
      const text = String(message.data);
      // Anything but a tracked live event (started, errors) carries no points.
      const parsed = WsTrackedEventMessageSchema.safeParse(JSON.parse(text));
      if (!parsed.success) return;
      lastEventId = parsed.data.result.id;
      this.cursor = lastEventId;
      this.record(parsed.data.result.data.data, new TextEncoder().encode(text).length);
    };
    ws.onclose = () => {
      ws.onclose = null;
      this.closeCurrent = null;
      this.fail(new Error("WebSocket closed"));
      this.retry(() => this.withTicket((next) => this.startWs(next)));
    };
    this.own(() => {
      ws.onclose = null;
      ws.close();
    });
  }

  private startSse(ticket: string | null): void {
    const query = new URLSearchParams({ series: this.options.series.join(",") });
    if (ticket !== null) {
      query.set("ticket", ticket);
      if (this.cursor !== null) query.set("lastEventId", this.cursor);
    }
    this.requestTimes.push(Date.now());
    const source = new EventSource(`${this.options.baseUrl}${PLAIN_SSE_PATH}?${query.toString().replaceAll("%2C", ",").replaceAll("%2A", "*")}`);
    const onEvent = (type: (typeof PLAIN_SSE_EVENTS)[number]) => (message: MessageEvent<string>) => {
      const parsed = LiveEventSchema.safeParse(JSON.parse(message.data));
      if (!parsed.success) return;
      // The frame as sent: `event:`, `id:` and `data:` lines and the blank line that ends it.
      const frame = `event: ${type}\nid: ${message.lastEventId}\ndata: ${message.data}\n\n`;
      if (message.lastEventId) this.cursor = message.lastEventId;
      this.record(parsed.data, new TextEncoder().encode(frame).length);
    };
    for (const type of PLAIN_SSE_EVENTS) source.addEventListener(type, onEvent(type));
    // EventSource reconnects by itself (with Last-Event-ID); count each reopen as a request.
    source.onopen = () => {
      if (this.stats_.events > 0) this.requestTimes.push(Date.now());
    };
    source.onerror = () => {
      if (ticket === null) return this.fail(new Error("EventSource error; the browser retries"));
      // The browser would retry with this URL, whose ticket expires: reopen with a fresh one and the last id.
      source.close();
      this.closeCurrent = null;
      this.fail(new Error("EventSource error; reconnecting with a new ticket"));
      this.retry(() => this.withTicket((next) => this.startSse(next)));
    };
    this.own(() => source.close());
  }

  private startPoll(long: boolean): void {
    const abort = new AbortController();
    this.own(() => abort.abort());
    const waitMs = long ? (this.options.longPollWaitMs ?? 20_000) : 0;
    const periodMs = this.options.shortPollIntervalMs ?? 1000;
    const once = async () => {
      const input = { series: this.options.series, cursor: this.cursor, waitMs };
      this.requestTimes.push(Date.now());
      const headers: Record<string, string> = this.options.ticket ? { authorization: `Bearer ${await this.options.ticket()}` } : {};
      const res = await fetch(`${this.options.baseUrl}${TRPC_PATH}/${POLL_PROCEDURE}?input=${encodeURIComponent(JSON.stringify(input))}`, { signal: abort.signal, headers });
      const text = await res.text();
      if (!res.ok) throw new Error(`metrics.poll answered ${res.status}`);
      const body = PollResultSchema.parse((JSON.parse(text) as { result?: { data?: unknown } }).result?.data);
      this.stats_.status = "live";
      if (body.cursor !== null) this.cursor = body.cursor;
      // The body's bytes are shared by the events it carried; an empty answer still cost its bytes.
      const share = body.events.length > 0 ? new TextEncoder().encode(text).length / body.events.length : 0;
      if (body.events.length === 0) this.stats_.bytes += new TextEncoder().encode(text).length;
      for (const item of body.events) this.record(item.event, share);
      return body.events.length;
    };
    const loop = async () => {
      // Bounded by the abort signal: each pass waits on the server (long), on the period (short), or on
      // a backoff (a failure, or a long poll answered early with nothing: the server cannot hold it).
      while (!abort.signal.aborted) {
        const started = Date.now();
        let pauseMs: number;
        try {
          const events = await once();
          const early = long && events === 0 && Date.now() - started < waitMs / 2;
          if (!early) this.failures = 0;
          pauseMs = early ? retryDelayMs(this.failures++, this.retryPolicy()) : long ? 0 : Math.max(0, periodMs - (Date.now() - started));
        } catch (error) {
          if (abort.signal.aborted) return;
          this.fail(error);
          pauseMs = retryDelayMs(this.failures++, this.retryPolicy());
        }
        if (pauseMs > 0) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, pauseMs);
            abort.signal.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
          });
        }
      }
    };
    void loop();
  }
}
