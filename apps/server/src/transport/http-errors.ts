import type { ServerResponse } from "node:http";

/** Writes `{ "error": { "message", ...extra } }` with the status; sets Retry-After when given. */
export function sendJsonError(res: ServerResponse, status: number, message: string, extra: Record<string, unknown> = {}, retryAfterMs?: number) {
  if (res.headersSent) {
    res.end();
    return;
  }
  const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
  if (retryAfterMs !== undefined) headers["retry-after"] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  res.writeHead(status, headers);
  res.end(JSON.stringify({ error: { message, ...extra } }));
}

export function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}
