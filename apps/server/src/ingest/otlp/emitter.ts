import type { Point } from "@livedash/events";

/**
 * Why one data point is refused; thrown and caught within the same data point. A plain class, not an
 * Error: a hostile request can refuse every one of its points, and no stack is captured for each.
 */
export class PointRefused {
  constructor(readonly message: string) {}
}

/**
 * Where the series of one data point go: `<name><suffix><tail>` at `ts`. One per request, its fields
 * set per data point (no closure per point on the hot path); non-finite values are counted, not kept.
 */
export class Emitter {
  name = "";
  tail = "";
  ts = 0;
  ordinal = 0;
  nonFinite = 0;
  /** Suffixes of the current data point's points ("" for the metric's own series): which names it described. */
  readonly suffixes: string[] = [];

  /** The key of the data point's own series (suffix ""), interned by SeriesKeys. */
  key = "";

  constructor(
    private readonly points: Point[],
    private readonly sources: number[],
  ) {}

  emit(suffix: string, value: number): void {
    if (!Number.isFinite(value)) {
      this.nonFinite++;
      return;
    }
    this.points.push({ series: suffix === "" ? this.key : this.name + suffix + this.tail, ts: this.ts, value });
    this.sources.push(this.ordinal);
    this.suffixes.push(suffix);
  }
}

export type QuantileSuffixes = readonly (readonly [q: number, suffix: string])[];
