import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import type { Socket } from "node:net";
import { LIMIT_DEFAULTS, TRPC_PATH, WS_CLOSE, WS_RECONNECT_NOTICE } from "@livedash/events";
import { WebSocketServer } from "ws";
import type { WebSocket } from "ws";
import { createHostCheck, hostRefusedMessage } from "../security/host";
import type { Services } from "../services";
import { peerAddress } from "./auth";
import { createInFlight } from "./in-flight";
import { serveWsConnection } from "./ws-connection";
import type { ConnectionLimiter } from "../security/connection-limit";
import { readSingleParams } from "./query-params";

export interface WsServerOptions {
  /**
   * Largest message a client may send; ws closes the connection (WS_CLOSE.messageTooBig, 1009) past it.
   * @default 1_048_576
   */
  maxPayloadBytes?: number;
  /**
   * Interval of server pings.
   * @default 15_000
   */
  pingIntervalMs?: number;
  /**
   * A peer that has not answered a ping within this long is terminated and its subscriptions freed.
   * With the defaults a peer that stops answering is gone at most 25 s after its last pong.
   * @default 10_000
   */
  pongTimeoutMs?: number;
  /**
   * Answer bytes (query results, refusals, `stopped`) a client may leave unread before its socket is closed
   * as a slow consumer (WS_CLOSE.slowConsumer, 4008), as live subscribers are past the hub's hard cap.
   * @default 8_388_608
   */
  maxUnreadReplyBytes?: number;
  /**
   * With tokens configured, a socket whose credentials (Authorization header or connectionParams) grant
   * nothing by then is closed 1008, naming the deadline.
   * @default 10_000
   */
  authTimeoutMs?: number;
}

interface Gate {
  originAllowed: (origin: string | undefined) => boolean;
  acquireConnection: (ip: string) => boolean;
  releaseConnection: (ip: string) => void;
  /** Long-polls waiting per address, shared with HTTP (LIVEDASH_MAX_POLLS_PER_IP). */
  pollWaiters: ConnectionLimiter;
}

function refuse(socket: Duplex, status: number, reason: string, message: string) {
  const body = JSON.stringify({ error: { message } });
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

/**
 * The WebSocket side of the one port: checks path, Origin and the per-IP connection limit during
 * the HTTP upgrade (a refused handshake never gets its 101), then serves tRPC's wsLink protocol.
 */
export function attachWsServer(server: Server, services: Services, gate: Gate, options: WsServerOptions = {}) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes ?? LIMIT_DEFAULTS.maxWsMessageBytes, perMessageDeflate: false, clientTracking: true });
  // Sockets pinged and not heard back from since; a socket leaves on pong or close.
  const unanswered = new Set<WebSocket>();
  // Queries and mutations running on any socket: shutdown sends their answers before the close frames.
  const calls = createInFlight();

  const connectionOptions = {
    maxUnreadReplyBytes: options.maxUnreadReplyBytes ?? 8_388_608,
    authTimeoutMs: options.authTimeoutMs ?? 10_000,
    pollWaiters: gate.pollWaiters,
    trackCall: calls.start,
  };
  const hostAllowed = createHostCheck(services.config.allowedHosts);
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // HTTP/1.1 without Host is refused by Node's parser for plain requests but not for upgrades.
    if (services.config.allowedHosts !== null && !req.headers.host) return refuse(socket, 400, "Bad Request", "a Host header is required (LIVEDASH_ALLOWED_HOSTS is on)");
    if (!hostAllowed(req.headers.host)) return refuse(socket, 403, "Forbidden", hostRefusedMessage(req.headers.host ?? "", services.config.allowedHosts ?? []));
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== TRPC_PATH && url.pathname !== `${TRPC_PATH}/`) return refuse(socket, 404, "Not Found", `no WebSocket endpoint at ${url.pathname} (use ${TRPC_PATH})`);
    const params = readSingleParams(url, ["connectionParams"]);
    if (!params.ok) return refuse(socket, 400, "Bad Request", params.message);
    if (!gate.originAllowed(req.headers.origin)) return refuse(socket, 403, "Forbidden", `origin ${req.headers.origin} is not allowed (LIVEDASH_ALLOWED_ORIGINS)`);
    const ip = peerAddress(req);
    if (!gate.acquireConnection(ip)) return refuse(socket, 429, "Too Many Requests", "too many connections from this address (LIVEDASH_MAX_CONNECTIONS_PER_IP)");
    wss.handleUpgrade(req, socket, head, (ws) => {
      services.traffic.ws++;
      ws.on("pong", () => unanswered.delete(ws));
      ws.on("close", () => unanswered.delete(ws));
      (socket as Socket).setNoDelay(true);
      serveWsConnection(ws, socket as Socket, req, url, services, connectionOptions, () => {
        services.traffic.ws--;
        gate.releaseConnection(ip);
      });
    });
  };
  server.on("upgrade", onUpgrade);

  // A peer that stopped reading still has its TCP connection ACKed by its kernel: only a missing pong
  // tells it apart. Terminating it frees the socket, its buffers and its hub subscriptions.
  const dropUnanswered = () => {
    for (const ws of unanswered) ws.terminate();
    unanswered.clear();
  };
  let pongDeadline: NodeJS.Timeout | undefined;
  const pinger = setInterval(() => {
    // Normally empty here: the deadline already ran (it only has work left when pongTimeoutMs >= the interval).
    dropUnanswered();
    for (const ws of wss.clients) {
      unanswered.add(ws);
      ws.ping();
    }
    clearTimeout(pongDeadline);
    pongDeadline = setTimeout(dropUnanswered, options.pongTimeoutMs ?? 10_000);
    pongDeadline.unref();
  }, options.pingIntervalMs ?? 15_000);
  pinger.unref();

  return {
    /**
     * Shutdown: let the calls in flight send their answers (long-polls are answered once the live path
     * closed; at most graceMs), ask every client to reconnect (tRPC's notification), send close frames,
     * and cut the sockets that have not completed the close handshake after another graceMs (ws itself
     * would wait 30 s).
     */
    async close(graceMs = 1_000) {
      clearInterval(pinger);
      clearTimeout(pongDeadline);
      server.off("upgrade", onUpgrade);
      await calls.idle(graceMs);
      const notice = JSON.stringify(WS_RECONNECT_NOTICE);
      for (const ws of wss.clients) {
        if (ws.readyState === ws.OPEN) ws.send(notice);
        ws.close(WS_CLOSE.serviceRestart, "server restarting");
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        wss.close(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      for (const ws of wss.clients) ws.terminate();
    },
  };
}
