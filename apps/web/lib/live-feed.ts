import { retryDelayMs } from "@livedash/client";
import type { RetryPolicy } from "@livedash/client";
import type { Aggregate, LiveEvent, Point } from "@livedash/events";
import { compileSeriesMatcher } from "@livedash/events";
import type { DashboardClient } from "./client-types";
import { HistoryFill } from "./history-fill";
import type { ServerClock } from "./server-clock";
import type { SeriesStore } from "./series-store";
import { Stitcher } from "./stitcher";
import type { TimeRange } from "./view-state";

export interface LiveFeedOptions {
  client: DashboardClient;
  store: SeriesStore;
  /** The server's clock: window edges, history ranges and trimming all use it. */
  clock: ServerClock;
  /** Selectors the page shows; one subscription carries them all. */
  patterns: readonly string[];
  /**
   * Aggregation the server computes for this feed (`metrics.live` and `metrics.history` with
   * `aggregate`): the store holds the groups' output series, not the selected ones, so it must be a
   * store of its own. Absent: the selected series themselves, with the catalog.
   */
  aggregate?: Aggregate;
  windowMs: number;
  /** Buckets asked of metrics.history per series for a whole window. @default 1000 */
  historyPoints?: number;
  /** Series per window history request (the wire allows 1000). @default 200 */
  historyChunk?: number;
  /** Offline longer than this counts as a long disconnect: the seam is checked when back. @default 5000 */
  longDisconnectMs?: number;
  /** Extra time kept beyond the window, so a pause can be scrolled back over. @default windowMs */
  retentionExtraMs?: number;
  /** How often buffers are trimmed to the window (a little at a time). @default 1000 */
  trimIntervalMs?: number;
  /** How often the server's clock is read again (system.info). @default 300_000 */
  clockResyncMs?: number;
  /** Resubscribing after a failed subscription and retrying failed history. @default floor 1 s, base 1 s, max 30 s */
  retry?: RetryPolicy;
  /** See Stitcher. */
  replayQuietMs?: number;
  onError?: (error: unknown) => void;
  /** Told when the set of held series changes (new pushed series, catalog refresh). */
  onSeriesChange?: () => void;
  /** Told of every live batch after it is stored (the page watches alert transitions this way). */
  onPoints?: (points: readonly Point[]) => void;
  /** Told when the feed's own state changes (a resubscribe is pending, or done). */
  onStateChange?: (state: LiveFeedState) => void;
}

/** What the dashboard shows about the feed beyond the client's connection state. */
export interface LiveFeedState {
  /** Server time a resubscribe is due after the subscription failed; null while subscribed. */
  resubscribeAt: number | null;
}

/**
 * Owns the page's one live subscription and everything that keeps the buffers complete and honest:
 * subscribe first, then backfill the window from metrics.history (history only below the first live
 * point, so no point falls between and none comes twice); stitch after a reset or a long disconnect
 * once the replay has ended (Stitcher); resubscribe with backoff when the subscription fails;
 * resubscribe with lastEventId when the pattern set changes; trim buffers to the window on the
 * server's clock and release series that left the page.
 */
export class LiveFeed {
  private subscription: { unsubscribe(): void } | null = null;
  /** Bumped per subscribe: callbacks of an older subscription are ignored. */
  private subscriptionToken = 0;
  private lastEventId: string | null = null;
  /** Newest point ts received live (server clock): where a gap starts. */
  private lastLiveTs: number | null = null;
  /** Oldest point of the first event after (re)subscribing: history stops below it. */
  private firstLiveTs: number | null = null;
  /** Where the first window backfill ended: the newest time held before any live point. */
  private backfilledTo: number | null = null;
  private patterns: string[];
  private windowMs: number;
  private frozenAtMs: number | null = null;
  private zoom: TimeRange | null = null;
  private readonly unsubscribeConnection: () => void;
  private readonly trimTimer: ReturnType<typeof setInterval>;
  private readonly resyncTimer: ReturnType<typeof setInterval>;
  private resubscribeTimer: ReturnType<typeof setTimeout> | undefined;
  private resubscribeAttempt = 0;
  private disconnectedAt: number | null = null;
  private gapFromAtDisconnect: number | null = null;
  private closed = false;
  private clockFailing = false;
  private catalogRefresh: Promise<void> | null = null;
  private readonly unsubscribeNewSeries: () => void;
  private readonly stitcher: Stitcher;
  private readonly history: HistoryFill;
  private readonly retry: RetryPolicy;
  private state: LiveFeedState = { resubscribeAt: null };

