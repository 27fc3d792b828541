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
  /** The server's clock: chart edges, pause, history ranges and trimming. */
  clock: ServerClock;
}
