import type { DashboardClient, OpenClientOptions } from "./client-types";
import { openLivedashAdapter } from "./livedash-adapter";

/** The one place the dashboard picks its client implementation. */
export function openClient(options: OpenClientOptions): DashboardClient {
  return openLivedashAdapter(options);
}
