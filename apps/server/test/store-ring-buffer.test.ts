import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TimeRing } from "../src/store/ring-buffer";

function contents(ring: TimeRing): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < ring.length; i++) out.push([ring.tsAt(i), ring.valueAt(i)]);
  return out;
}

/** What the ring must hold: every pushed point, stably sorted by ts, the newest `capacity` of them. */
function reference(pushes: ReadonlyArray<readonly [number, number]>, capacity: number): Array<[number, number]> {
  let kept: Array<[number, number]> = [];
  for (const [ts, value] of pushes) {
    // Stable insert after equal timestamps, then drop the oldest while over capacity.
    let at = kept.length;
    while (at > 0 && (kept[at - 1] as [number, number])[0] > ts) at--;
    if (kept.length === capacity && at === 0) continue;
    kept.splice(at, 0, [ts, value]);
    if (kept.length > capacity) kept = kept.slice(kept.length - capacity);
  }
  return kept;
}

describe("TimeRing", () => {
  it("wraps around and keeps the newest `capacity` points in order", () => {
    const ring = new TimeRing(4, 4);
    for (let i = 0; i < 10; i++) ring.push(i * 1000, i);
    expect(ring.length).toBe(4);
    expect(contents(ring)).toEqual([
      [6000, 6],
      [7000, 7],
      [8000, 8],
      [9000, 9],
    ]);
  });

  it("grows by doubling up to capacity and then reuses its arrays", () => {
    const ring = new TimeRing(10, 2);
    expect(ring.allocated).toBe(2);
    for (let i = 0; i < 5; i++) ring.push(i, i);
    expect(ring.allocated).toBe(8);
    for (let i = 5; i < 50; i++) ring.push(i, i);
    expect(ring.allocated).toBe(10);
    expect(contents(ring).map(([ts]) => ts)).toEqual([40, 41, 42, 43, 44, 45, 46, 47, 48, 49]);
  });

  it("inserts a late point at its place, after equal timestamps", () => {
    const ring = new TimeRing(8, 8);
    ring.push(10, 1);
    ring.push(30, 3);
    ring.push(20, 2);
    ring.push(20, 22);
    expect(contents(ring)).toEqual([
      [10, 1],
      [20, 2],
      [20, 22],
      [30, 3],
    ]);
  });

  it("when full, a late point evicts the oldest, and one older than everything is dropped", () => {
    const ring = new TimeRing(3, 3);
    ring.push(10, 1);
    ring.push(20, 2);
    ring.push(40, 4);
    ring.push(30, 3);
    expect(contents(ring)).toEqual([
      [20, 2],
      [30, 3],
      [40, 4],
    ]);
    ring.push(5, 0);
    expect(contents(ring).map(([ts]) => ts)).toEqual([20, 30, 40]);
  });

  it("binary searches bounds", () => {
    const ring = new TimeRing(5, 5);
    for (const ts of [0, 10, 10, 20, 30, 40, 50]) ring.push(ts, ts);
    // Holds 10, 20, 30, 40, 50 after wrapping.
    expect(ring.lowerBound(20)).toBe(1);
    expect(ring.upperBound(20)).toBe(2);
    expect(ring.lowerBound(-1)).toBe(0);
    expect(ring.upperBound(99)).toBe(5);
    expect(ring.lowerBound(99)).toBe(5);
  });

  it("matches a sorted-array reference for any push order (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: -100, max: 100 })), { maxLength: 60 }),
        (capacity, initial, pushes) => {
          const ring = new TimeRing(capacity, initial);
          for (const [ts, value] of pushes) ring.push(ts, value);
          expect(contents(ring)).toEqual(reference(pushes, capacity));
          expect(ring.allocated).toBeLessThanOrEqual(capacity);
        },
      ),
      { numRuns: 500 },
    );
  });
});
