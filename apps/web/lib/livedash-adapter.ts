import { createLivedashClient } from "@livedash/client";
import { decodeHistoryColumns } from "@livedash/events";
import type { DashboardClient, OpenClientOptions } from "./client-types";

/** DashboardClient on top of @livedash/client: its transport ladder, resume and de-duplication. */
export function openLivedashAdapter(options: OpenClientOptions): DashboardClient {
  const client = createLivedashClient({ url: options.url, transport: options.transport ?? "auto", token: options.token, ticket: options.ticket });
  const { trpc } = client;
  return {
    // The page keys its series by `name`; the catalog now gives the key apart (name and labels parsed):
    // keep the key there until the page reads `key` and `labels` itself.
    catalog: () => trpc.metrics.catalog.query().then((entries) => entries.map((entry) => ({ ...entry, name: entry.key }))),
    labels: (input) => trpc.metrics.labels.query(input),
    // f64: the columns as base64 doubles, decoded here; same numbers as JSON without formatting and parsing them as text.
    history: (input) => trpc.metrics.historyColumns.query({ ...input, encoding: "f64" }).then(decodeHistoryColumns),
    info: () => trpc.system.info.query(),
    alerts: () => trpc.alerts.list.query(),
    annotations: (range) => trpc.metrics.annotations.query(range),
    subscribeLive: (input, handlers) =>
      trpc.metrics.live.subscribe(input, {
        onData: (event) => handlers.onData({ id: event.id, data: event.data }),
        onError: (error) => handlers.onError(error),
      }),
    subscribeHosts: (handlers) =>
      trpc.hosts.live.subscribe({}, {
        onData: (event) => handlers.onData({ id: event.id, data: event.data }),
        onError: (error) => handlers.onError(error),
      }),
    connection: client.connection,
    close: () => client.close(),
  };
}
