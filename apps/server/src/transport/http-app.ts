import type { IncomingMessage, ServerResponse } from "node:http";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { appRouter } from "@livedash/api";
import { HOSTS_LIVE_PROCEDURE, HOSTS_POLL_PROCEDURE, LIVE_PROCEDURE, PLAIN_SSE_PATH, POLL_PROCEDURE, TRPC_PATH } from "@livedash/events";
import type { Services } from "../services";
import { ticketFromUrl, contextFromRequest, peerAddress, streamContextFromRequest } from "./auth";
import { handleCors } from "./cors";
import { createHostCheck, hostRefusedMessage } from "../security/host";
import type { ConnectionLimiter } from "../security/connection-limit";
import { pollLimitMessage } from "../security/connection-limit";
import { sendJson, sendJsonError } from "./http-errors";
import { INSUFFICIENT_STORAGE_STATUS, InsufficientStorage } from "../pipeline/ingest-service";
import { handleIngestJson, handleIngestLineProtocol } from "./ingest-http";
import { createOtlpMetricsHandler } from "./otlp-http";
import { handleAlertsList, handleAnnotations } from "./alerts-http";
import { handlePlainSse } from "./plain-sse";
import { handleRemoteWrite, RemoteWriteMetadata } from "./remote-write-http";
import { createSeriesKeyCache } from "../ingest/remote-write/decode";
import { renderPrometheus } from "./prometheus";
import { readSingleParams, TRPC_QUERY_PARAMS } from "./query-params";
import { createRequestIds } from "./request-id";
import type { SseStreams } from "./sse-streams";
import { handleTrpcSse } from "./trpc-sse";
import { trpcProcedurePath } from "./trpc-path";

