import { describe, expect, it } from "vitest";
import { SeriesBuffer } from "./series-buffer";

const contents = (b: SeriesBuffer) => Array.from(b.ts.subarray(b.start, b.end));

describe("SeriesBuffer", () => {
  it("appends in order and finds ranges by binary search", () => {
    const b = new SeriesBuffer(16, 1000);
    for (let i = 0; i < 10; i++) b.push(i * 10, i);
    expect(b.length).toBe(10);
    expect(b.lowerBound(35)).toBe(b.start + 4);
    expect(b.lowerBound(-1)).toBe(b.start);
    expect(b.lowerBound(1000)).toBe(b.end);
    expect(b.lastValue).toBe(9);
  });

  it("inserts late points in order and replaces an equal timestamp", () => {
    const b = new SeriesBuffer(16, 1000);
    b.push(10, 1);
    b.push(30, 3);
    b.push(20, 2);
    b.push(30, 33);
    expect(contents(b)).toEqual([10, 20, 30]);
    expect(Array.from(b.values.subarray(b.start, b.end))).toEqual([1, 2, 33]);
  });

  it("never holds more than maxCapacity, dropping the oldest first", () => {
    const b = new SeriesBuffer(16, 100);
    for (let i = 0; i < 1000; i++) b.push(i, i);
    expect(b.length).toBeLessThanOrEqual(100);
    expect(b.ts.length).toBeLessThanOrEqual(100);
    expect(b.lastTs).toBe(999);
    const ts = contents(b);
    expect(ts.every((t, i) => i === 0 || t === (ts[i - 1] as number) + 1)).toBe(true);
  });

  it("reuses its arrays once the capacity fits (no allocation per point)", () => {
    const b = new SeriesBuffer(64, 64);
    const arrays = [b.ts, b.values];
    for (let i = 0; i < 10_000; i++) {
      b.push(i, i);
      if (i % 10 === 0) b.dropBefore(i - 40);
    }
    expect([b.ts, b.values]).toEqual(arrays);
    expect(b.ts).toBe(arrays[0]);
  });

  it("merges history only into holes, never next to live points", () => {
    const b = new SeriesBuffer(16, 1000);
    // Live points at 100..140 and 300..320: a hole between, and nothing before 100.
    for (const t of [100, 110, 120, 130, 140, 300, 310, 320]) b.push(t, 1);
    const history = [0, 50, 100, 150, 200, 250, 300];
    const added = b.mergeHistory(history, history.map(() => 2), 25);
    expect(added).toBe(4);
    expect(contents(b)).toEqual([0, 50, 100, 110, 120, 130, 140, 200, 250, 300, 310, 320]);
  });

  it("merging the same history twice adds nothing", () => {
    const b = new SeriesBuffer(16, 1000);
    b.push(500, 1);
    const history = [100, 200, 300];
    b.mergeHistory(history, [1, 2, 3], 50);
    expect(b.mergeHistory(history, [1, 2, 3], 50)).toBe(0);
    expect(contents(b)).toEqual([100, 200, 300, 500]);
  });
});
