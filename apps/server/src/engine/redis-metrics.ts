import type { RedisEngineStats } from "./redis-engine";

export interface EngineMetric {
  readonly name: string;
  readonly type: "gauge" | "counter";
  readonly help: string;
  readonly value: number;
}

/** The redis engine's own series for /metrics; the Prometheus renderer formats them. */
export function redisEngineMetrics(stats: RedisEngineStats): EngineMetric[] {
  return [
    { name: "livedash_redis_up", type: "gauge", help: "1 while both Redis connections (command and reader) are ready.", value: stats.redisUp ? 1 : 0 },
    { name: "livedash_redis_published_total", type: "counter", help: "Batches this instance appended to the stream.", value: stats.published },
    { name: "livedash_redis_publish_errors_total", type: "counter", help: "Publishes refused because Redis was unavailable (ingest 503).", value: stats.publishErrors },
    { name: "livedash_redis_batches_read_total", type: "counter", help: "Batches this instance read from the stream and delivered.", value: stats.batchesRead },
    { name: "livedash_redis_points_read_total", type: "counter", help: "Points in the batches read from the stream.", value: stats.pointsRead },
    { name: "livedash_redis_undecodable_total", type: "counter", help: "Stream entries skipped because they were not Livedash batches.", value: stats.undecodable },
    { name: "livedash_redis_gaps_total", type: "counter", help: "Times the reader found a hole in the stream (Redis lost data, or trimming overtook it).", value: stats.gaps },
    { name: "livedash_redis_read_errors_total", type: "counter", help: "Failed stream reads (Redis unreachable); the reader retries.", value: stats.readErrors },
  ];
}
