export { appRouter } from "./root";
export type { AppRouter } from "./root";
export type { Context } from "./trpc";
export type { AggregateQueries, AlertsApi, AlertsResult, ApiServices, CatalogStore, HistoryQuery, IngestPath, LiveFeed } from "./services";
