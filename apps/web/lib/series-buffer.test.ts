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

  it("an out-of-order point into a full buffer lands in order (its position is found after the cap made room)", () => {
    const b = new SeriesBuffer(16, 16);
    for (let i = 0; i < 200; i++) b.push(i * 10, i);
    const before = contents(b);
    b.push(before.at(-1)! - 5, -1);
    const after = contents(b);
    expect(after.every((t, i) => i === 0 || t > (after[i - 1] as number))).toBe(true);
    expect(after).toContain(before.at(-1)! - 5);
    expect(b.lastTs).toBe(before.at(-1));
    expect(b.lastValue).toBe(199);
  });

  it("the cap drops the oldest point at a time, not a quarter of the buffer (a 1-hour chart at 10 Hz keeps its left edge)", () => {
    const b = new SeriesBuffer(1024, 40_000);
    for (let i = 0; i < 60_000; i++) b.push(i * 100, i);
    const kept = b.length;
    expect(kept).toBeGreaterThanOrEqual(36_000);
    for (let i = 60_000; i < 60_100; i++) {
      b.push(i * 100, i);
      // Exactly one point leaves for each one that arrives.
      expect(b.length).toBe(kept);
      expect(b.firstTs).toBe((i - kept + 1) * 100);
    }
  });

  it("releases memory when the kept range shrinks (a window made smaller, a series gone quiet)", () => {
    const b = new SeriesBuffer(16, 40_000);
    for (let i = 0; i < 30_000; i++) b.push(i, i);
    const big = b.ts.length;
    b.dropBefore(29_900);
    expect(b.length).toBe(100);
    expect(b.ts.length).toBeLessThan(big / 4);
    expect(contents(b)[0]).toBe(29_900);
    b.dropBefore(Number.POSITIVE_INFINITY);
    expect(b.length).toBe(0);
    expect(b.ts.length).toBeLessThanOrEqual(64);
  });
});
