import type { ServerResponse } from "node:http";

/** Writes a JSON answer; errors go through sendJsonError in ingest/read-body.ts. */
export function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}
