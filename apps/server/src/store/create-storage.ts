import type { LivedashConfig } from "../config";
import { openDiskStore } from "./disk/disk-store";
import type { DiskStorage, DiskStoreOptions } from "./disk/disk-store";
import { createSeriesStore } from "./series-store";
import type { SeriesStore } from "./types";

/** Tunables of the disk store that are not environment settings (tests and benchmarks). */
export type StorageOptions = Omit<DiskStoreOptions, "dataDir" | "tiers" | "replayBatches">;

export interface Storage {
  readonly kind: "disk" | "memory";
  readonly store: SeriesStore;
  /** The disk store's extra handles (ids, flush, stats); null with LIVEDASH_STORAGE=memory. */
  readonly disk: DiskStorage | null;
  close(): void;
}

/**
 * LIVEDASH_STORAGE=disk (default): history in LIVEDASH_DATA_DIR, tiered by LIVEDASH_RETENTION.
 * memory: today's ring buffers sized by LIVEDASH_RETENTION_MS, gone at exit (tests, throwaway runs).
 * Throws StorageError (naming the file) when the data file cannot be used.
 */
export function createStorage(config: LivedashConfig, options: StorageOptions = {}): Storage {
  if (config.storage.kind === "memory") {
    const store = createSeriesStore({ retentionMs: config.retentionMs, resolutionMs: Math.min(config.tickMs, 1000), maxLatePoints: config.limits.maxLatePoints });
    return { kind: "memory", store, disk: null, close: () => undefined };
  }
  const disk = openDiskStore({
    dataDir: config.storage.dataDir,
    tiers: config.storage.tiers,
    replayBatches: config.replayBatches,
    ...options,
  });
  return { kind: "disk", store: disk.store, disk, close: () => disk.close() };
}