  constructor(private readonly options: LiveFeedOptions) {
    this.patterns = [...options.patterns];
    this.windowMs = options.windowMs;
    this.retry = options.retry ?? { retryFloorMs: 1000, backoffBaseMs: 1000, maxBackoffMs: 30_000 };
    this.history = new HistoryFill({
      client: options.client,
      store: options.store,
      retry: this.retry,
      historyPoints: options.historyPoints ?? 1000,
      historyChunk: options.historyChunk ?? 200,
      aggregate: options.aggregate,
      onError: (error) => options.onError?.(error),
      isClosed: () => this.closed,
    });
    this.stitcher = new Stitcher({
      clock: options.clock,
      fill: (from, to) => this.history.gap(this.heldSeries(), from, to),
      replayQuietMs: options.replayQuietMs,
      retry: this.retry,
      onError: (error) => options.onError?.(error),
    });
    const longDisconnectMs = options.longDisconnectMs ?? 5000;
    // The client reports every event as a state change (lastEventAt): act on status transitions only.
    let lastStatus = options.client.connection.get().status;
    this.unsubscribeConnection = options.client.connection.subscribe((state) => {
      if (state.status === lastStatus) return;
      lastStatus = state.status;
      if (state.status === "live") {
        void this.syncClock();
        if (this.disconnectedAt !== null && options.clock.now() - this.disconnectedAt > longDisconnectMs && this.gapFromAtDisconnect !== null) {
          this.stitcher.openGap("disconnect", this.gapFromAtDisconnect);
        }
        this.disconnectedAt = null;
      } else if (this.disconnectedAt === null && this.newestHeld() !== null) {
        this.markDisconnected();
      }
    });
    this.trimTimer = setInterval(() => this.trim(), options.trimIntervalMs ?? 1000);
    this.resyncTimer = setInterval(() => void this.syncClock(), options.clockResyncMs ?? 300_000);
    this.unsubscribeNewSeries = options.store.onNewSeries(() => {
      if (options.aggregate === undefined) void this.refreshCatalog();
      options.onSeriesChange?.();
    });
  }

  async start(): Promise<void> {
    this.subscribe();
    await Promise.all([this.options.aggregate === undefined ? this.refreshCatalog() : null, this.syncClock()]);
    const now = this.options.clock.now();
    this.backfilledTo = now;
    await this.backfillWindow(this.matchingCatalog(this.patterns), now - this.windowMs, now);
    // A zoom opened from a link was set before the catalog said which series to ask for.
    if (this.zoom !== null) await this.fetchZoom(this.zoom);
  }

  getState(): LiveFeedState {
    return this.state;
  }

  setPatterns(patterns: readonly string[]): void {
    const added = patterns.filter((p) => !this.patterns.includes(p));
    if (added.length === 0 && patterns.length === this.patterns.length) return;
    this.patterns = [...patterns];
    // Resubscribe from the last id: the server replays what fell between, the client drops repeats.
    this.subscribe();
    const fresh = this.matchingCatalog(added);
    // The replay covers everything after our last id; history only what came before it.
    const now = this.options.clock.now();
    if (fresh.length > 0) void this.backfillWindow(fresh, now - this.windowMs, this.lastLiveTs ?? now);
  }

