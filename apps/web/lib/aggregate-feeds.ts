import { aggregateKey } from "@livedash/events";
import type { Aggregate } from "@livedash/events";
import type { DashboardClient } from "./client-types";
import { LiveFeed } from "./live-feed";
import type { ServerClock } from "./server-clock";
import { SeriesStore } from "./series-store";
import type { TimeRange } from "./view-state";

export interface AggregateFeedsOptions {
  client: DashboardClient;
  clock: ServerClock;
  windowMs: number;
  onError?: (error: unknown) => void;
  /** Told when a feed's set of output series changes (a new group appeared). */
  onSeriesChange?: () => void;
}

/** What one aggregated feed asks the server: these selectors, aggregated (a chart query, or an overview chart grouped by a label). */
export interface AggregateQuery {
  selectors: readonly string[];
  aggregate: Aggregate;
}

/** One feed per distinct selection and aggregation (`by` order does not matter, as on the server). */
function feedKey(query: AggregateQuery): string {
  return `${query.selectors.join("\n")}|${aggregateKey(query.aggregate)}`;
}

interface Entry {
  feed: LiveFeed;
  store: SeriesStore;
  refs: number;
}

/**
 * The aggregated charts' feeds: one per distinct aggregation (a chart query `sum by (region) (app.requests)`,
 * an overview chart grouped by a label), each
 * with its own subscription (`metrics.live` with `aggregate`; over WebSocket it shares the page's one
 * connection) and its own store, since a group's output key (`app.requests{region="eu"}`) can equal a
 * raw key with different values. Charts acquire a feed while mounted; the last release closes it.
 * Window, zoom and pause follow the page's, like the main feed's.
 */
export class AggregateFeeds {
  private readonly entries = new Map<string, Entry>();
  private windowMs: number;
  private zoom: TimeRange | null = null;
  private frozenAt: number | null = null;
  private closed = false;

  constructor(private readonly options: AggregateFeedsOptions) {
    this.windowMs = options.windowMs;
  }

  /** The store of `query`'s groups, filled live and from history; release it with release(query). */
  acquire(query: AggregateQuery): SeriesStore {
    const key = feedKey(query);
    const existing = this.entries.get(key);
    if (existing !== undefined) {
      existing.refs++;
      return existing.store;
    }
    const store = new SeriesStore();
    const feed = new LiveFeed({
      client: this.options.client,
      store,
      clock: this.options.clock,
      patterns: query.selectors,
      aggregate: query.aggregate,
      windowMs: this.windowMs,
      onError: this.options.onError,
      onSeriesChange: this.options.onSeriesChange,
    });
    feed.setZoom(this.zoom);
    feed.setFrozenAt(this.frozenAt);
    this.entries.set(key, { feed, store, refs: 1 });
    if (!this.closed) void feed.start();
    return store;
  }

  release(query: AggregateQuery): void {
    const key = feedKey(query);
    const entry = this.entries.get(key);
    if (entry === undefined || --entry.refs > 0) return;
    entry.feed.close();
    this.entries.delete(key);
  }

  setWindow(windowMs: number): void {
    this.windowMs = windowMs;
    for (const { feed } of this.entries.values()) feed.setWindow(windowMs);
  }

  setZoom(range: TimeRange | null): void {
    this.zoom = range;
    for (const { feed } of this.entries.values()) feed.setZoom(range);
  }

  setFrozenAt(ms: number | null): void {
    this.frozenAt = ms;
    for (const { feed } of this.entries.values()) feed.setFrozenAt(ms);
  }

  close(): void {
    this.closed = true;
    for (const { feed } of this.entries.values()) feed.close();
    this.entries.clear();
  }
}
