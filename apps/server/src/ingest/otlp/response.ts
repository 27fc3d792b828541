import type { ServerResponse } from "node:http";
import { encodeProtobufResponse, encodeProtobufStatus } from "./decode-proto";

/** The two OTLP/HTTP encodings; an answer is always in the request's. */
export type OtlpFormat = "protobuf" | "json";

const CONTENT_TYPES: Record<OtlpFormat, string> = { protobuf: "application/x-protobuf", json: "application/json" };

/** `application/x-protobuf` (or `application/protobuf`) and `application/json`, parameters ignored; else null. */
export function formatOf(contentType: string | undefined): OtlpFormat | null {
  const type = (contentType ?? "").split(";", 1)[0]!.trim().toLowerCase();
  if (type === "application/x-protobuf" || type === "application/protobuf") return "protobuf";
  if (type === "application/json") return "json";
  return null;
}

/** google.rpc.Code for an HTTP status, for the Status body of an error answer. */
function grpcCode(status: number): number {
  switch (status) {
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 413:
    case 429:
    case 507:
      return 8; // RESOURCE_EXHAUSTED
    case 503:
      return 14; // UNAVAILABLE
    default:
      return status >= 500 ? 13 /* INTERNAL */ : 3 /* INVALID_ARGUMENT */;
  }
}

function send(res: ServerResponse, status: number, format: OtlpFormat, body: Uint8Array | string, extra: Record<string, string> = {}): void {
  if (res.writableEnded) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  res.writeHead(status, {
    "content-type": CONTENT_TYPES[format],
    "cache-control": "no-store",
    "content-length": String(bytes.byteLength),
    ...extra,
  });
  res.end(bytes);
}

/** 200 with an ExportMetricsServiceResponse; `partial` set when data points were rejected or a warning is due. */
export function sendExportResponse(res: ServerResponse, format: OtlpFormat, partial: { rejectedDataPoints: number; errorMessage: string } | null): void {
  if (format === "protobuf") return send(res, 200, format, encodeProtobufResponse(partial));
  // proto3 JSON: int64 as a decimal string; full success is the empty message.
  const body = partial ? { partialSuccess: { rejectedDataPoints: String(partial.rejectedDataPoints), errorMessage: partial.errorMessage } } : {};
  send(res, 200, format, JSON.stringify(body));
}

/**
 * A 4xx/5xx answer as OTLP/HTTP wants it: a google.rpc.Status in the request's encoding. Retryable
 * answers (429, 503) carry `Retry-After` in whole seconds; a 413 closes the connection (the rest of
 * the body was left unread).
 */
export function sendStatus(res: ServerResponse, status: number, format: OtlpFormat, message: string, retryAfterMs?: number): void {
  const code = grpcCode(status);
  const extra: Record<string, string> = {};
  if (retryAfterMs !== undefined) extra["retry-after"] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  if (status === 413) extra.connection = "close";
  send(res, status, format, format === "protobuf" ? encodeProtobufStatus(code, message) : JSON.stringify({ code, message }), extra);
}