  /**
   * A longer window is backfilled from history (historyPoints buckets over it: about a chart's width,
   * so a 30-day window costs 1000 points per series, not the 2.6 million raw ones the buffer could never
   * hold) and live points keep being appended at its right edge. Appending rather than re-querying
   * the window periodically: live points are exact, cost nothing extra, and a re-query would ask the
   * server for the whole window per series every period to learn what the stream already delivered.
   */
  setWindow(windowMs: number): void {
    const grew = windowMs > this.windowMs;
    this.windowMs = windowMs;
    const now = this.options.clock.now();
    if (grew) void this.backfillWindow(this.heldSeries(), now - windowMs, now);
  }

  /**
   * Zooming shows the absolute range `range` (server time) instead of the live window: its history is
   * asked at the window's resolution (historyPoints buckets over the range, so the server picks the
   * tier and a narrower range gets finer points) and merged into the holes of what is held; trimming
   * keeps the range. Live points keep landing meanwhile; null goes back to live.
   */
  setZoom(range: TimeRange | null): void {
    if (range?.from === this.zoom?.from && range?.to === this.zoom?.to) return;
    this.zoom = range;
    if (range !== null) void this.fetchZoom(range);
  }

  private fetchZoom(range: TimeRange): Promise<void> {
    // Holes only, anywhere in the range: live points already held there are exact and stay.
    return this.history.window(this.heldSeries(), range.from, range.to, () => Number.POSITIVE_INFINITY);
  }

  /** Pausing freezes the view at `ms` (server time): trimming keeps what the frozen view shows. */
  setFrozenAt(ms: number | null): void {
    this.frozenAtMs = ms;
  }

  close(): void {
    this.closed = true;
    this.subscriptionToken++;
    this.subscription?.unsubscribe();
    this.subscription = null;
    this.unsubscribeConnection();
    this.unsubscribeNewSeries();
    this.stitcher.dispose();
    clearInterval(this.trimTimer);
    clearInterval(this.resyncTimer);
    clearTimeout(this.resubscribeTimer);
  }

  private subscribe(): void {
    clearTimeout(this.resubscribeTimer);
    this.resubscribeTimer = undefined;
    const token = ++this.subscriptionToken;
    const old = this.subscription;
    this.subscription = null;
    this.firstLiveTs = null;
    if (this.patterns.length > 0) {
      // The new subscription opens before the old one stops, so the client keeps its session.
      this.subscription = this.options.client.subscribeLive(
        { series: this.patterns, lastEventId: this.lastEventId, ...(this.options.aggregate ? { aggregate: this.options.aggregate } : {}) },
        {
          onData: (event) => {
            if (token === this.subscriptionToken) this.onEvent(event);
          },
          onError: (error) => {
            if (token === this.subscriptionToken) this.onSubscriptionError(error);
          },
        },
      );
    }
    old?.unsubscribe();
    this.setState({ resubscribeAt: null });
  }

  private onEvent({ id, data }: { id: string; data: LiveEvent }): void {
    this.lastEventId = id;
    this.resubscribeAttempt = 0;
    if (data.type === "reset") {
      // The server could not replay from our id: fill the hole once live points show where it ends.
      this.stitcher.openGap("reset", this.newestHeld() ?? this.options.clock.now() - this.windowMs);
      return;
    }
    if (data.points.length === 0) return;
    let minTs = Number.POSITIVE_INFINITY;
    let maxTs = Number.NEGATIVE_INFINITY;
    for (const p of data.points) {
      if (p.ts < minTs) minTs = p.ts;
      if (p.ts > maxTs) maxTs = p.ts;
    }
    this.options.store.appendPoints(data.points);
    this.options.clock.observe(maxTs);
    this.firstLiveTs ??= minTs;
    this.lastLiveTs = this.lastLiveTs === null ? maxTs : Math.max(this.lastLiveTs, maxTs);
    this.stitcher.onPoints(minTs, maxTs);
    this.options.onPoints?.(data.points);
  }

