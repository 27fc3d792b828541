import type { ServerResponse } from "node:http";

/** Writes a JSON answer; errors go through sendJsonError below. */
export function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

/**
 * Answers with `{ "error": { "message", ...extra } }`. Sets `Retry-After` (whole seconds, at least 1)
 * when retryAfterMs is given (429, 503), and `Connection: close` on 413 (the body was left unread).
 * Safe to call when an answer has already started: the socket is then just closed.
 */
export function sendJsonError(
  res: ServerResponse,
  status: number,
  message: string,
  extra: Record<string, unknown> = {},
  retryAfterMs?: number,
): void {
  if (res.writableEnded) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const error: Record<string, unknown> = { ...extra, message };
  const headers: Record<string, string> = {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
  };
  if (retryAfterMs !== undefined) {
    headers["retry-after"] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
    error.retryAfterMs = Math.ceil(retryAfterMs);
  }
  if (status === 413) headers.connection = "close";
  const body = JSON.stringify({ error });
  headers["content-length"] = String(Buffer.byteLength(body));
  res.writeHead(status, headers);
  res.end(body);
}
