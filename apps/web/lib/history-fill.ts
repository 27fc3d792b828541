import { retryDelayMs } from "@livedash/client";
import type { RetryPolicy } from "@livedash/client";
import { WIRE_LIMITS } from "@livedash/events";
import type { Aggregate } from "@livedash/events";
import type { DashboardClient } from "./client-types";
import type { SeriesStore } from "./series-store";

export interface HistoryFillOptions {
  client: DashboardClient;
  store: SeriesStore;
  retry: RetryPolicy;
  /** Buckets asked of metrics.history per series for a whole window. */
  historyPoints: number;
  /** Most series per request (the wire allows 1000). */
  historyChunk: number;
  /** Asked of every history request: the series are then selectors and the answer their groups. */
  aggregate?: Aggregate;
  onError(error: unknown): void;
  /** True once the owner closed: answers arriving after that are dropped. */
  isClosed(): boolean;
}

/** Points per series asked for a gap: raw at 50 ms spacing fits, capped by the wire. */
const GAP_RAW_SPACING_MS = 50;
/** Points per gap history response, across its series, so one answer stays a few MB. */
const GAP_POINTS_PER_REQUEST = 100_000;

/** Reads metrics.history into the store: whole windows (downsampled) and exact holes (raw where they fit). */
export class HistoryFill {
  constructor(private readonly options: HistoryFillOptions) {}

  private aggregate(): { aggregate?: Aggregate } {
    return this.options.aggregate === undefined ? {} : { aggregate: this.options.aggregate };
  }

  /**
   * A window of history for `series`, downsampled to `historyPoints`, merged only into holes and only
   * below `before()` (read when the answer lands: live owns everything from its first point on).
   * Retried with backoff until it succeeds or the owner closes.
   */
  async window(series: readonly string[], from: number, to: number, before: () => number, attempt = 0): Promise<void> {
    const { client, store, historyPoints, historyChunk } = this.options;
    if (series.length === 0 || to <= from || this.options.isClosed()) return;
    for (let i = 0; i < series.length; i += historyChunk) {
      try {
        const history = await client.history({ series: series.slice(i, i + historyChunk), from, to, maxPoints: historyPoints, ...this.aggregate() });
        if (this.options.isClosed()) return;
        store.mergeHistory(history, (to - from) / historyPoints, { before: before() });
      } catch (error) {
        if (this.options.isClosed()) return;
        this.options.onError(error);
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs(attempt, this.options.retry)));
        return this.window(series.slice(i), from, to, before, attempt + 1);
      }
    }
  }

  /** Exactly the hole (from, to), both exclusive, raw where it fits; rejects so the caller retries it. */
  async gap(series: readonly string[], from: number, to: number): Promise<void> {
    const { client, store, historyChunk } = this.options;
    const maxPoints = Math.min(WIRE_LIMITS.maxHistoryPoints, Math.max(100, Math.ceil((to - from) / GAP_RAW_SPACING_MS)));
    const chunk = Math.max(1, Math.min(historyChunk, Math.floor(GAP_POINTS_PER_REQUEST / maxPoints)));
    for (let i = 0; i < series.length; i += chunk) {
      const history = await client.history({ series: series.slice(i, i + chunk), from, to, maxPoints, ...this.aggregate() });
      if (this.options.isClosed()) return;
      store.mergeHistory(history, (to - from) / maxPoints, { after: from, before: to });
    }
  }
}
