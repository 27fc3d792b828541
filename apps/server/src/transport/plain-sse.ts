import type { IncomingMessage, ServerResponse } from "node:http";
import { parseAggregateParams, splitSelectorList } from "@livedash/events";
import { plainSseFrameEncoder } from "../live/frames";
import type { Services } from "../services";
import { TRPCError } from "@trpc/server";
import { authorizeStream, peerAddress } from "./auth";
import { extractBearer } from "../security/tokens";
import { sendJsonError } from "./http-errors";
import { parseLiveRequest } from "./live-request";
import { readSingleParams } from "./query-params";
import type { SseStreams } from "./sse-streams";
import { addressKey } from "../security/address-key";

const PARAMS = ["series", "ticket", "lastEventId", "aggregate", "by"] as const;

/**
 * `GET /sse?series=host.cpu.*,process.*[&aggregate=sum&by=host]` for a bare `new EventSource()` or `curl -N`: named events
 * (`points`, `reset`), an `id:` on each, `retry:`, Last-Event-ID resume and comment heartbeats.
 * `series` is a selector list split on the commas outside braces and quotes
 * (`series=host.cpu.*{host="web1",cpu!="0"},process.*`).
 */
export async function handlePlainSse(req: IncomingMessage, res: ServerResponse, url: URL, services: Services, streams: SseStreams) {
  const params = readSingleParams(url, PARAMS, { onlyThese: true });
  if (!params.ok) {
    sendJsonError(res, 400, params.message, { field: params.field });
    return;
  }
  const { series: seriesParam, ticket, by } = params.values;
  if (seriesParam === null) {
    sendJsonError(res, 400, "series: required, e.g. /sse?series=host.cpu.*,process.rss_bytes", { field: "series" });
    return;
  }
  // `aggregate=sum&by=host,cpu` (docs/aggregation.md); each problem names its parameter.
  const aggregate = parseAggregateParams(params.values.aggregate, by);
  if (!aggregate.ok) {
    sendJsonError(res, 400, aggregate.message, { field: aggregate.field });
    return;
  }
  const lastEventId = headerValue(req.headers["last-event-id"]) ?? params.values.lastEventId;
  const request = parseLiveRequest({ series: splitSelectorList(seriesParam), lastEventId: lastEventId || undefined, aggregate: aggregate.value }, services.config.limits.maxPatterns);
  if (!request.ok) {
    sendJsonError(res, 400, request.message, { field: request.message.split(":")[0] });
    return;
  }
  const { auth, ticketExpiresAt } = authorizeStream(services, { token: extractBearer(req.headers.authorization), ticket });
  if (!auth.read) {
    sendJsonError(res, 401, "a valid read token (Authorization: Bearer) or ticket (?ticket= from auth.ticket) is required");
    return;
  }
  const address = addressKey(peerAddress(req));
  try {
    services.hub.checkPatterns(request.input.series, address, request.input.aggregate);
  } catch (error) {
    if (!(error instanceof TRPCError)) throw error;
    sendJsonError(res, 429, error.message, { field: error.message.startsWith("aggregate:") ? "aggregate" : "series" });
    return;
  }
  let unsubscribe: (() => void) | null = null;
  services.traffic.sse++;
  const sink = streams.open(req, res, {
    transport: "sse",
    preamble: `retry: 2000\n: livedash ${services.info().instanceId}\n\n`,
    heartbeat: ": ping\n\n",
    ticketExpiresAt,
    onClose: () => {
      services.traffic.sse--;
      unsubscribe?.();
      unsubscribe = null;
    },
  });
  const subscription = services.hub.subscribe({ sink, encoder: plainSseFrameEncoder, patterns: request.input.series, aggregate: request.input.aggregate, address, lastEventId: request.input.lastEventId });
  if (res.destroyed || res.writableEnded) subscription.unsubscribe();
  else unsubscribe = subscription.unsubscribe;
}

export function headerValue(value: string | string[] | undefined): string | null {
  if (Array.isArray(value)) return value[0] ?? null;
  return value ?? null;
}
