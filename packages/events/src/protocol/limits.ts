/** Hard ceilings of the schemas; the server enforces its own (tunable, lower) limits on top. */
export const WIRE_LIMITS = {
  patternsPerSubscription: 1000,
  seriesPerHistoryQuery: 1000,
  maxHistoryPoints: 10_000,
  maxPollWaitMs: 60_000,
  pointsPerIngest: 100_000,
} as const;

/**
 * Defaults of the server's limits (each tunable by the environment variable named beside it). Clients,
 * probes and benchmarks read them here to stay under them; the server's config takes them as fallbacks.
 */
export const LIMIT_DEFAULTS = {
  /** Bytes of one ingest body. LIVEDASH_MAX_BODY_BYTES. */
  maxBodyBytes: 1_048_576,
  /** Bytes of one message a client sends over WebSocket (the server closes with 1009 past it). */
  maxWsMessageBytes: 1_048_576,
  /** Points in one ingest request, whatever its format. LIVEDASH_MAX_POINTS_PER_REQUEST. */
  maxPointsPerRequest: 10_000,
  /** Distinct series the server holds. LIVEDASH_MAX_SERIES. */
  maxSeries: 10_000,
  /** Points per second one writer may ingest. LIVEDASH_INGEST_RATE. */
  ingestPointsPerSec: 100_000,
  /**
   * Open connections (WebSocket, SSE streams, ingest requests in flight) from one address, well under
   * a process's usual file-descriptor limit so one address cannot take them all. LIVEDASH_MAX_CONNECTIONS_PER_IP.
   */
  maxConnectionsPerIp: 1_000,
  /**
   * Points one metrics.history query may ask for, counted as series × maxPoints (the most it can
   * answer). The dashboard asks at most 200 series × 1000 points per request. LIVEDASH_MAX_HISTORY_POINTS.
   */
  maxHistoryPointsPerQuery: 200_000,
  /** Series patterns in one subscription or poll. LIVEDASH_MAX_PATTERNS. */
  maxPatterns: 256,
  /** Messages per second one WebSocket may send. LIVEDASH_MAX_WS_MESSAGES_PER_SEC. */
  maxWsMessagesPerSec: 200,
  /** How far ahead of the server's clock a point's timestamp may lie. */
  maxFutureMs: 5 * 60_000,
} as const;
