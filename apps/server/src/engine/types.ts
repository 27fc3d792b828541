import type { EventLog } from "@livedash/api";
import type { Point } from "@livedash/events";

// The batch and replay shapes are the router's contract (@livedash/api); the engine implements it.
export type { Batch, ReplayResult } from "@livedash/api";

export interface EngineHealth {
  readonly engine: "memory" | "redis";
  /** false while the backing store (Redis) is unreachable; memory is always ready. */
  readonly ready: boolean;
  /** The state in a few public words (`redis reconnecting`): safe for unauthenticated callers. */
  readonly detail?: string;
  /** Why, as the client library said it (may name internal addresses): for the server's log only, never an answer. */
  readonly cause?: string;
}

/**
 * The bus. Publishes batches, assigns strictly increasing event ids, fans batches out to listeners
 * (on every instance, for redis), and replays what a reconnecting client missed.
 */
export interface Engine extends EventLog {
  readonly kind: "memory" | "redis";
  /**
   * Appends one batch and resolves with its id once it is durable in the engine (for redis: XADD
   * acknowledged). Rejects with EngineUnavailableError when the backing store is down.
   */
  publish(points: readonly Point[]): Promise<string>;
  // onBatch, replayAfter, latestId, startId (memory: `<epoch>-0`, redis: `0-0`) and compareIds come
  // from EventLog.
  health(): EngineHealth;
  close(): Promise<void>;
}

/**
 * The backing store is down. `message` is for the server's log (it may carry the store's address);
 * `publicMessage` is what callers are told.
 */
export class EngineUnavailableError extends Error {
  constructor(
    message: string,
    readonly publicMessage: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "EngineUnavailableError";
  }
}
