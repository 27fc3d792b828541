export { appRouter } from "./root";
export type { AppRouter } from "./root";
export { describeZodError } from "./trpc";
export type { Context } from "./trpc";
export type { ApiServices, CatalogStore, HistoryQuery, IngestPath, LiveFeed } from "./services";
