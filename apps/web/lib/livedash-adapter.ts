import { createLivedashClient } from "@livedash/client";
import type { DashboardClient, OpenClientOptions } from "./client-types";

/** DashboardClient on top of @livedash/client: its transport ladder, resume and de-duplication. */
export function openLivedashAdapter(options: OpenClientOptions): DashboardClient {
  const client = createLivedashClient({ url: options.url, transport: options.transport ?? "auto", token: options.token });
  const { trpc } = client;
  return {
    catalog: () => trpc.metrics.catalog.query(),
    history: (input) => trpc.metrics.historyColumns.query(input),
    info: () => trpc.system.info.query(),
    subscribeLive: (input, handlers) =>
      trpc.metrics.live.subscribe(input, {
        onData: (event) => handlers.onData({ id: event.id, data: event.data }),
        onError: (error) => handlers.onError(error),
      }),
    connection: client.connection,
    close: () => client.close(),
  };
}
