import type { Point, ResetEvent } from "@livedash/events";

/** One published batch: every point of one tick or one ingest request, under one event id. */
export interface Batch {
  readonly id: string;
  readonly points: readonly Point[];
}

/** Answer of Engine.replayAfter: the batches after an id, or why they cannot be replayed. */
export type ReplayResult =
  | { readonly ok: true; readonly batches: readonly Batch[] }
  | { readonly ok: false; readonly reason: ResetEvent["reason"] };

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
export interface Engine {
  readonly kind: "memory" | "redis";
  /**
   * Appends one batch and resolves with its id once it is durable in the engine (for redis: XADD
   * acknowledged). Rejects with EngineUnavailableError when the backing store is down.
   */
  publish(points: readonly Point[]): Promise<string>;
  /** Listeners run synchronously, in id order, once per batch, on every instance. */
  onBatch(listener: (batch: Batch) => void): () => void;
  /** Batches strictly after `id`, oldest first, or a reset reason when that id cannot be replayed. */
  replayAfter(id: string): Promise<ReplayResult>;
  /** The id of the newest batch this instance has seen, or null before the first. */
  latestId(): string | null;
  /**
   * A cursor that sorts before every batch this engine will publish from now on (memory: `<epoch>-0`,
   * redis: `0-0`): the id a reset carries when no batch exists yet.
   */
  startId(): string;
  /** <0, 0, >0 like a sort comparator; throws on ids this engine did not make. */
  compareIds(a: string, b: string): number;
  /**
   * The smallest id greater than `id`, for an engine that lost its log and has no newer batch yet
   * (redis restarted empty): a reset carries it. Absent where the next id is the next batch's (memory).
   */
  idAfter?(id: string): string;
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
