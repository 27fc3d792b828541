import { describe, expect, it } from "vitest";
import { createFrame, decimate } from "./decimate";
import { SeriesBuffer } from "./series-buffer";

function bufferOf(points: [number, number][]): SeriesBuffer {
  const b = new SeriesBuffer(16, 100_000);
  for (const [t, v] of points) b.push(t, v);
  return b;
}

describe("decimate", () => {
  it("keeps each pixel column's min and max, so peaks survive", () => {
    const points: [number, number][] = [];
    for (let t = 0; t < 1000; t++) points.push([t, t === 437 ? 99 : t === 612 ? -99 : 0]);
    const frame = createFrame(1);
    decimate(frame, [bufferOf(points)], 0, 1000, 10);
    expect(frame.xs).toHaveLength(20);
    const ys = frame.ys[0] as (number | undefined)[];
    const drawn = ys.filter((y): y is number => typeof y === "number");
    expect(Math.max(...drawn)).toBe(99);
    expect(Math.min(...drawn)).toBe(-99);
    // A flat column keeps one vertex, not two.
    expect(ys[2 * 0]).toBe(0);
    expect(ys[2 * 0 + 1]).toBeUndefined();
    expect(ys[2 * 4 + 1]).toBe(99);
    expect(ys[2 * 6]).toBe(-99);
  });

  it("marks a long silence as a gap (null) and sparse columns as spanned (undefined)", () => {
    // One point a second, then nothing for 10 s, then one a second again.
    const points: [number, number][] = [];
    for (let t = 0; t <= 5000; t += 1000) points.push([t, 1]);
    for (let t = 16_000; t <= 20_000; t += 1000) points.push([t, 2]);
    const frame = createFrame(1);
    decimate(frame, [bufferOf(points)], 0, 20_000, 200);
    const ys = frame.ys[0] as (number | null | undefined)[];
    expect(ys.filter((y) => y === null)).toHaveLength(1);
    const gapAt = ys.indexOf(null);
    expect(gapAt).toBeGreaterThan(2 * 50);
    expect(gapAt).toBeLessThan(2 * 160);
    // Between two points one second apart: undefined (uPlot connects across it), not null.
    expect(ys[2 * 5 + 1]).toBeUndefined();
  });

  it("reuses its output arrays between calls with the same width", () => {
    const frame = createFrame(2);
    const b = bufferOf([[0, 1], [500, 2]]);
    decimate(frame, [b, undefined], 0, 1000, 50);
    const [xs, y0, y1] = [frame.xs, frame.ys[0], frame.ys[1]];
    decimate(frame, [b, undefined], 100, 1100, 50);
    expect(frame.xs).toBe(xs);
    expect(frame.ys[0]).toBe(y0);
    expect(frame.ys[1]).toBe(y1);
    expect((frame.ys[1] as unknown[]).every((y) => y === undefined)).toBe(true);
  });
});
