import { CONNECTION_PARAMS_PARAM } from "@livedash/events";
import { TRPCClientError } from "@trpc/client";
import { TicketError } from "../auth/ticket-cache";
import { TransportError, describe, fetchTicket, trpcGetUrl } from "./http";
import type {
  EventSourceLike,
  MessageEventLike,
  SessionEvents,
  SessionFailure,
  SessionSubscription,
  TransportContext,
  TransportSession,
} from "./types";

interface Stream {
  readonly sub: SessionSubscription;
  source: EventSourceLike | null;
  sawEvent: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** From the server's `connected` event (tRPC's reconnectAfterInactivityMs); 0 = no watchdog. */
  inactivityMs: number;
  idleTimer: ReturnType<typeof setTimeout> | undefined;
  closed: boolean;
}

/**
 * One EventSource per subscription, on tRPC's SSE encoding (what httpSubscriptionLink reads):
 * a `connected` event first, then unnamed `message` events whose `id:` is the tracked event id,
 * `ping`, `serialized-error`, and `return` when the procedure ends. We never let EventSource
 * reconnect by itself: on any error the session dies and the ladder resumes from the last
 * delivered id, on this transport or another.
 */
export function createSseSession(ctx: TransportContext, events: SessionEvents): TransportSession {
  return new SseSession(ctx, events);
}

class SseSession implements TransportSession {
  readonly kind = "sse" as const;
  #dead = false;
  #live = false;
  readonly #streams = new Map<number, Stream>();

  constructor(
    private readonly ctx: TransportContext,
    private readonly events: SessionEvents,
  ) {}

