import type { LiveInput } from "@livedash/events";
import { tracked } from "@trpc/server";
import type { ApiServices } from "../services";

/**
 * `metrics.live` as tRPC's own subscription path (what createCaller and tRPC's adapters reach). The
 * server's live path decides every event; this only wraps each in tracked() so its id travels.
 */
export async function* liveEvents(services: ApiServices, input: LiveInput, signal: AbortSignal | undefined, caller?: string) {
  for await (const { id, event } of services.live.events(input, signal, caller)) yield tracked(id, event);
}
