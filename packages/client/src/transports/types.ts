import type { TransportKind } from "../connection-state";
import type { TicketCache } from "../auth/ticket-cache";
import type { LadderOptions } from "../options";

/** Minimal structural view of a browser WebSocket or the `ws` package's WebSocket. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "open" | "close" | "error" | "message", listener: (event: SocketEventLike) => void): void;
}
export interface SocketEventLike {
  readonly data?: unknown;
  readonly code?: number;
  readonly reason?: string;
  /** `ws` (Node) puts the cause on error events; browsers give no detail at all. */
  readonly message?: string;
  readonly error?: unknown;
}
export type WebSocketConstructorLike = new (url: string) => WebSocketLike;

/** Minimal structural view of a browser EventSource or the `eventsource` package's EventSource. */
export interface EventSourceLike {
  readonly readyState: number;
  close(): void;
  addEventListener(type: string, listener: (event: MessageEventLike) => void): void;
}
export interface MessageEventLike {
  readonly data?: unknown;
  readonly lastEventId?: string;
  /** `eventsource` (Node) sets the HTTP status on error events when there was one. */
  readonly code?: number;
  readonly message?: string;
}
export type EventSourceConstructorLike = new (url: string) => EventSourceLike;

export type FetchLike = typeof fetch;

/** What every session needs from the client: where the server is and how to talk to it. */
export interface TransportContext {
  /** Base URL without trailing slash, e.g. http://127.0.0.1:4000 */
  readonly baseUrl: string;
  readonly token: string | undefined;
  /** Short-lived tickets instead of a token (a browser that must not hold it); null with a token or none. */
  readonly tickets: TicketCache | null;
  readonly options: LadderOptions;
  readonly fetch: FetchLike;
  /** Resolved lazily: in Node they may come from a dynamic import. */
  readonly getWebSocket: () => Promise<WebSocketConstructorLike>;
  readonly getEventSource: () => Promise<EventSourceConstructorLike>;
}

/**
 * Why a session ended:
 * - "blocked": the transport does not work on this path (upgrade refused, timed out, closed before
 *   its first message, SSE buffered): a reason to go down the ladder.
 * - "unreachable": the server itself cannot be reached: retry the same transport with backoff.
 * - "unknown": the platform gave no detail (browsers); the ladder asks the server over plain HTTP.
 */
export type FailureKind = "blocked" | "unreachable" | "unknown";

export interface SessionFailure {
  readonly kind: FailureKind;
  readonly message: string;
}

/** The part of a ladder subscription a session may see. */
export interface SessionSubscription {
  readonly key: number;
  readonly path: string;
  /** The caller's input with `lastEventId` set to the last delivered id, if any. */
  resumeInput(): unknown;
  readonly lastEventId: string | null;
}

/** Callbacks a session reports through; the ladder ignores calls from sessions it has dropped. */
export interface SessionEvents {
  /** The transport proved it works (first WS message, first SSE event, first poll answer). */
  onLive(): void;
  /** The session is dead; it will not call anything else. */
  onDown(failure: SessionFailure): void;
  onStarted(sub: SessionSubscription): void;
  /** Returns true when the event was new and went to the subscriber (false: a duplicate, or dropped). */
  onEvent(sub: SessionSubscription, id: string | undefined, data: unknown): boolean;
  /** The server rejected or failed this one subscription (bad input, auth): it ends. */
  onSubscriptionError(sub: SessionSubscription, error: unknown): void;
  /** The server ended this one subscription normally. */
  onSubscriptionComplete(sub: SessionSubscription): void;
}

/**
 * One attempt at one transport. Sessions are single-use: once down or closed they stay dead,
 * and the ladder makes a new one, so no state leaks from a failed connection into the next.
 */
export interface TransportSession {
  readonly kind: TransportKind;
  add(sub: SessionSubscription): void;
  remove(sub: SessionSubscription): void;
  close(): void;
}

export type SessionFactory = (ctx: TransportContext, events: SessionEvents) => TransportSession;