  add(sub: SessionSubscription): void {
    if (this.#dead || this.#streams.has(sub.key)) return;
    const stream: Stream = { sub, source: null, sawEvent: false, timer: undefined, inactivityMs: 0, idleTimer: undefined, closed: false };
    this.#streams.set(sub.key, stream);
    const timeoutMs = this.ctx.options.sseFirstEventTimeoutMs;
    // Started before the request so a proxy that holds the headers back is caught too.
    stream.timer = setTimeout(() => {
      this.#fail({
        kind: "blocked",
        message: `SSE stream sent no event within ${timeoutMs} ms (a proxy may be buffering it)`,
      });
    }, timeoutMs);
    void this.#open(stream);
  }

  async #open(stream: Stream): Promise<void> {
    const { sub } = stream;
    let url: string;
    let EventSourceImpl;
    try {
      const extra: Record<string, string> = {};
      // EventSource cannot send headers, and the long-lived token must not land in URLs (and
      // logs): trade it for a short-lived ticket, passed the way httpSubscriptionLink does.
      if (this.ctx.token !== undefined || this.ctx.tickets !== null) extra[CONNECTION_PARAMS_PARAM] = JSON.stringify({ ticket: await fetchTicket(this.ctx) });
      url = trpcGetUrl(this.ctx.baseUrl, sub.path, sub.resumeInput(), extra);
      EventSourceImpl = await this.ctx.getEventSource();
    } catch (cause) {
      if (stream.closed || this.#dead) return;
      if (cause instanceof TRPCClientError) {
        this.#endStream(stream);
        this.events.onSubscriptionError(sub, cause);
        return;
      }
      // No ticket (the provider failed): like an unreachable server, retry here; SSE is not blocked.
      if (cause instanceof TicketError) return this.#fail({ kind: "unreachable", message: `SSE setup failed: ${describe(cause)}` });
      const retryable = cause instanceof TransportError && cause.retryable;
      this.#fail({ kind: retryable ? "unknown" : "blocked", message: `SSE setup failed: ${describe(cause)}` });
      return;
    }
    if (stream.closed || this.#dead) return;
    let source: EventSourceLike;
    try {
      source = new EventSourceImpl(url);
    } catch (cause) {
      this.#fail({ kind: "blocked", message: `EventSource constructor threw: ${describe(cause)}` });
      return;
    }
    stream.source = source;
    const on = (type: string, handler: (event: MessageEventLike) => void) =>
      source.addEventListener(type, (event) => {
        if (stream.closed || this.#dead) return;
        handler(event);
      });
    on("connected", (event) => {
      stream.inactivityMs = readInactivityMs(event.data);
      this.#sawEvent(stream);
    });
    on("ping", () => this.#sawEvent(stream));
    on("message", (event) => {
      this.#sawEvent(stream);
      if (stream.closed || this.#dead) return;
      let data: unknown;
      try {
        data = JSON.parse(String(event.data));
      } catch {
        this.#fail({ kind: "unreachable", message: "SSE message is not JSON" });
        return;
      }
      this.events.onEvent(sub, event.lastEventId ? event.lastEventId : undefined, data);
    });
    on("serialized-error", (event) => {
      this.#sawEvent(stream);
      if (stream.closed || this.#dead) return;
      let shape: unknown = null;
      try {
        shape = JSON.parse(String(event.data));
      } catch {
        // Reported below with a generic message.
      }
      this.#endStream(stream);
      const error =
        shape && typeof shape === "object"
          ? TRPCClientError.from({ error: shape } as Parameters<typeof TRPCClientError.from>[0])
          : new TRPCClientError("the server ended the subscription with an error");
      this.events.onSubscriptionError(sub, error);
    });
    on("return", () => {
      this.#endStream(stream);
      this.events.onSubscriptionComplete(sub);
    });
    on("error", (event) => {
      const wasLive = this.#live || stream.sawEvent;
      source.close();
      this.#fail(wasLive ? { kind: "unreachable", message: `SSE stream lost (${errorText(event)})` } : classifyError(event));
    });
  }

  #sawEvent(stream: Stream): void {
    this.#armWatchdog(stream);
    if (stream.sawEvent) return;
    stream.sawEvent = true;
    clearTimeout(stream.timer);
    if (!this.#live) {
      this.#live = true;
      this.events.onLive();
    }
    if (!stream.closed && !this.#dead) this.events.onStarted(stream.sub);
  }

  /**
   * A stream can go silent without an error (a half-open TCP connection, a stalled proxy). The server
   * promises an event or ping within `reconnectAfterInactivityMs`; past that, the stream is dead.
   */
  #armWatchdog(stream: Stream): void {
    clearTimeout(stream.idleTimer);
    if (stream.inactivityMs <= 0 || stream.closed || this.#dead) return;
    const ms = stream.inactivityMs;
    stream.idleTimer = setTimeout(() => {
      this.#fail({ kind: "unreachable", message: `SSE stream silent for ${ms} ms` });
    }, ms);
  }

  remove(sub: SessionSubscription): void {
    const stream = this.#streams.get(sub.key);
    if (stream) this.#endStream(stream);
  }

  close(): void {
    if (this.#dead) return;
    this.#dead = true;
    for (const stream of [...this.#streams.values()]) this.#endStream(stream);
  }

  #endStream(stream: Stream): void {
    stream.closed = true;
    clearTimeout(stream.timer);
    clearTimeout(stream.idleTimer);
    stream.source?.close();
    this.#streams.delete(stream.sub.key);
  }

  #fail(failure: SessionFailure): void {
    if (this.#dead) return;
    this.close();
    this.events.onDown(failure);
  }
}

function readInactivityMs(data: unknown): number {
  try {
    const parsed: unknown = JSON.parse(String(data));
    const ms = (parsed as { reconnectAfterInactivityMs?: unknown } | null)?.reconnectAfterInactivityMs;
    return typeof ms === "number" && Number.isFinite(ms) && ms > 0 ? ms : 0;
  } catch {
    return 0;
  }
}

function errorText(event: MessageEventLike): string {
  if (typeof event.code === "number") return `HTTP ${event.code}`;
  return event.message || "connection error";
}

/** `eventsource` (Node) reports the HTTP status; a browser reports nothing, so the ladder asks over HTTP. */
function classifyError(event: MessageEventLike): SessionFailure {
  if (typeof event.code === "number" && event.code < 500) {
    return { kind: "blocked", message: `SSE request answered HTTP ${event.code}` };
  }
  return { kind: "unknown", message: `SSE stream failed before its first event (${errorText(event)})` };
}
