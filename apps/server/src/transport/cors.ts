import type { IncomingMessage, ServerResponse } from "node:http";
import { sendJsonError } from "./http-errors";

const ALLOWED_HEADERS = "authorization, content-type, trpc-accept, x-trpc-source, last-event-id";

/**
 * CORS against the origin allow-list. A request without Origin (curl, Node) passes; a browser request
 * from an origin not on the list gets 403 here, before any handler runs. Returns false when answered.
 */
export function handleCors(req: IncomingMessage, res: ServerResponse, isAllowed: (origin: string | undefined) => boolean): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (!isAllowed(origin)) {
    sendJsonError(res, 403, `origin ${origin} is not allowed (LIVEDASH_ALLOWED_ORIGINS)`);
    return false;
  }
  res.setHeader("access-control-allow-origin", origin);
  res.setHeader("access-control-allow-credentials", "true");
  res.setHeader("vary", "Origin");
  if (req.method === "OPTIONS") {
    res.writeHead(204, {
      "access-control-allow-methods": "GET, POST, OPTIONS",
      "access-control-allow-headers": ALLOWED_HEADERS,
      "access-control-max-age": "600",
    });
    res.end();
    return false;
  }
  return true;
}
