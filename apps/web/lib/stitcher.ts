import { retryDelayMs } from "@livedash/client";
import type { RetryPolicy } from "@livedash/client";
import type { Clock } from "./server-clock";

export interface StitcherOptions {
  clock: Clock;
  /** Fetches history for (fromMs, toMs), both exclusive, and merges it. Rejects to be retried. */
  fill(fromMs: number, toMs: number): Promise<void>;
  /** Wait after the gap opened or the last event before calling the replay over. @default 1500 */
  replayQuietMs?: number;
  /** An event whose newest point is within this of the server's now is live, not replay. @default 3000 */
  liveLagMs?: number;
  /** After a disconnect without reset, a seam wider than this is filled from history. @default 5000 */
  seamMs?: number;
  retry: RetryPolicy;
  onError(error: unknown): void;
  random?: () => number;
}

interface Gap {
  fromMs: number;
  /** A reset said the replay is incomplete: fill whatever the seam. */
  reset: boolean;
  /** Oldest point delivered since the gap opened (the replay's first, or the first live one). */
  firstAfterMs: number | null;
}

/**
 * Closes the holes a reset or a long disconnect leaves, without racing the replay that may still be
 * arriving: a gap opens at the newest point held, stays open while the replay arrives, and closes
 * when an event is live (its newest point is close to the server's now) or nothing came for a while.
 * Only then is history asked for, and only for the open range between the last point before and
 * the first point after, so bucket means never mix into raw points that are about to arrive and
 * nothing is fetched twice. A failed fill is retried with backoff until it succeeds or the feed closes.
 */
export class Stitcher {
  private gap: Gap | null = null;
  private quietTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly retryTimers = new Set<ReturnType<typeof setTimeout>>();
  private closed = false;

  constructor(private readonly options: StitcherOptions) {}

  /** Whether a gap waits for its replay to end. */
  get open(): boolean {
    return this.gap !== null;
  }

  /** A reset arrived, or the connection is back after a long disconnect; `fromMs` is the newest point held before. */
  openGap(kind: "reset" | "disconnect", fromMs: number): void {
    if (this.closed) return;
    // A reset ends the replay that was arriving (the server could not send the rest): what the replay
    // brought settles the open gap, and the new hole starts at the newest point held now.
    if (kind === "reset" && this.gap !== null && this.gap.firstAfterMs !== null) this.closeGap();
    if (this.gap === null) this.gap = { fromMs, reset: kind === "reset", firstAfterMs: null };
    else {
      this.gap.fromMs = Math.min(this.gap.fromMs, fromMs);
      this.gap.reset ||= kind === "reset";
    }
    this.armQuiet();
  }

  /** Every points event, with its oldest and newest ts. */
  onPoints(minTs: number, maxTs: number): void {
    const gap = this.gap;
    if (gap === null) return;
    gap.firstAfterMs = gap.firstAfterMs === null ? minTs : Math.min(gap.firstAfterMs, minTs);
    if (maxTs >= this.options.clock.now() - (this.options.liveLagMs ?? 3000)) this.closeGap();
    else this.armQuiet();
  }

  dispose(): void {
    this.closed = true;
    this.gap = null;
    clearTimeout(this.quietTimer);
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
  }

  private armQuiet(): void {
    clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => this.closeGap(), this.options.replayQuietMs ?? 1500);
  }

  private closeGap(): void {
    clearTimeout(this.quietTimer);
    const gap = this.gap;
    this.gap = null;
    if (gap === null || this.closed) return;
    const toMs = gap.firstAfterMs ?? this.options.clock.now();
    if (toMs <= gap.fromMs) return;
    if (gap.reset || toMs - gap.fromMs > (this.options.seamMs ?? 5000)) this.fill(gap.fromMs, toMs, 0);
  }

  private fill(fromMs: number, toMs: number, attempt: number): void {
    this.options.fill(fromMs, toMs).catch((error: unknown) => {
      if (this.closed) return;
      this.options.onError(error);
      const timer = setTimeout(() => {
        this.retryTimers.delete(timer);
        if (!this.closed) this.fill(fromMs, toMs, attempt + 1);
      }, retryDelayMs(attempt, this.options.retry, this.options.random));
      this.retryTimers.add(timer);
    });
  }
}

