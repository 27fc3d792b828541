import { describe, expect, it } from "vitest";
import { HISTOGRAM_MAX_MS, createHistogram, mergeSparse } from "../lib/histogram.mjs";

describe("histogram", () => {
  it("merges sparse histograms from several processes into exact percentiles", () => {
    const a = createHistogram();
    const b = createHistogram();
    for (let ms = 1; ms <= 50; ms += 1) a.record(ms);
    for (let ms = 51; ms <= 100; ms += 1) b.record(ms);
    const merged = mergeSparse([a.toSparse(), b.toSparse()]);
    expect(merged.total).toBe(100);
    expect(merged.quantile(0.5)).toBe(50);
    expect(merged.quantile(0.99)).toBe(99);
    expect(merged.max()).toBe(100);
  });

  it("clamps negative and huge latencies and answers null with no samples", () => {
    const h = createHistogram();
    h.record(-3);
    h.record(10 * HISTOGRAM_MAX_MS);
    expect(h.toSparse()).toEqual([[0, 1], [HISTOGRAM_MAX_MS, 1]]);
    expect(mergeSparse([]).quantile(0.5)).toBeNull();
  });
});
