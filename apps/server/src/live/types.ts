import type { WireEvent } from "./wire-event";

/**
 * What the live path needs of a connection; the transport owns the socket. `F` is what one event
 * becomes on this connection: a framed Buffer for sockets, an object for in-process consumers.
 */
export interface Sink<F = Buffer> {
  readonly transport: "ws" | "sse" | "trpc-sse" | "caller" | "poll";
  /** Bytes queued and not yet taken by the peer (user space for sockets, an estimate in process). */
  bufferedBytes(): number;
  write(frame: F): void;
  /** Ends the connection of a consumer that stayed too slow (WS close 4008, SSE stream end). */
  closeSlow(): void;
  /** Calls back once the connection's buffered bytes drained; returns a remover. */
  onDrain(listener: () => void): () => void;
  /** The live path shut down (server closing). Socket transports end their connections themselves. */
  end?(): void;
}

/**
 * Turns one event into what a transport writes. The event JSON is built once per batch and filter
 * group; only the few bytes around it differ per transport (and, for WebSocket, per tRPC request id),
 * so frames are cached per event by `key` and shared across subscribers.
 */
export interface FrameEncoder<F = Buffer> {
  /** Subscribers with the same key receive identical frames for the same event. */
  readonly key: string;
  encode(event: WireEvent): F;
}

export interface BackpressureOptions {
  /**
   * Above this many buffered bytes a subscriber stops receiving frames: a replay waits for the socket
   * to drain, live points are coalesced to the latest per series (an event marked `coalesced: true`).
   * @default 262_144 (256 KiB)
   */
  highWatermarkBytes?: number;
  /**
   * Coalesced points are flushed as one event once buffered bytes fall to this level.
   * @default 65_536 (64 KiB)
   */
  lowWatermarkBytes?: number;
  /**
   * A connection whose buffer passes this is closed at once (a reconnect resumes it by id).
   * @default 8_388_608 (8 MiB)
   */
  hardCapBytes?: number;
  /**
   * A subscriber that stays above the high watermark this long (live or while replaying) is closed too.
   * @default 30_000
   */
  maxSlowMs?: number;
  /**
   * Live batches held for a subscriber while its replay is written; past this many the replay ends
   * in a `reset` ("lagged") instead of holding more.
   * @default 10_000
   */
  maxHeldBatches?: number;
  /**
   * Replay batches written in one go before the replay yields to the event loop, so one long replay
   * cannot stall every other connection.
   * @default 500
   */
  replayBatchesPerTurn?: number;
}
