import type { DashboardClient, OpenClientOptions } from "./client-types";
import { openFallbackClient } from "./fallback-client";

/**
 * The one place the dashboard picks its client implementation. It uses the stand-in built on
 * @trpc/client until @livedash/client lands; the swap is this function's body.
 */
export function openClient(options: OpenClientOptions): DashboardClient {
  return openFallbackClient(options);
}
