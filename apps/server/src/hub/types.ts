/** What the hub needs of a connection; the transport owns the socket. */
export interface Sink {
  readonly transport: "ws" | "sse" | "trpc-sse";
  /** Bytes queued in user space and not yet handed to the kernel. */
  bufferedBytes(): number;
  write(frame: Buffer): void;
  /** Ends the connection of a consumer that stayed too slow (WS close 4008, SSE stream end). */
  closeSlow(): void;
  /** Calls back once the connection's buffered bytes drained; returns a remover. */
  onDrain(listener: () => void): () => void;
}

export interface BackpressureOptions {
  /**
   * Above this many buffered bytes a subscriber stops receiving frames and its points are coalesced to
   * the latest per series instead.
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
   * A subscriber that stays above the high watermark this long is closed too.
   * @default 30_000
   */
  maxSlowMs?: number;
}
