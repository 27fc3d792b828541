export { createSeriesStore, type SeriesStoreOptions } from "./series-store";
export type { HistoryQuery, SeriesStore } from "./types";
