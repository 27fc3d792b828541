export { createSeriesStore, type SeriesStoreOptions } from "./series-store";
export { createStorage, type Storage, type StorageOptions } from "./create-storage";
export { StorageError } from "./disk/sqlite";
export type { HistoryQuery, SeriesStore } from "./types";
