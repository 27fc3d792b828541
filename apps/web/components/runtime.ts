import type { AggregateFeeds } from "../lib/aggregate-feeds";
import type { AlertsWatch } from "../lib/alerts-watch";
import type { AnnotationFeed } from "../lib/annotation-feed";
import type { DashboardClient } from "../lib/client-types";
import type { LiveFeed } from "../lib/live-feed";
import type { RenderLoop } from "../lib/render-loop";
import type { ServerClock } from "../lib/server-clock";
import type { SeriesStore } from "../lib/series-store";

/** The page-lifetime objects every panel reads from; created and destroyed by the Dashboard. */
export interface Runtime {
  client: DashboardClient;
  store: SeriesStore;
  loop: RenderLoop;
  feed: LiveFeed;
  /** The aggregated charts' feeds, one per distinct aggregation. */
  aggregates: AggregateFeeds;
  /** The server's clock: chart edges, pause, history ranges and trimming. */
  clock: ServerClock;
  /** The server's alerts (the bell, outlined panels), re-read when a transition arrives. */
  alerts: AlertsWatch;
  /** Annotations of the time the charts show, drawn on every chart. */
  annotations: AnnotationFeed;
  /** What a drag and a double-click on any chart do: zoom every chart into the range, or back to live. */
  zoom: ZoomControls;
}

export interface ZoomControls {
  /** A drag selected (from, to), server time, either order. */
  select(from: number, to: number): void;
  backToLive(): void;
}
