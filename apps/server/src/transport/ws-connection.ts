import { setMaxListeners } from "node:events";
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { callTRPCProcedure, getTRPCErrorFromUnknown, getTRPCErrorShape, isTrackedEnvelope, TRPCError } from "@trpc/server";
import type { WebSocket } from "ws";
import { CONNECTION_PARAMS_PARAM, HOSTS_LIVE_PROCEDURE, HOSTS_POLL_PROCEDURE, LIVE_PROCEDURE, MAX_WS_REQUEST_ID_CHARS, POLL_PROCEDURE, WS_CLOSE, WS_KEEPALIVE, WS_METHOD, wsDataMessage, wsStartedMessage, wsStoppedMessage, encodeWsTrackedEvent } from "@livedash/events";
import type { WsClientMessage, WsRequestId } from "@livedash/events";
import { wsFrameEncoder } from "../live/frames";
import { sharedJson } from "./shared-json";
import type { Sink } from "../live/types";
import { appRouter } from "@livedash/api";
import type { Context } from "@livedash/api";
import type { Services } from "../services";
import { authorizeStream, endAtTicketExpiry, peerAddress } from "./auth";
import type { Credentials } from "./auth";
import { extractBearer } from "../security/tokens";
import { drainFanOut } from "./drain-fan-out";
import { parseLiveRequest } from "./live-request";
import { pollLimitMessage } from "../security/connection-limit";
import type { ConnectionLimiter } from "../security/connection-limit";
import { addressKey } from "../security/address-key";

/**
 * Unread bytes past which a connection that is still being refused is cut: each refusal is an answer,
 * and a client that never reads them (one 1 MiB frame holds ~10k requests, or 500k `1,` entries that
 * each earn a PARSE_ERROR) would make the server buffer them all.
 */
const MAX_UNREAD_REFUSAL_BYTES = 1_048_576;

/** How long a client closed for breaking a rule has to read its close frame before the socket is cut. */
const POLICY_CLOSE_GRACE_MS = 2_000;

/** Requests a connection may queue while its connectionParams have not arrived yet. */
const MAX_WAITING_MESSAGES = 100;

/** Tunables of one connection (ws-server.ts documents their defaults). */
export interface WsConnectionOptions {
  /** Unread answer bytes past which the socket is closed as a slow consumer. */
  maxUnreadReplyBytes: number;
  /** Counts a query or mutation until its answer is sent; returns its end (shutdown waits for them). */
  trackCall: () => () => void;
  /** With tokens configured: how long a socket may stay without credentials that grant anything. */
  authTimeoutMs: number;
  /** Long-polls waiting per address, shared with HTTP (LIVEDASH_MAX_POLLS_PER_IP). */
  pollWaiters: ConnectionLimiter;
}

/** Why a frame element is not a wsLink message, or null when it is one. Hand-written: it runs per element. */
function clientMessageProblem(value: unknown): string | null {
  if (!value || typeof value !== "object") return "message must be an object with a string `method` and an `id`";
  const m = value as Record<string, unknown>;
  if (typeof m.method !== "string") return "message must be an object with a string `method` and an `id`";
  if (m.id === undefined || m.id === null || typeof m.id === "number") return null;
  if (typeof m.id !== "string") return "`id` must be a number or a string";
  return m.id.length > MAX_WS_REQUEST_ID_CHARS ? `\`id\` is at most ${MAX_WS_REQUEST_ID_CHARS} characters (got ${m.id.length})` : null;
}

/**
 * One WebSocket speaking tRPC's wsLink protocol (JSON-RPC-like messages, `PING`/`PONG` keep-alive,
 * `connectionParams` first when the URL says `?connectionParams=1`). `metrics.live` runs on the live path's
 * shared-frame path; queries and mutations go through tRPC's own procedure caller.
 */
/**
 * hosts.live subscriptions per WebSocket. Each event is the whole fleet (~220 KB for 1000 hosts),
 * serialized for each subscription; one serves a page, so a few (tabs sharing a socket) are plenty.
 */
export const MAX_HOSTS_LIVE_PER_WS = 4;

