import { compileSeriesMatcher } from "@livedash/events";
import type { DashboardClient } from "./client-types";
import type { SeriesStore } from "./series-store";

export interface LiveFeedOptions {
  client: DashboardClient;
  store: SeriesStore;
  /** Names or globs the page shows; one subscription carries them all. */
  patterns: readonly string[];
  windowMs: number;
  /** Buckets asked of metrics.history per series. @default 1000 */
  historyPoints?: number;
  /** Series per history request (the wire allows 1000). @default 200 */
  historyChunk?: number;
  /** Offline longer than this counts as a long disconnect: refetch history when back. @default 5000 */
  longDisconnectMs?: number;
  /** Extra time kept beyond the window, so a pause can be scrolled back over. @default windowMs */
  retentionExtraMs?: number;
  onError?: (error: unknown) => void;
  /** Told when the set of held series changes (new pushed series, catalog refresh). */
  onSeriesChange?: () => void;
}

/**
 * Owns the page's one live subscription and everything that keeps the buffers complete:
 * subscribe first, then backfill from metrics.history (so no point falls between the two),
 * refetch and stitch after a reset or a long disconnect, resubscribe with lastEventId when the
 * pattern set changes, and trim buffers to the window.
 */
export class LiveFeed {
  private subscription: { unsubscribe(): void } | null = null;
  private lastEventId: string | null = null;
  private patterns: string[];
  private windowMs: number;
  private readonly unsubscribeConnection: () => void;
  private readonly trimTimer: ReturnType<typeof setInterval>;
  private offlineSince: number | null = null;
  private closed = false;
  private catalogRefresh: Promise<void> | null = null;
  private readonly unsubscribeNewSeries: () => void;

  constructor(private readonly options: LiveFeedOptions) {
    this.patterns = [...options.patterns];
    this.windowMs = options.windowMs;
    const longDisconnectMs = options.longDisconnectMs ?? 5000;
    this.unsubscribeConnection = options.client.connection.subscribe((state) => {
      if (state.status === "live") {
        if (this.offlineSince !== null && Date.now() - this.offlineSince > longDisconnectMs) void this.backfill(this.heldSeries());
        this.offlineSince = null;
      } else if (this.offlineSince === null && state.lastEventAt !== null) {
        this.offlineSince = Date.now();
      }
    });
    this.trimTimer = setInterval(() => this.trim(), 5000);
    this.unsubscribeNewSeries = options.store.onNewSeries(() => {
      void this.refreshCatalog();
      options.onSeriesChange?.();
    });
  }

  async start(): Promise<void> {
    this.subscribe();
    await this.refreshCatalog();
    await this.backfill(this.matchingCatalog(this.patterns));
  }

  setPatterns(patterns: readonly string[]): void {
    const added = patterns.filter((p) => !this.patterns.includes(p));
    if (added.length === 0 && patterns.length === this.patterns.length) return;
    this.patterns = [...patterns];
    // Resubscribe from the last id: the server replays what fell between, the client drops repeats.
    this.subscribe();
    const fresh = this.matchingCatalog(added);
    if (fresh.length > 0) void this.backfill(fresh);
  }

  setWindow(windowMs: number): void {
    const grew = windowMs > this.windowMs;
    this.windowMs = windowMs;
    if (grew) void this.backfill(this.heldSeries());
  }

  close(): void {
    this.closed = true;
    this.subscription?.unsubscribe();
    this.subscription = null;
    this.unsubscribeConnection();
    this.unsubscribeNewSeries();
    clearInterval(this.trimTimer);
  }

  private subscribe(): void {
    this.subscription?.unsubscribe();
    if (this.patterns.length === 0) return;
    this.subscription = this.options.client.subscribeLive(
      { series: this.patterns, lastEventId: this.lastEventId },
      {
        onData: ({ id, data }) => {
          this.lastEventId = id;
          if (data.type === "points") this.options.store.appendPoints(data.points);
          // The server could not replay from our id: refetch the window and stitch it in, never blank.
          else void this.backfill(this.heldSeries());
        },
        onError: (error) => this.options.onError?.(error),
      },
    );
  }

  private heldSeries(): string[] {
    const match = compileSeriesMatcher(this.patterns);
    const names = new Set(this.options.store.names().filter(match));
    for (const name of this.matchingCatalog(this.patterns)) names.add(name);
    return [...names];
  }

  private matchingCatalog(patterns: readonly string[]): string[] {
    if (patterns.length === 0) return [];
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

  private async backfill(series: readonly string[]): Promise<void> {
    if (series.length === 0) return;
    const to = Date.now();
    const from = to - this.windowMs;
    const maxPoints = this.options.historyPoints ?? 1000;
    const chunk = this.options.historyChunk ?? 200;
    const bucketMs = this.windowMs / maxPoints;
    for (let i = 0; i < series.length; i += chunk) {
      try {
        const history = await this.options.client.history({ series: series.slice(i, i + chunk), from, to, maxPoints });
        if (this.closed) return;
        this.options.store.mergeHistory(history, bucketMs);
      } catch (error) {
        this.options.onError?.(error);
      }
    }
  }

  private trim(): void {
    const keepMs = this.windowMs + (this.options.retentionExtraMs ?? this.windowMs);
    this.options.store.dropBefore(Date.now() - keepMs);
  }
}
