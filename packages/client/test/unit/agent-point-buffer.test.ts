import type { Point } from "@livedash/events";
import { describe, expect, it } from "vitest";
import { createPointBuffer } from "../../src/cli/agent/point-buffer";

const tick = (ts: number, n: number): Point[] => Array.from({ length: n }, (_, i) => ({ series: `s${i}`, ts, value: i }));
const order = (points: Point[]) => points.map((p) => `${p.ts}/${p.series}`);

describe("agent point buffer", () => {
  it("hands out points oldest first across ticks, in batches of at most the asked size", () => {
    const buffer = createPointBuffer(100);
    buffer.push(tick(1, 3));
    buffer.push(tick(2, 3));
    expect(order(buffer.take(4))).toEqual(["1/s0", "1/s1", "1/s2", "2/s0"]);
    expect(buffer.size).toBe(2);
    expect(order(buffer.take(10))).toEqual(["2/s1", "2/s2"]);
    expect(buffer.take(10)).toEqual([]);
  });

  it("drops the oldest points past the bound and counts them", () => {
    const buffer = createPointBuffer(5);
    expect(buffer.push(tick(1, 3))).toBe(0);
    expect(buffer.push(tick(2, 3))).toBe(1);
    expect(buffer.push(tick(3, 3))).toBe(3);
    expect(buffer.size).toBe(5);
    expect(buffer.dropped).toBe(4);
    expect(order(buffer.take(10))).toEqual(["2/s1", "2/s2", "3/s0", "3/s1", "3/s2"]);
  });

  it("puts a batch that failed back in front of newer points, and the bound then drops the oldest of it", () => {
    const buffer = createPointBuffer(6);
    buffer.push(tick(1, 4));
    const batch = buffer.take(3);
    buffer.push(tick(2, 4));
    expect(buffer.size).toBe(5);
    // Back in front of the rest of tick 1 and of tick 2: 8 points, bound 6 -> the 2 oldest go.
    expect(buffer.putBack(batch)).toBe(2);
    expect(order(buffer.take(100))).toEqual(["1/s2", "1/s3", "2/s0", "2/s1", "2/s2", "2/s3"]);
    expect(buffer.dropped).toBe(2);
  });

  it("stays bounded over many ticks (its chunk list is compacted)", () => {
    const buffer = createPointBuffer(50);
    let dropped = 0;
    for (let ts = 0; ts < 20_000; ts++) dropped += buffer.push(tick(ts, 5));
    expect(buffer.size).toBe(50);
    expect(dropped).toBe(20_000 * 5 - 50);
    expect(order(buffer.take(50))[0]).toBe("19990/s0");
  });

  it("refuses a bound that is not a positive integer", () => {
    expect(() => createPointBuffer(0)).toThrow(/maxPoints must be a positive integer \(got 0\)/);
  });
});