interface Route {
  method: "GET" | "POST" | "GET, POST";
  handle: (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;
}

/** Every HTTP route of the one port. Transport only: procedures live in @livedash/api, metrics in the hub and store. */
export function createHttpApp(
  services: Services,
  streams: SseStreams,
  originAllowed: (origin: string | undefined) => boolean,
  startedAtMs: number,
  connections: { acquire(ip: string): boolean; release(ip: string): void },
  /** Long-polls waiting per address (LIVEDASH_MAX_POLLS_PER_IP), shared with the WebSocket side. */
  pollWaiters: ConnectionLimiter,
) {
  /**
   * Streams and ingest requests in flight (a body may trickle up to LIVEDASH_REQUEST_TIMEOUT_MS) count
   * against the same per-IP connection limit as WebSockets.
   */
  const limited = (handle: Route["handle"]): Route["handle"] => (req, res, url) => {
    const ip = peerAddress(req);
    if (!connections.acquire(ip)) return sendJsonError(res, 429, "too many connections from this address (LIVEDASH_MAX_CONNECTIONS_PER_IP)");
    res.once("close", () => connections.release(ip));
    return handle(req, res, url);
  };

  const requestIds = createRequestIds();
  const remoteWrite = { skipped: services.traffic.remoteWriteSkipped, keyCache: createSeriesKeyCache(), metadata: new RemoteWriteMetadata(services.config.limits.maxSeries) };
  const trpcHandler = createHTTPHandler({
    router: appRouter,
    basePath: `${TRPC_PATH}/`,
    maxBodySize: services.config.limits.maxBodyBytes,
    createContext: ({ req }) => contextFromRequest(services, req, ticketFromUrl(new URL(req.url ?? "/", "http://localhost"))),
    // metrics.ingest on a full disk: 507 like POST /api/ingest (tRPC has no error code for it).
    responseMeta: ({ errors }) => (errors.some((e) => e.cause instanceof InsufficientStorage) ? { status: INSUFFICIENT_STORAGE_STATUS } : {}),
    // One line per failed call. A bug (INTERNAL_SERVER_ERROR) is an error; a refused input is the
    // caller's business and only shows at debug.
    onError: ({ error, path, type, req }) => {
      const fields = { reqId: requestIds.of(req), path, type, code: error.code };
      if (error.code === "INTERNAL_SERVER_ERROR") services.log.error({ ...fields, err: error.cause ?? error }, "procedure failed");
      else services.log.debug({ ...fields, message: error.message }, "procedure refused");
    },
  });

  const hostAllowed = createHostCheck(services.config.allowedHosts);
  const { maxBatchSize, maxPollsPerIp } = services.config.limits;

  /**
   * Limits tRPC's HTTP handler does not name: batch size, long-polls per address (each poll of a batch
   * holds its own waiter, so each takes a slot). false: answered.
   */
  function admitTrpc(req: IncomingMessage, res: ServerResponse, url: URL, procedurePath: string | null): boolean {
    const procedures = procedurePath === null ? [] : procedurePath.split(",");
    const params = readSingleParams(url, TRPC_QUERY_PARAMS);
    if (!params.ok) {
      sendJsonError(res, 400, params.message, { code: -32600, data: { code: "BAD_REQUEST", httpStatus: 400 }, field: params.field });
      return false;
    }
    if (params.values.batch === "1" && procedures.length > maxBatchSize) {
      // tRPC's own envelope for a refused batch, so httpBatchLink reports it on every call of the batch.
      sendJsonError(res, 400, `batch of ${procedures.length} calls is over the limit of ${maxBatchSize} (LIVEDASH_MAX_BATCH_SIZE)`, {
        code: -32600,
        data: { code: "BAD_REQUEST", httpStatus: 400, limit: maxBatchSize },
      });
      return false;
    }
    const polls = procedures.filter((procedure) => procedure === POLL_PROCEDURE || procedure === HOSTS_POLL_PROCEDURE).length;
    if (polls > 0) {
      const ip = peerAddress(req);
      if (!pollWaiters.acquire(ip, polls)) {
        sendJsonError(res, 429, pollLimitMessage(maxPollsPerIp), {
          code: -32029,
          data: { code: "TOO_MANY_REQUESTS", httpStatus: 429, limit: maxPollsPerIp },
        });
        return false;
      }
      res.once("close", () => pollWaiters.release(ip, polls));
    }
    return true;
  }
  /** The engine's raw cause is logged when it changes, not once per health probe. */
  let loggedCause: string | undefined;
  const routes: Record<string, Route> = {
    "/healthz": {
      method: "GET",
      handle: (_req, res) => {
        const health = services.engine.health();
        if (health.cause !== loggedCause && health.cause !== undefined) services.log.warn({ cause: health.cause }, "engine not ready");
        loggedCause = health.cause;
        const info = services.info();
        sendJson(res, health.ready ? 200 : 503, {
          status: health.ready ? "ok" : "degraded",
          engine: health.engine,
          ready: health.ready,
          detail: health.detail,
          instanceId: info.instanceId,
          uptimeMs: Date.now() - startedAtMs,
        });
      },
    },
    "/metrics": {
      method: "GET",
      handle: (_req, res) => {
        // Rendered before the head is written, so a failure still gets a 500 instead of a cut body.
        const body = renderPrometheus(services, startedAtMs);
        res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
        res.end(body);
      },
    },
    [PLAIN_SSE_PATH]: { method: "GET", handle: limited((req, res, url) => handlePlainSse(req, res, url, services, streams)) },
    [`${TRPC_PATH}/${LIVE_PROCEDURE}`]: { method: "GET", handle: limited((req, res, url) => handleTrpcSse(req, res, url, services, streams)) },
    // tRPC's own SSE (httpSubscriptionLink's dialect), a stream held open: counted like the other streams.
    [`${TRPC_PATH}/${HOSTS_LIVE_PROCEDURE}`]: {
      method: "GET",
      handle: limited((req, res, url) => {
        streams.adopt(res, streamContextFromRequest(services, req, ticketFromUrl(url)).ticketExpiresAt);
        return trpcHandler(req, res);
      }),
    },
    "/api/ingest": { method: "POST", handle: limited((req, res) => handleIngestJson(req, res, services)) },
    "/api/write": { method: "POST", handle: limited((req, res, url) => handleIngestLineProtocol(req, res, url, services)) },
    "/v1/metrics": { method: "POST", handle: limited(createOtlpMetricsHandler(services)) },
    "/api/alerts": { method: "GET", handle: (req, res) => handleAlertsList(req, res, services) },
    "/api/annotations": { method: "GET, POST", handle: limited((req, res, url) => handleAnnotations(req, res, url, services)) },
    "/api/v1/write": { method: "POST", handle: limited((req, res) => handleRemoteWrite(req, res, services, remoteWrite)) },
  };

  return (req: IncomingMessage, res: ServerResponse) => {
    const reqId = requestIds.assign(req, res);
    // First of all: a DNS-rebound page must learn nothing, not even which routes exist.
    if (!hostAllowed(req.headers.host)) {
      return sendJsonError(res, 403, hostRefusedMessage(req.headers.host ?? "", services.config.allowedHosts ?? []), { field: "host" });
    }
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://localhost");
    } catch {
      return sendJsonError(res, 400, "malformed request URL");
    }
    if (!handleCors(req, res, originAllowed)) return;
    // A /trpc/ path is looked up as the procedure tRPC will resolve, so no spelling of metrics.live
    // reaches tRPC's own handler past the per-address stream limit.
    const procedurePath = trpcProcedurePath(url.pathname);
    const route = routes[procedurePath === null ? url.pathname : `${TRPC_PATH}/${procedurePath}`];
    if (route) {
      if (!route.method.split(", ").includes(req.method ?? "")) {
        res.setHeader("allow", route.method);
        return sendJsonError(res, 405, `${url.pathname} accepts ${route.method} only`);
      }
      const fail = (error: unknown) => {
        services.log.error({ reqId, method: req.method, path: url.pathname, err: error }, "request failed");
        sendJsonError(res, 500, "internal error");
      };
      // A handler may throw before its first await: that must answer 500, not escape the request
      // listener as an uncaught exception that ends the process.
      try {
        Promise.resolve(route.handle(req, res, url)).catch(fail);
      } catch (error) {
        fail(error);
      }
      return;
    }
    if (url.pathname.startsWith(`${TRPC_PATH}/`)) {
      if (admitTrpc(req, res, url, procedurePath)) trpcHandler(req, res);
      return;
    }
    if (url.pathname === "/") {
      return sendJson(res, 200, {
        name: "livedash",
        endpoints: ["/healthz", "/metrics", "/sse?series=<pattern,...>", "/trpc (HTTP + WebSocket)", "POST /api/ingest", "POST /api/write", "POST /api/v1/write", "GET /api/alerts", "GET|POST /api/annotations", "POST /v1/metrics"],
      });
    }
    sendJsonError(res, 404, `no route ${url.pathname}`);
  };
}
