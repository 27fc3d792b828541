import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { callTRPCProcedure, getTRPCErrorFromUnknown, getTRPCErrorShape, TRPCError } from "@trpc/server";
import type { WebSocket } from "ws";
import { wsFrameEncoder } from "../live/frames";
import type { Sink } from "../live/types";
import { appRouter } from "@livedash/api";
import type { Context } from "@livedash/api";
import type { Services } from "../services";
import { authorize, peerAddress } from "./auth";
import { extractBearer } from "../security/tokens";
import { parseLiveRequest } from "./live-request";
import { LIVE_PATH } from "./trpc-sse";

/** Close code for a consumer that stayed too slow; the client reconnects and resumes by id. */
export const WS_CLOSE_SLOW_CONSUMER = 4008;
/** Close code for a connection that broke the protocol or its message rate limit. */
export const WS_CLOSE_POLICY = 1008;

/** Requests a connection may queue while its connectionParams have not arrived yet. */
const MAX_WAITING_MESSAGES = 100;

type RequestId = number | string;

interface ClientMessage {
  id: RequestId | null;
  method: string;
  params?: { path?: unknown; input?: unknown; lastEventId?: unknown };
  data?: unknown;
}

function isClientMessage(value: unknown): value is ClientMessage {
  if (!value || typeof value !== "object") return false;
  const m = value as Record<string, unknown>;
  return typeof m.method === "string" && (m.id === undefined || m.id === null || typeof m.id === "number" || typeof m.id === "string");
}

/**
 * One WebSocket speaking tRPC's wsLink protocol (JSON-RPC-like messages, `PING`/`PONG` keep-alive,
 * `connectionParams` first when the URL says `?connectionParams=1`). `metrics.live` runs on the live path's
 * shared-frame path; queries and mutations go through tRPC's own procedure caller.
 */
