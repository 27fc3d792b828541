import type { ApiServices } from "@livedash/api";
import type { Alerts } from "./alerts";
import type { LivedashConfig } from "./config";
import type { Batcher } from "./engine/batcher";
import type { Engine } from "./engine/types";
import type { RemoteWriteSkipped } from "./ingest/remote-write/decode";
import type { EngineMetric } from "./engine/redis-metrics";
import type { LivePath } from "./live/live-path";
import type { Logger } from "./logger";
import type { IngestService } from "./pipeline/ingest-service";
import type { IngestSources } from "./security/ingest-sources";
import type { LineHeadCache } from "./ingest/line-heads";
import type { Storage } from "./store/create-storage";
import type { SeriesStore } from "./store/types";

/** Live counters of open connections per transport; the self collector and /metrics read them. */
export interface TrafficCounters {
  ws: number;
  sse: number;
  trpcSse: number;
  polls: number;
  /** HTTP writes (POST) being answered; shutdown waits for them. */
  writes: number;
  pointsIn: number;
  /** What POST /api/v1/write accepted requests left out, by reason (NaN, staleness markers, ...). */
  remoteWriteSkipped: RemoteWriteSkipped;
}

/**
 * Everything a procedure or transport handler may use, built once by createServer(). It is the
 * router's ApiServices (what @livedash/api needs) plus what only the transports use.
 */
export interface Services extends ApiServices {
  readonly config: LivedashConfig;
  readonly engine: Engine;
  readonly store: SeriesStore;
  /** Which store runs (disk or memory) and, for disk, its file and stats. */
  readonly storage: Storage;
  /** The one live path every transport subscribes to (ApiServices' `live` is its in-process face). */
  readonly hub: LivePath;
  readonly batcher: Batcher;
  /** Alert rules, their evaluation, silences, notifications and annotations (alerts/). */
  readonly alerts: Alerts;
  readonly ingest: IngestService;
  /** Ingest rate keys per source: socket address and declared host, bounded (security/ingest-sources.ts). */
  readonly ingestSources: IngestSources;
  /** Line-protocol heads already mapped to series keys, shared by every POST /api/write (bounded). */
  readonly lineHeads: LineHeadCache;
  /** `expiresAt`: when a valid ticket expires (epoch ms), null when it is not valid. */
  readonly tickets: { issue(): { ticket: string; expiresAt: number }; expiresAt(ticket: string): number | null };
  readonly traffic: TrafficCounters;
  /** The server's logger (LIVEDASH_LOG); transports log request errors here with their request id. */
  readonly log: Logger;
  /** Engine-specific series for /metrics (Redis connectivity and stream stats). */
  engineMetrics(): EngineMetric[];
}
