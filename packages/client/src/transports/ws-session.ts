import { TRPCClientError } from "@trpc/client";
import { WS_CLOSE, WS_KEEPALIVE, WS_METHOD, describeWsClose, trpcWsUrl, wsConnectionParamsMessage, wsStopMessage, wsSubscribeMessage } from "@livedash/events";
import { UNREACHABLE_CODES, isObject } from "./http";
import type {
  SessionEvents,
  SessionFailure,
  SessionSubscription,
  SocketEventLike,
  TransportContext,
  TransportSession,
  WebSocketLike,
} from "./types";

const OPEN = 1;

/**
 * One WebSocket, speaking tRPC's wsLink protocol, multiplexing every subscription of the client:
 * `{id, method: "subscription", params: {path, input}}` out; `started` / `data` / `stopped` /
 * `error` per request id back, plus "PING"/"PONG" keepalive text frames and the server's
 * `{method: "reconnect"}` notice before it shuts down.
 */
export function createWsSession(ctx: TransportContext, events: SessionEvents): TransportSession {
  return new WsSession(ctx, events);
}

class WsSession implements TransportSession {
  readonly kind = "ws" as const;
  #socket: WebSocketLike | null = null;
  #dead = false;
  #opened = false;
  #live = false;
  #lastError: SocketEventLike | null = null;
  /** The ticket this socket authenticates with (ticket clients only). */
  #ticket: string | null = null;
  #nextRequestId = 1;
  /** request id -> subscription, for the requests this socket carries. */
  readonly #requests = new Map<number, SessionSubscription>();
  readonly #requestIdByKey = new Map<number, number>();
  #openTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #pongTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly ctx: TransportContext,
    private readonly events: SessionEvents,
  ) {
    const timeoutMs = ctx.options.wsOpenTimeoutMs;
    this.#openTimer = setTimeout(() => {
      this.#fail({ kind: "blocked", message: `WebSocket did not open and answer within ${timeoutMs} ms` });
    }, timeoutMs);
    void this.#connect();
  }

  async #connect(): Promise<void> {
    let WebSocketImpl;
    try {
      WebSocketImpl = await this.ctx.getWebSocket();
    } catch (cause) {
      this.#fail({ kind: "blocked", message: `no WebSocket implementation: ${String(cause)}` });
      return;
    }
    if (this.#dead) return;
    // A ticket is checked when the socket authenticates, so a long-lived socket is fine; every new
    // socket (each reconnect) asks for a valid one here, before it opens.
    if (this.ctx.token === undefined && this.ctx.tickets !== null) {
      try {
        this.#ticket = await this.ctx.tickets.get();
      } catch (cause) {
        this.#fail({ kind: "unreachable", message: `no ticket for the WebSocket: ${cause instanceof Error ? cause.message : String(cause)}` });
        return;
      }
      if (this.#dead) return;
    }
    let socket: WebSocketLike;
    try {
      socket = new WebSocketImpl(trpcWsUrl(this.ctx.baseUrl, this.ctx.token !== undefined || this.#ticket !== null));
    } catch (cause) {
      this.#fail({ kind: "blocked", message: `WebSocket constructor threw: ${String(cause)}` });
      return;
    }
    this.#socket = socket;
    socket.addEventListener("open", () => this.#onOpen());
    socket.addEventListener("message", (event) => this.#onMessage(event));
    socket.addEventListener("error", (event) => {
      this.#lastError = event;
    });
    socket.addEventListener("close", (event) => this.#onClose(event));
  }

  #onOpen(): void {
    if (this.#dead) return;
    this.#opened = true;
    if (this.ctx.token !== undefined) {
      this.#send(JSON.stringify(wsConnectionParamsMessage({ token: this.ctx.token })));
    } else if (this.#ticket !== null) {
      this.#send(JSON.stringify(wsConnectionParamsMessage({ ticket: this.#ticket })));
    }
    // The server answers "PING" with "PONG" before any subscription work: our first message.
    this.#send(WS_KEEPALIVE.ping);
    for (const [requestId, sub] of this.#requests) this.#sendSubscribe(requestId, sub);
  }

  #onMessage(event: SocketEventLike): void {
    if (this.#dead) return;
    if (!this.#live) {
      this.#live = true;
      clearTimeout(this.#openTimer);
      this.#startKeepalive();
      this.events.onLive();
      if (this.#dead) return;
    }
    const text = typeof event.data === "string" ? event.data : String(event.data);
    if (text === WS_KEEPALIVE.pong) {
      clearTimeout(this.#pongTimer);
      this.#pongTimer = undefined;
      return;
    }
    if (text === WS_KEEPALIVE.ping) {
      this.#send(WS_KEEPALIVE.pong);
      return;
    }
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    for (const one of Array.isArray(msg) ? msg : [msg]) this.#handle(one);
  }

  #handle(msg: unknown): void {
    if (this.#dead || !isObject(msg)) return;
    if (msg["method"] === WS_METHOD.reconnect) {
      this.#fail({ kind: "unreachable", message: "the server asked clients to reconnect (it is shutting down)" });
      return;
    }
    const requestId = msg["id"];
    if (typeof requestId !== "number") return;
    // A request we already stopped may still have messages in flight: ignore them.
    const sub = this.#requests.get(requestId);
    if (!sub) return;
    if ("error" in msg) {
      this.#forget(requestId, sub);
      this.events.onSubscriptionError(sub, TRPCClientError.from(msg as Parameters<typeof TRPCClientError.from>[0]));
      return;
    }
    const result = msg["result"];
    if (!isObject(result)) return;
    switch (result["type"]) {
      case "started":
        this.events.onStarted(sub);
        break;
      case "stopped":
        this.#forget(requestId, sub);
        this.events.onSubscriptionComplete(sub);
        break;
      case "data":
      case undefined: {
        // tracked(): result.id is the event id and result.data is `{ id, data }`.
        const eventId = typeof result["id"] === "string" ? result["id"] : undefined;
        const envelope = result["data"];
        const data = eventId !== undefined && isObject(envelope) && "data" in envelope ? envelope["data"] : envelope;
        this.events.onEvent(sub, eventId, data);
        break;
      }
    }
  }

  #onClose(event: SocketEventLike): void {
    if (this.#dead) return;
    const code = event.code ?? 0;
    // An expired ticket (4401) is not a blocked transport even before the first message: reconnect here with a new one.
    if (this.#live || code === WS_CLOSE.ticketExpired) {
      this.#fail({ kind: "unreachable", message: `WebSocket closed (code ${describeWsClose(code)}${event.reason ? `, ${event.reason}` : ""})` });
      return;
    }
    if (this.#opened) {
      this.#fail({ kind: "blocked", message: `WebSocket closed before its first message (code ${code})` });
      return;
    }
    this.#fail(classifyConnectError(this.#lastError, code));
  }

  #startKeepalive(): void {
    const { pingIntervalMs, pongTimeoutMs } = this.ctx.options;
    this.#pingTimer = setInterval(() => {
      if (this.#pongTimer !== undefined) return;
      this.#send(WS_KEEPALIVE.ping);
      this.#pongTimer = setTimeout(() => {
        this.#fail({ kind: "unreachable", message: `no PONG within ${pongTimeoutMs} ms` });
      }, pongTimeoutMs);
    }, pingIntervalMs);
  }

  add(sub: SessionSubscription): void {
    if (this.#dead || this.#requestIdByKey.has(sub.key)) return;
    const requestId = this.#nextRequestId++;
    this.#requests.set(requestId, sub);
    this.#requestIdByKey.set(sub.key, requestId);
    if (this.#opened) this.#sendSubscribe(requestId, sub);
  }

  remove(sub: SessionSubscription): void {
    const requestId = this.#requestIdByKey.get(sub.key);
    if (requestId === undefined) return;
    this.#forget(requestId, sub);
    if (this.#opened && !this.#dead) this.#send(JSON.stringify(wsStopMessage(requestId)));
  }

  close(): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#stopTimers();
    this.#closeSocket();
  }

  #sendSubscribe(requestId: number, sub: SessionSubscription): void {
    this.#send(JSON.stringify(wsSubscribeMessage(requestId, sub.path, sub.resumeInput())));
  }

  #forget(requestId: number, sub: SessionSubscription): void {
    this.#requests.delete(requestId);
    this.#requestIdByKey.delete(sub.key);
  }

  #send(data: string): void {
    if (this.#socket?.readyState === OPEN) this.#socket.send(data);
  }

  #fail(failure: SessionFailure): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#stopTimers();
    this.#closeSocket();
    this.events.onDown(failure);
  }

  #stopTimers(): void {
    clearTimeout(this.#openTimer);
    clearInterval(this.#pingTimer);
    clearTimeout(this.#pongTimer);
  }

  #closeSocket(): void {
    try {
      this.#socket?.close(WS_CLOSE.normal);
    } catch {
      // Closing a socket that is still CONNECTING throws in some implementations; it is dead to us anyway.
    }
  }
}

/** `ws` (Node) tells why a connect failed; a browser says nothing, so the ladder asks over HTTP. */
function classifyConnectError(error: SocketEventLike | null, closeCode: number): SessionFailure {
  const cause = error?.error as { code?: unknown; message?: unknown } | undefined;
  const message = error?.message ?? (typeof cause?.message === "string" ? cause.message : "");
  const code = typeof cause?.code === "string" ? cause.code : undefined;
  if (code && UNREACHABLE_CODES.has(code)) return { kind: "unreachable", message: `WebSocket could not connect (${code})` };
  if (/Unexpected server response/i.test(message)) return { kind: "blocked", message: `WebSocket upgrade refused (${message})` };
  return { kind: "unknown", message: `WebSocket failed before opening (${message || `close code ${closeCode}`})` };
}
