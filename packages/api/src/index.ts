export { appRouter } from "./root";
export type { AppRouter } from "./root";
export type { Context } from "./trpc";
export type { AggregateQueries, AlertsApi, AlertsResult, ApiServices, CatalogStore, HistoryQuery, HostsApi, IngestPath, LiveFeed } from "./services";
