import type { HistoryColumns, Point, SeriesInfo } from "@livedash/events";
import { SeriesBuffer } from "./series-buffer";
import type { BufferOverflow } from "./series-buffer";

export interface SeriesStoreOptions {
  /** Points a new buffer is sized for before it grows. @default 1024 */
  initialCapacity?: number;
  /** Most points kept per series (a 1-hour window at 10 Hz is 36,000). @default 40_000 */
  maxPointsPerSeries?: number;
  /**
   * What a full buffer does (SeriesBuffer): "thin" keeps the whole window at a coarser resolution, so
   * a 24 h or 30 d window fed by live points at 1 Hz keeps its start (it lost it after ~10 h).
   * @default "thin"
   */
  overflow?: BufferOverflow;
}

/**
 * Every series the page holds, by name: one SeriesBuffer each plus what the catalog says about it.
 * Live points are appended here and nowhere else; charts read buffers in the animation frame,
 * so a point costs two typed-array writes and no React work.
 */
export class SeriesStore {
  private readonly buffers = new Map<string, SeriesBuffer>();
  private readonly infos = new Map<string, SeriesInfo>();
  private readonly newSeriesListeners = new Set<(name: string) => void>();
  private readonly initialCapacity: number;
  private readonly maxPointsPerSeries: number;
  private readonly overflow: BufferOverflow;

  constructor(options: SeriesStoreOptions = {}) {
    this.initialCapacity = options.initialCapacity ?? 1024;
    this.maxPointsPerSeries = options.maxPointsPerSeries ?? 40_000;
    this.overflow = options.overflow ?? "thin";
  }

  buffer(name: string): SeriesBuffer {
    let buffer = this.buffers.get(name);
    if (buffer === undefined) {
      buffer = new SeriesBuffer(this.initialCapacity, this.maxPointsPerSeries, this.overflow);
      this.buffers.set(name, buffer);
      for (const listener of this.newSeriesListeners) listener(name);
    }
    return buffer;
  }

  peek(name: string): SeriesBuffer | undefined {
    return this.buffers.get(name);
  }

  names(): string[] {
    return [...this.buffers.keys()];
  }

  appendPoints(points: readonly Point[]): void {
    for (const p of points) this.buffer(p.series).push(p.ts, p.value);
  }

  /**
   * Fills holes from metrics.history; `bucketMs` is the history's downsampling step. With `range`,
   * only history points strictly inside (after, before) are considered: the caller knows the hole.
   */
  mergeHistory(history: readonly HistoryColumns[], bucketMs: number, range: { after?: number; before?: number } = {}): void {
    const after = range.after ?? Number.NEGATIVE_INFINITY;
    const before = range.before ?? Number.POSITIVE_INFINITY;
    for (const h of history) {
      // Buckets are in ts order: the ones inside (after, before) are one run.
      let start = 0;
      while (start < h.ts.length && (h.ts[start] as number) <= after) start++;
      let end = start;
      while (end < h.ts.length && (h.ts[end] as number) < before) end++;
      if (end === start) continue;
      const ts = Float64Array.from(h.ts.slice(start, end));
      const values = Float64Array.from(h.value.slice(start, end));
      this.buffer(h.series).mergeHistory(ts, values, Math.max(1, bucketMs / 2));
    }
  }

  dropBefore(t: number): void {
    for (const buffer of this.buffers.values()) buffer.dropBefore(t);
  }

  /** Drops the buffers `release` picks (a series gone from the page, or empty): their memory is freed. */
  releaseWhere(release: (name: string, length: number) => boolean): void {
    for (const [name, buffer] of this.buffers) if (release(name, buffer.length)) this.buffers.delete(name);
  }

  setCatalog(infos: readonly SeriesInfo[]): void {
    for (const info of infos) this.infos.set(info.name, info);
  }

  info(name: string): SeriesInfo | undefined {
    return this.infos.get(name);
  }

  catalog(): SeriesInfo[] {
    return [...this.infos.values()];
  }

  /** Called once per series the first time a point (or history) for it arrives. */
  onNewSeries(listener: (name: string) => void): () => void {
    this.newSeriesListeners.add(listener);
    return () => this.newSeriesListeners.delete(listener);
  }
}