export function serveWsConnection(ws: WebSocket, socket: Socket, req: IncomingMessage, url: URL, services: Services, onClose: () => void) {
  const subscriptions = new Map<RequestId, () => void>();
  const clientKey = `ip:${peerAddress(req)}`;
  const headerToken = extractBearer(req.headers.authorization);
  let ctx: Context | null = null;
  // Until connectionParams arrive, requests wait here (bounded by the message rate limit).
  let waiting: ClientMessage[] | null = null;
  if (url.searchParams.get("connectionParams") === "1") waiting = [];
  else ctx = { auth: authorize(services, { token: headerToken }), clientKey, services };

  const maxPerSec = services.config.limits.maxWsMessagesPerSec;
  let windowStartMs = Date.now();
  let messagesInWindow = 0;
  let slowTimer: NodeJS.Timeout | null = null;

  const send = (message: unknown) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };
  const sendError = (id: RequestId | null, cause: unknown, path?: string, type: "query" | "mutation" | "subscription" | "unknown" = "unknown") => {
    const error = getTRPCErrorFromUnknown(cause);
    const shape = getTRPCErrorShape({ config: appRouter._def._config, error, type, path, input: undefined, ctx: ctx ?? undefined });
    send({ id, error: shape });
  };

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
      ws.close(WS_CLOSE_SLOW_CONSUMER, "slow consumer: resume with lastEventId");
      // The close frame queues behind what the peer has not read, so only a peer that reads again sees
      // 4008; one that never does is dropped after this grace period (its client sees 1006).
      slowTimer = setTimeout(() => ws.terminate(), 10_000);
    },
    onDrain(listener) {
      socket.on("drain", listener);
      return () => socket.off("drain", listener);
    },
  };

  async function startLive(message: ClientMessage, context: Context) {
    const id = message.id!;
    if (subscriptions.has(id)) return sendError(id, new TRPCError({ code: "BAD_REQUEST", message: `Duplicate id ${id}` }), LIVE_PATH, "subscription");
    if (!context.auth.read) return sendError(id, new TRPCError({ code: "UNAUTHORIZED", message: "a valid read token is required" }), LIVE_PATH, "subscription");
    const input = message.params?.input;
    const lastEventId = message.params?.lastEventId;
    const raw = lastEventId !== undefined && lastEventId !== null && input && typeof input === "object" ? { ...input, lastEventId } : input;
    const request = parseLiveRequest(raw, services.config.limits.maxPatterns);
    if (!request.ok) return sendError(id, new TRPCError({ code: "BAD_REQUEST", message: request.message }), LIVE_PATH, "subscription");
    send({ id, result: { type: "started" } });
    // Attached at once; the replay is written in the background, under the socket's backpressure.
    const subscription = services.hub.subscribe({ sink, encoder: wsFrameEncoder(id), patterns: request.input.series, lastEventId: request.input.lastEventId });
    if (ws.readyState !== ws.OPEN) subscription.unsubscribe();
    else subscriptions.set(id, subscription.unsubscribe);
  }

  async function callProcedure(message: ClientMessage, context: Context) {
    const { id } = message;
    const type = message.method as "query" | "mutation";
    const path = typeof message.params?.path === "string" ? message.params.path : "";
    try {
      const data = await callTRPCProcedure({
        router: appRouter,
        path,
        getRawInput: async () => message.params?.input,
        ctx: context,
        type,
        signal: undefined,
        batchIndex: 0,
      });
      send({ id, result: { type: "data", data } });
    } catch (cause) {
      sendError(id, cause, path, type);
    }
  }

  function dispatch(message: ClientMessage, context: Context) {
    const { id, method } = message;
    if (id === null || id === undefined) return sendError(null, new TRPCError({ code: "PARSE_ERROR", message: "`id` is required" }));
    if (method === "subscription.stop") {
      subscriptions.get(id)?.();
      subscriptions.delete(id);
      send({ id, result: { type: "stopped" } });
      return;
    }
    if (method === "subscription") {
      if (message.params?.path !== LIVE_PATH) {
        return sendError(id, new TRPCError({ code: "NOT_FOUND", message: `no subscription "${String(message.params?.path)}" (only ${LIVE_PATH})` }), undefined, "subscription");
      }
      void startLive(message, context).catch((cause: unknown) => sendError(id, cause, LIVE_PATH, "subscription"));
      return;
    }
    if (method === "query" || method === "mutation") {
      void callProcedure(message, context);
      return;
    }
    sendError(id, new TRPCError({ code: "METHOD_NOT_SUPPORTED", message: `method "${method}" is not supported` }));
  }

  function onConnectionParams(data: unknown) {
    const params = data && typeof data === "object" ? (data as Record<string, unknown>) : {};
    const token = typeof params.token === "string" ? params.token : headerToken;
    const ticket = typeof params.ticket === "string" ? params.ticket : null;
    ctx = { auth: authorize(services, { token, ticket }), clientKey, services };
    const queued = waiting ?? [];
    waiting = null;
    for (const message of queued) dispatch(message, ctx);
  }

  ws.on("message", (data, isBinary) => {
    const nowMs = Date.now();
    if (nowMs - windowStartMs >= 1_000) {
      windowStartMs = nowMs;
      messagesInWindow = 0;
    }
    if (++messagesInWindow > maxPerSec) {
      sendError(null, new TRPCError({ code: "TOO_MANY_REQUESTS", message: `more than ${maxPerSec} messages per second (LIVEDASH_MAX_WS_MESSAGES_PER_SEC)` }));
      ws.close(WS_CLOSE_POLICY, "message rate limit");
      return;
    }
    const text = isBinary ? null : data.toString();
    if (text === "PING") return void (ws.readyState === ws.OPEN && ws.send("PONG"));
    if (text === "PONG") return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text ?? "");
    } catch {
      return sendError(null, new TRPCError({ code: "PARSE_ERROR", message: "message is not JSON (tRPC wsLink protocol expected)" }));
    }
    const messages = Array.isArray(parsed) ? parsed : [parsed];
    for (const message of messages) {
      if (!isClientMessage(message)) {
        sendError(null, new TRPCError({ code: "PARSE_ERROR", message: "message must be an object with a string `method` and an `id`" }));
        continue;
      }
      if (message.method === "connectionParams") onConnectionParams(message.data);
      else if (waiting) {
        if (waiting.length >= MAX_WAITING_MESSAGES) {
          sendError(null, new TRPCError({ code: "BAD_REQUEST", message: `connectionParams must be sent first (more than ${MAX_WAITING_MESSAGES} requests queued)` }));
          ws.close(WS_CLOSE_POLICY, "connectionParams missing");
          return;
        }
        waiting.push(message);
      }
      else if (ctx) dispatch(message, ctx);
    }
  });

  ws.on("close", () => {
    if (slowTimer) clearTimeout(slowTimer);
    for (const stop of subscriptions.values()) stop();
    subscriptions.clear();
    onClose();
  });
  ws.on("error", () => {
    // 'close' follows every 'error' in ws; cleanup happens there.
  });
}
