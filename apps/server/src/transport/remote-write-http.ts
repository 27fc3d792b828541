import type { IncomingMessage, ServerResponse } from "node:http";
import { decodeWriteRequest } from "../ingest/remote-write/decode";
import type { RemoteWriteSkipped, SeriesKeyCache } from "../ingest/remote-write/decode";
import type { FamilyMetadata } from "../ingest/remote-write/metadata";
import { MetaMemo } from "../ingest/meta-memo";
import { prometheusMeta } from "../ingest/prometheus-meta";
import type { Point, SeriesMeta } from "@livedash/events";
import { decompressSnappyBlock } from "../ingest/remote-write/snappy-block";
import { HttpError } from "../ingest/read-body";
import { summarizeErrors } from "../ingest/result";
import type { Services } from "../services";
import { sendJsonError } from "./http-errors";
import { readRequestBytes, requireIngest, sendIngestRefusal } from "./ingest-http";

/** What the route keeps between requests: the skip counters (/metrics), the series-key cache, the metadata. */
export interface RemoteWriteReceiver {
  readonly skipped: RemoteWriteSkipped;
  readonly keyCache: SeriesKeyCache;
  readonly metadata: RemoteWriteMetadata;
}

/**
 * The metric metadata a sender sent (Prometheus sends every family's TYPE/HELP/UNIT every minute, in
 * requests of their own), applied to the series names of later sample requests; bounded by
 * `maxFamilies` (past it the map starts over and fills again with the next metadata send).
 */
export class RemoteWriteMetadata {
  private families = new Map<string, FamilyMetadata>();
  readonly described: MetaMemo;

  constructor(private readonly maxFamilies = 10_000) {
    this.described = new MetaMemo(maxFamilies);
  }

  learn(entries: readonly FamilyMetadata[]): void {
    for (const entry of entries) {
      if (this.families.size >= this.maxFamilies && !this.families.has(entry.family)) this.families = new Map();
      this.families.set(entry.family, entry);
    }
  }

  /** Descriptions of the metric names of `points` that changed since they were last applied. */
  changedFor(points: readonly Point[]): SeriesMeta[] {
    if (this.families.size === 0) return [];
    const names = new Set<string>();
    let previous: string | undefined;
    for (const point of points) {
      // A sender writes a series' samples together: one name per series, not per sample.
      if (point.series === previous) continue;
      previous = point.series;
      const brace = point.series.indexOf("{");
      names.add(brace === -1 ? point.series : point.series.slice(0, brace));
    }
    return this.described.changed(prometheusMeta(names, (name) => this.families.get(name)));
  }
}

/** The one message remote_write 1.0 sends; a 2.0 sender names its own (`io.prometheus.write.v2.Request`). */
const V1_PROTO = "prometheus.WriteRequest";

/**
 * Why the Content-Type is refused, or null. Remote-write 2.0 senders send
 * `application/x-protobuf;proto=io.prometheus.write.v2.Request` and fall back to 1.0 on a 415.
 */
function contentTypeProblem(header: string | undefined): string | null {
  if (header === undefined || header.trim() === "") return null;
  const [mediaType, ...params] = header.split(";").map((part) => part.trim());
  if (mediaType?.toLowerCase() !== "application/x-protobuf") return `Content-Type must be application/x-protobuf (remote_write 1.0), got '${header.slice(0, 100)}'`;
  for (const param of params) {
    const [name, value] = param.split("=").map((part) => part.trim());
    if (name?.toLowerCase() === "proto" && value !== V1_PROTO) return `only remote_write 1.0 (proto=${V1_PROTO}) is supported, got proto=${value ?? ""}`;
  }
  return null;
}

/**
 * `POST /api/v1/write`: Prometheus remote_write 1.0 (snappy block-compressed protobuf WriteRequest).
 * The status codes follow the spec's retry rules: 204 once every point is accepted; 4xx for what a
 * retry cannot fix (Prometheus drops the batch: bad data 400, too large 413, unsupported 415); 429
 * with Retry-After at the rate limit; 5xx (503 engine down, 507 disk full) for what a retry can fix.
 */
export async function handleRemoteWrite(req: IncomingMessage, res: ServerResponse, services: Services, receiver: RemoteWriteReceiver) {
  const clientKey = requireIngest(req, res, services);
  if (clientKey === null) return;
  const typeProblem = contentTypeProblem(req.headers["content-type"]);
  if (typeProblem) return sendJsonError(res, 415, typeProblem, { field: "content-type" });
  const encoding = (req.headers["content-encoding"] ?? "").trim().toLowerCase();
  if (encoding !== "snappy") {
    return sendJsonError(res, 415, `Content-Encoding must be snappy (remote_write 1.0), got '${encoding.slice(0, 40) || "none"}'`, { field: "content-encoding" });
  }
  const compressed = await readRequestBytes(req, res, services, { decodeContent: false });
  if (compressed === null) return;
  const { maxBodyBytes } = services.config.limits;
  let body: Buffer;
  try {
    body = decompressSnappyBlock(compressed, maxBodyBytes);
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    return sendJsonError(res, error.status, error.message, error.extra);
  }
  const decoded = decodeWriteRequest(body, {
    nowMs: Date.now(),
    maxFutureMs: services.ingest.limits.maxFutureMs,
    stopAfterPoints: services.ingest.limits.maxPointsPerRequest,
    keyCache: receiver.keyCache,
  });
  if (!decoded.ok) {
    return sendJsonError(res, 400, summarizeErrors(decoded.errors, decoded.truncated, "series"), { errors: decoded.errors, truncated: decoded.truncated });
  }
  receiver.metadata.learn(decoded.metadata);
  const meta = receiver.metadata.changedFor(decoded.points);
  try {
    await services.ingest.acceptValidated(decoded.points, meta, clientKey, decoded.more);
    receiver.metadata.described.remember(meta);
  } catch (error) {
    if (!sendIngestRefusal(res, error)) throw error;
    return;
  }
  // Counted once the request is accepted: a refused request (retried by the sender) would count twice.
  const { skipped } = receiver;
  for (const reason of Object.keys(skipped) as (keyof RemoteWriteSkipped)[]) skipped[reason] += decoded.skipped[reason];
  res.writeHead(204);
  res.end();
}
