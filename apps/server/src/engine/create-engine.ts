import type { LivedashConfig } from "../config";
import type { Logger } from "../logger";
import type { EngineMetric } from "./redis-metrics";
import { redisEngineMetrics } from "./redis-metrics";
import { createMemoryEngine } from "./memory-engine";
import type { PersistedIds } from "./memory-engine";
import { createRedisEngine } from "./redis-engine";
import type { StreamGapReason } from "./redis-engine";
import type { Batch, Engine } from "./types";

export interface EngineRuntime {
  readonly engine: Engine;
  /** Starts delivery (the redis warm-up, then live); call once every onBatch listener is registered. */
  start(): Promise<void>;
  /** Lost batches this instance cannot replay (Redis lost data): live subscribers must be reset. */
  onGap(listener: (reason: StreamGapReason) => void): () => void;
  /** Engine-specific series for /metrics. */
  metrics(): EngineMetric[];
}

/**
 * Picks the engine from config (REDIS_URL set: redis) and registers `firstListener` before any batch
 * can flow, so the store sees the redis warm-up too. `persisted` (memory engine only) carries ids
 * across restarts.
 */
export async function createEngine(config: LivedashConfig, firstListener: (batch: Batch) => void, log: Logger, persisted?: PersistedIds): Promise<EngineRuntime> {
  if (!config.redisUrl) {
    const engine = createMemoryEngine({ replayBatches: config.replayBatches, persisted });
    engine.onBatch(firstListener);
    return { engine, start: async () => undefined, onGap: () => () => undefined, metrics: () => [] };
  }
  const engine = await createRedisEngine({
    url: config.redisUrl,
    streamKey: config.redisStream,
    maxLen: config.redisMaxLen,
    // One replay is read in bounded pages; past 10k batches a client refetches history instead.
    replayMaxBatches: Math.min(config.replayBatches, 10_000),
    warmWindowMs: config.retentionMs,
    onListenerError: (error) => log.error({ err: error }, "redis engine: an onBatch listener threw"),
  });
  engine.onBatch(firstListener);
  return { engine, start: () => engine.start(), onGap: (listener) => engine.onGap(listener), metrics: () => redisEngineMetrics(engine.stats()) };
}
