/** Where the dashboard's "now" comes from: the server's clock, never the browser's. */
export interface Clock {
  /** Epoch ms on the server's clock, right now. */
  now(): number;
}

export interface ServerClockOptions {
  /** Monotonic milliseconds (not moved by the wall clock being set). @default performance.now */
  monotonicNow?: () => number;
  /** The browser's wall clock: only used before the server has told its time. @default Date.now */
  wallNow?: () => number;
  /** A sample this old is replaced by the next one, whatever its round trip. @default 600_000 */
  maxSampleAgeMs?: number;
}

interface Sample {
  serverMs: number;
  atMonotonicMs: number;
  rttMs: number;
  source: "info" | "event";
}

/**
 * The server's clock as seen from the page. `system.info` tells the server's time; the half round
 * trip is added (as NTP's simplest form) and the sample with the smallest round trip wins, so a slow
 * answer does not skew it. From then on time advances on the monotonic clock, so a browser clock
 * minutes off (or set while the page is open) changes nothing. Until the first answer the newest
 * point of any event stands in (it was stamped at most a batch ago), and before any of that the
 * browser's clock is all there is.
 */
export class ServerClock implements Clock {
  private sample: Sample | null = null;
  private readonly monotonicNow: () => number;
  private readonly wallNow: () => number;
  private readonly maxSampleAgeMs: number;

  constructor(options: ServerClockOptions = {}) {
    this.monotonicNow = options.monotonicNow ?? (() => performance.now());
    this.wallNow = options.wallNow ?? (() => Date.now());
    this.maxSampleAgeMs = options.maxSampleAgeMs ?? 600_000;
  }

  now(): number {
    const s = this.sample;
    return s === null ? this.wallNow() : s.serverMs + (this.monotonicNow() - s.atMonotonicMs);
  }

  /** How far the server's clock is ahead of the browser's (negative: behind). For display and tests. */
  offsetMs(): number {
    return this.now() - this.wallNow();
  }

  /** Whether anything from the server (its time, or an event) set the clock: until then it is the browser's. */
  get calibrated(): boolean {
    return this.sample !== null;
  }

  /** Whether the server has told its time (`system.info`) at least once. */
  get synced(): boolean {
    return this.sample?.source === "info";
  }

  /**
   * Reads the server's time through `fetchServerNow` (system.info) and keeps it when its round trip
   * is no worse than twice the kept one's, or the kept one is old. Errors go to the caller.
   */
  async sync(fetchServerNow: () => Promise<number>): Promise<void> {
    const sentAt = this.monotonicNow();
    const serverMs = await fetchServerNow();
    const receivedAt = this.monotonicNow();
    // A server that does not tell its time (an older one) must not turn every chart edge into NaN.
    if (typeof serverMs !== "number" || !Number.isFinite(serverMs)) throw new Error("system.info: the answer has no server time (now)");
    const rttMs = Math.max(0, receivedAt - sentAt);
    const kept = this.sample;
    const keptIsGood = kept !== null && kept.source === "info" && receivedAt - kept.atMonotonicMs < this.maxSampleAgeMs && kept.rttMs * 2 < rttMs;
    if (keptIsGood) return;
    this.sample = { serverMs: serverMs + rttMs / 2, atMonotonicMs: receivedAt, rttMs, source: "info" };
  }

  /** The newest point ts of an event that just arrived: the server's clock was at least there. */
  observe(newestTs: number): void {
    if (!Number.isFinite(newestTs) || this.sample?.source === "info") return;
    if (this.sample === null || newestTs > this.now()) {
      this.sample = { serverMs: newestTs, atMonotonicMs: this.monotonicNow(), rttMs: Number.POSITIVE_INFINITY, source: "event" };
    }
  }
}
