import type { LivedashConfig } from "../config";
import { createMemoryEngine } from "./memory-engine";
import type { Batch, Engine } from "./types";

/**
 * Picks the engine from config (REDIS_URL set: redis) and registers `firstListener` before any batch
 * can flow, so the store sees the redis warm-up too.
 */
export async function createEngine(config: LivedashConfig, firstListener: (batch: Batch) => void): Promise<Engine> {
  if (!config.redisUrl) {
    const engine = createMemoryEngine({ replayBatches: config.replayBatches });
    engine.onBatch(firstListener);
    return engine;
  }
  throw new Error("REDIS_URL: the redis engine is not wired yet");
}
