export { appRouter } from "./root";
export type { AppRouter } from "./root";
export type { Context } from "./trpc";
export type { ApiServices, Batch, CatalogStore, EventLog, HistoryQuery, IngestPath, ReplayResult } from "./services";