export function serveWsConnection(ws: WebSocket, socket: Socket, req: IncomingMessage, url: URL, services: Services, options: WsConnectionOptions, onClose: () => void) {
  const subscriptions = new Map<WsRequestId, () => void>();
  /** The stop functions of this socket's hosts.live subscriptions (at most MAX_HOSTS_LIVE_PER_WS). */
  const hostsLive = new Set<() => void>();
  // Aborted on close: a query still running (a long-poll waits up to 60 s) stops with its socket.
  // Each in-flight query listens to it, so Node's 10-listener leak warning does not apply here.
  const closed = new AbortController();
  setMaxListeners(0, closed.signal);
  const peerIp = peerAddress(req);
  const clientKey = `ip:${peerIp}`;
  /** What live caps count this socket under (an IPv6 peer by its /64). */
  const address = addressKey(peerIp);
  const connectionId = randomBytes(4).toString("hex");
  const headerToken = extractBearer(req.headers.authorization);
  let ctx: Context | null = null;
  // Until connectionParams arrive, requests wait here (bounded by the message rate limit).
  let waiting: WsClientMessage[] | null = null;
  if (url.searchParams.get(CONNECTION_PARAMS_PARAM) === "1") waiting = [];

  const maxPerSec = services.config.limits.maxWsMessagesPerSec;
  // One frame may hold an array of thousands of requests: each live subscription and each query in
  // flight (a long-poll holds an engine listener up to 60 s) takes a slot, freed when it ends.
  const maxRequests = services.config.limits.maxSubscriptionsPerWs;
  let callsInFlight = 0;
  const overRequestLimit = () => subscriptions.size + callsInFlight >= maxRequests;
  const refuseOverLimit = (id: WsRequestId, path: string | undefined, type: "query" | "mutation" | "subscription") => {
    const error = new TRPCError({ code: "TOO_MANY_REQUESTS", message: `at most ${maxRequests} subscriptions and requests in flight per WebSocket (LIVEDASH_MAX_SUBSCRIPTIONS_PER_WS)` });
    sendError(id, error, path, type);
  };
  let windowStartMs = Date.now();
  let messagesInWindow = 0;
  let slowTimer: NodeJS.Timeout | null = null;

  // Answers respect backpressure like live frames: a client that asks and never reads is closed as a
  // slow consumer once its unread bytes pass the cap, instead of the server buffering for it.
  const send = (message: unknown) => sendText(JSON.stringify(message));
  const sendText = (text: string) => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > options.maxUnreadReplyBytes) {
      services.log.warn({ connectionId, bufferedBytes: ws.bufferedAmount, limit: options.maxUnreadReplyBytes }, "ws replies not read past the cap; closing as slow consumer");
      return sink.closeSlow();
    }
    ws.send(text);
  };
  const sendError = (id: WsRequestId | null, cause: unknown, path?: string, type: "query" | "mutation" | "subscription" | "unknown" = "unknown") => {
    if (ws.bufferedAmount > MAX_UNREAD_REFUSAL_BYTES) return ws.terminate();
    const error = getTRPCErrorFromUnknown(cause);
    // One line per failed request, named `<connection>:<request id>`; refusals only show at debug.
    const fields = { reqId: `${connectionId}:${String(id)}`, transport: "ws", path, type, code: error.code };
    if (error.code === "INTERNAL_SERVER_ERROR") services.log.error({ ...fields, err: error.cause ?? error }, "procedure failed");
    else services.log.debug({ ...fields, message: error.message }, "procedure refused");
    const shape = getTRPCErrorShape({ config: appRouter._def._config, error, type, path, input: undefined, ctx: ctx ?? undefined });
    send({ id, error: shape });
  };

  // A flooding client often does not read either: its close frame would wait behind unread answers for
  // ws's 30 s close timeout, so the socket is cut after a short grace instead.
  let closeTimer: NodeJS.Timeout | null = null;
  const closePolicy = (reason: string, code: number = WS_CLOSE.policyViolation) => {
    ws.close(code, reason);
    closeTimer ??= setTimeout(() => ws.terminate(), POLICY_CLOSE_GRACE_MS);
  };

  // A socket let in by a ticket alone closes when the ticket expires (a ticket taken before sign-out
  // must not keep it open forever); the client reconnects with a new ticket and resumes by id.
  let stopTicketExpiry = () => {};
  const authenticate = (credentials: Credentials) => {
    const { auth, ticketExpiresAt } = authorizeStream(services, credentials);
    ctx = { auth, clientKey, address, services };
    stopTicketExpiry();
    stopTicketExpiry = endAtTicketExpiry(ticketExpiresAt, () => closePolicy("ticket expired; reconnect with a new ticket", WS_CLOSE.ticketExpired));
    return ctx;
  };
  if (!waiting) authenticate({ token: headerToken });

  // With tokens set, a socket that has not authenticated by the deadline is closed: otherwise anyone who
  // reaches the port could hold sockets (and their buffers) forever without a token.
  let authTimer: NodeJS.Timeout | null = null;
  if (services.config.readToken || services.config.ingestToken) {
    authTimer = setTimeout(() => {
      if (ctx && (ctx.auth.read || ctx.auth.ingest)) return;
      closePolicy(`not authenticated within ${options.authTimeoutMs} ms (send connectionParams with a token)`);
    }, options.authTimeoutMs);
  }

  const sink: Sink = {
    transport: "ws",
    bufferedBytes: () => ws.bufferedAmount,
    // Frames arrive already framed (live/ws-frame.ts) and shared across subscribers; writing them to the
    // socket directly skips ws's per-send header allocation. Safe because permessage-deflate is off,
    // so ws never holds frames back in its own queue that this write could overtake.
    write: (frame) => {
      if (ws.readyState === ws.OPEN) socket.write(frame);
    },
    closeSlow: () => {
      if (slowTimer) return;
      ws.close(WS_CLOSE.slowConsumer, "slow consumer: resume with lastEventId");
      // The close frame queues behind what the peer has not read, so only a peer that reads again sees
      // 4008; one that never does is dropped after this grace period (its client sees 1006).
      slowTimer = setTimeout(() => ws.terminate(), 10_000);
    },
    // Every slowed subscription of this socket waits on the same drain: one listener for all of them.
    onDrain: drainFanOut(socket),
  };

  async function startLive(id: WsRequestId, message: WsClientMessage, context: Context) {
    if (subscriptions.has(id)) return sendError(id, new TRPCError({ code: "BAD_REQUEST", message: `Duplicate id ${id}` }), LIVE_PROCEDURE, "subscription");
    if (!context.auth.read) return sendError(id, new TRPCError({ code: "UNAUTHORIZED", message: "a valid read token is required" }), LIVE_PROCEDURE, "subscription");
    const input = message.params?.input;
    const lastEventId = message.params?.lastEventId;
    const raw = lastEventId !== undefined && lastEventId !== null && input && typeof input === "object" ? { ...input, lastEventId } : input;
    const request = parseLiveRequest(raw, services.config.limits.maxPatterns);
    if (!request.ok) return sendError(id, new TRPCError({ code: "BAD_REQUEST", message: request.message }), LIVE_PROCEDURE, "subscription");
    let subscription;
    try {
      // Attached at once; the replay is written in the background (never before "started" goes out).
      subscription = services.hub.subscribe({ sink, encoder: wsFrameEncoder(id), patterns: request.input.series, aggregate: request.input.aggregate, address, lastEventId: request.input.lastEventId });
    } catch (error) {
      // Past a live pattern cap: TOO_MANY_REQUESTS naming it.
      return sendError(id, error, LIVE_PROCEDURE, "subscription");
    }
    send(wsStartedMessage(id));
    if (ws.readyState !== ws.OPEN) subscription.unsubscribe();
    else subscriptions.set(id, subscription.unsubscribe);
  }

  async function callProcedure(id: WsRequestId, message: WsClientMessage, context: Context) {
    const type = message.method as "query" | "mutation";
    const path = typeof message.params?.path === "string" ? message.params.path : "";
    // A long-poll holds an engine listener up to 60 s: it takes one of its address's poll slots, as over HTTP.
    const isPoll = path === POLL_PROCEDURE || path === HOSTS_POLL_PROCEDURE;
    if (isPoll && !options.pollWaiters.acquire(peerIp)) {
      return sendError(id, new TRPCError({ code: "TOO_MANY_REQUESTS", message: pollLimitMessage(services.config.limits.maxPollsPerIp) }), path, type);
    }
    callsInFlight++;
    const ended = options.trackCall();
    try {
      const data: unknown = await callTRPCProcedure({
        router: appRouter,
        path,
        getRawInput: async () => message.params?.input,
        ctx: context,
        type,
        signal: closed.signal,
        batchIndex: 0,
      });
      send(wsDataMessage(id, data));
    } catch (cause) {
      sendError(id, cause, path, type);
    } finally {
      callsInFlight--;
      if (isPoll) options.pollWaiters.release(peerIp);
      ended();
    }
  }

  /**
   * A subscription other than metrics.live (hosts.live): tRPC's own procedure call, its async generator
   * read here. Its events are few (one snapshot a second at most) but whole-fleet: the snapshot's JSON is
   * made once per publish and shared (`sharedJson`), only the small envelope is per subscription; `send`
   * still closes a peer that stops reading.
   */
  async function startProcedureSubscription(id: WsRequestId, message: WsClientMessage, context: Context, path: string) {
    if (subscriptions.has(id)) return sendError(id, new TRPCError({ code: "BAD_REQUEST", message: `Duplicate id ${id}` }), path, "subscription");
    const stopped = new AbortController();
    const stop = () => stopped.abort();
    subscriptions.set(id, stop);
    hostsLive.add(stop);
    const signal = AbortSignal.any([stopped.signal, closed.signal]);
    const input = message.params?.input;
    const lastEventId = message.params?.lastEventId;
    const raw = lastEventId !== undefined && lastEventId !== null && input && typeof input === "object" ? { ...input, lastEventId } : input;
    try {
      const result: unknown = await callTRPCProcedure({ router: appRouter, path, getRawInput: async () => raw, ctx: context, type: "subscription", signal, batchIndex: 0 });
      if (!isAsyncIterable(result)) throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: `${path} did not return an async iterable` });
      send(wsStartedMessage(id));
      for await (const value of result) {
        if (signal.aborted) break;
        // The feed hands every subscription the same snapshot object: its text is made once per publish.
        if (isTrackedEnvelope(value)) sendText(encodeWsTrackedEvent(id, value[0], sharedJson(value[1])));
        else send(wsDataMessage(id, value));
      }
      // The procedure ended on its own (the server is closing): tell the client, as tRPC does.
      if (!signal.aborted) send(wsStoppedMessage(id));
    } catch (cause) {
      if (!signal.aborted) sendError(id, cause, path, "subscription");
    } finally {
      hostsLive.delete(stop);
      if (subscriptions.get(id) === stop) subscriptions.delete(id);
    }
  }

  function dispatch(message: WsClientMessage, context: Context) {
    const { id, method } = message;
    if (id === null || id === undefined) return sendError(null, new TRPCError({ code: "PARSE_ERROR", message: "`id` is required" }));
    if (method === WS_METHOD.stop) {
      // Only a subscription that exists is confirmed: a stop for any other id costs nothing, not an answer.
      const stop = subscriptions.get(id);
      if (!stop) return;
      stop();
      subscriptions.delete(id);
      hostsLive.delete(stop);
      send(wsStoppedMessage(id));
      return;
    }
    if (method === WS_METHOD.subscription) {
      if (message.params?.path === HOSTS_LIVE_PROCEDURE) {
        if (overRequestLimit()) return refuseOverLimit(id, HOSTS_LIVE_PROCEDURE, "subscription");
        if (hostsLive.size >= MAX_HOSTS_LIVE_PER_WS) {
          const message = `at most ${MAX_HOSTS_LIVE_PER_WS} ${HOSTS_LIVE_PROCEDURE} subscriptions per WebSocket (one serves a page)`;
          return sendError(id, new TRPCError({ code: "TOO_MANY_REQUESTS", message }), HOSTS_LIVE_PROCEDURE, "subscription");
        }
        void startProcedureSubscription(id, message, context, HOSTS_LIVE_PROCEDURE);
        return;
      }
      if (message.params?.path !== LIVE_PROCEDURE) {
        return sendError(id, new TRPCError({ code: "NOT_FOUND", message: `no subscription "${String(message.params?.path)}" (only ${LIVE_PROCEDURE}, ${HOSTS_LIVE_PROCEDURE})` }), undefined, "subscription");
      }
      if (overRequestLimit()) return refuseOverLimit(id, LIVE_PROCEDURE, "subscription");
      void startLive(id, message, context).catch((cause: unknown) => sendError(id, cause, LIVE_PROCEDURE, "subscription"));
      return;
    }
    if (method === WS_METHOD.query || method === WS_METHOD.mutation) {
      if (overRequestLimit()) return refuseOverLimit(id, typeof message.params?.path === "string" ? message.params.path : undefined, method);
      void callProcedure(id, message, context);
      return;
    }
    sendError(id, new TRPCError({ code: "METHOD_NOT_SUPPORTED", message: `method "${method}" is not supported` }));
  }

  function onConnectionParams(data: unknown) {
    const params = data && typeof data === "object" ? (data as Record<string, unknown>) : {};
    const token = typeof params.token === "string" ? params.token : headerToken;
    const ticket = typeof params.ticket === "string" ? params.ticket : null;
    const context = authenticate({ token, ticket });
    const queued = waiting ?? [];
    waiting = null;
    for (const message of queued) dispatch(message, context);
  }

  ws.on("message", (data, isBinary) => {
    const nowMs = Date.now();
    if (nowMs - windowStartMs >= 1_000) {
      windowStartMs = nowMs;
      messagesInWindow = 0;
    }
    const overRate = (count: number) => {
      messagesInWindow += count;
      if (messagesInWindow <= maxPerSec) return false;
      sendError(null, new TRPCError({ code: "TOO_MANY_REQUESTS", message: `more than ${maxPerSec} messages per second (LIVEDASH_MAX_WS_MESSAGES_PER_SEC)` }));
      closePolicy("message rate limit");
      return true;
    };
    if (overRate(1)) return;
    // ws hands text frames over as one Buffer (binaryType "nodebuffer", fragments joined).
    const text = isBinary ? null : (data as Buffer).toString();
    if (text === WS_KEEPALIVE.ping) return void (ws.readyState === ws.OPEN && ws.send(WS_KEEPALIVE.pong));
    if (text === WS_KEEPALIVE.pong) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text ?? "");
    } catch {
      return sendError(null, new TRPCError({ code: "PARSE_ERROR", message: "message is not JSON (tRPC wsLink protocol expected)" }));
    }
    const messages = Array.isArray(parsed) ? parsed : [parsed];
    // Each request of an array is a message for the rate limit (the frame itself counted one above); an
    // array that alone passes a second's budget can never be within it and is refused before any runs.
    if (messages.length > maxPerSec) {
      sendError(null, new TRPCError({ code: "TOO_MANY_REQUESTS", message: `a frame holds at most ${maxPerSec} requests, this one ${messages.length} (LIVEDASH_MAX_WS_MESSAGES_PER_SEC)` }));
      closePolicy("too many requests in one frame");
      return;
    }
    if (overRate(messages.length - 1)) return;
    for (const element of messages) {
      // Cut mid-frame (refusals not read): the rest of the array is not worth an answer.
      if (ws.readyState !== ws.OPEN) return;
      const problem = clientMessageProblem(element);
      if (problem !== null) {
        sendError(null, new TRPCError({ code: "PARSE_ERROR", message: problem }));
        continue;
      }
      const message = element as WsClientMessage;
      if (message.method === WS_METHOD.connectionParams) onConnectionParams(message.data);
      else if (waiting) {
        if (waiting.length >= MAX_WAITING_MESSAGES) {
          sendError(null, new TRPCError({ code: "BAD_REQUEST", message: `connectionParams must be sent first (more than ${MAX_WAITING_MESSAGES} requests queued)` }));
          closePolicy("connectionParams missing");
          return;
        }
        waiting.push(message);
      }
      else if (ctx) dispatch(message, ctx);
    }
  });

  ws.on("close", () => {
    closed.abort();
    if (slowTimer) clearTimeout(slowTimer);
    if (closeTimer) clearTimeout(closeTimer);
    if (authTimer) clearTimeout(authTimer);
    stopTicketExpiry();
    for (const stop of subscriptions.values()) stop();
    subscriptions.clear();
    onClose();
  });
  ws.on("error", () => {
    // 'close' follows every 'error' in ws; cleanup happens there.
  });
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}