  private onSubscriptionError(error: unknown): void {
    this.options.onError?.(error);
    if (this.closed) return;
    if (this.disconnectedAt === null && this.newestHeld() !== null) this.markDisconnected();
    this.subscription = null;
    const delayMs = retryDelayMs(this.resubscribeAttempt++, this.retry);
    this.resubscribeTimer = setTimeout(() => this.subscribe(), delayMs);
    this.setState({ resubscribeAt: this.options.clock.now() + delayMs });
  }

  private markDisconnected(): void {
    this.disconnectedAt = this.options.clock.now();
    this.gapFromAtDisconnect = this.newestHeld();
  }

  /** The newest time the buffers are complete up to: the last live point, else the first backfill's end. */
  private newestHeld(): number | null {
    return this.lastLiveTs ?? this.backfilledTo;
  }

  private setState(next: LiveFeedState): void {
    if (next.resubscribeAt === this.state.resubscribeAt) return;
    this.state = next;
    this.options.onStateChange?.(next);
  }

  /** Reads the server's clock; a server that cannot say keeps the estimate from events (reported once per run of failures). */
  private async syncClock(): Promise<void> {
    try {
      await this.options.clock.sync(async () => (await this.options.client.info()).now);
      this.clockFailing = false;
    } catch (error) {
      if (this.closed || this.clockFailing) return;
      this.clockFailing = true;
      this.options.onError?.(error);
    }
  }

  private heldSeries(): string[] {
    // An aggregation's history is asked by its selectors: its output series are in no catalog.
    if (this.options.aggregate !== undefined) return [...this.patterns];
    const match = compileSeriesMatcher(this.patterns);
    const names = new Set(this.options.store.names().filter(match));
    for (const name of this.matchingCatalog(this.patterns)) names.add(name);
    return [...names];
  }

  private matchingCatalog(patterns: readonly string[]): string[] {
    if (patterns.length === 0) return [];
    if (this.options.aggregate !== undefined) return [...patterns];
    const match = compileSeriesMatcher(patterns);
    return this.options.store.catalog().map((s) => s.name).filter(match);
  }

  /** Re-reads metrics.catalog (the explorer calls it on open: series pushed since load appear). */
  refreshCatalog(): Promise<void> {
    // One refresh at a time: a burst of new series must not become a burst of catalog queries.
    this.catalogRefresh ??= this.options.client
      .catalog()
      .then((infos) => {
        if (!this.closed) {
          this.options.store.setCatalog(infos);
          this.options.onSeriesChange?.();
        }
      })
      .catch((error: unknown) => this.options.onError?.(error))
      .finally(() => {
        this.catalogRefresh = null;
      });
    return this.catalogRefresh;
  }

  /** History for `series` over (from, to), merged below the first live point of the current subscription. */
  private backfillWindow(series: readonly string[], from: number, to: number): Promise<void> {
    return this.history.window(series, from, to, () => this.firstLiveTs ?? Number.POSITIVE_INFINITY);
  }

  private trim(): void {
    // On the browser's clock (nothing from the server yet) a clock far ahead would trim every point.
    if (!this.options.clock.calibrated) return;
    const zoomMs = this.zoom === null ? 0 : this.zoom.to - this.zoom.from;
    const keepMs = Math.max(this.windowMs, zoomMs) + (this.options.retentionExtraMs ?? this.windowMs);
    // A frozen view keeps what it shows, however long the pause; a zoomed one keeps its range.
    const viewEnd = Math.min(this.options.clock.now(), this.frozenAtMs ?? Number.POSITIVE_INFINITY, this.zoom?.to ?? Number.POSITIVE_INFINITY);
    this.options.store.dropBefore(viewEnd - keepMs);
    // Series the page no longer shows, and series with nothing left in the window, give their memory back.
    // An aggregation's output keys carry only its `by` labels, so the selectors cannot tell: its store is its own.
    const match = this.options.aggregate === undefined ? compileSeriesMatcher(this.patterns) : () => true;
    this.options.store.releaseWhere((name, length) => length === 0 || !match(name));
  }
}
