import { describe, expect, it } from "vitest";
import { SeriesStore } from "./series-store";

const HOUR = 3_600_000;
const T0 = 1_700_000_000_000;

/** What the dashboard does for a long window: backfill it downsampled, then live points at 1 Hz, trimmed to window + extra. */
function liveDay(hoursLive: number, windowMs: number) {
  const store = new SeriesStore();
  const historyPoints = 1000;
  const step = windowMs / historyPoints;
  const ts = Array.from({ length: historyPoints }, (_, i) => T0 - windowMs + i * step);
  store.mergeHistory([{ series: "cpu", ts, value: ts.map((_, i) => i % 100), min: [], max: [] }], step);
  let now = T0;
  for (let s = 0; s < hoursLive * 3600; s++) {
    now = T0 + s * 1000;
    // A spike every 6 h: thinning must keep the envelope, not only a sample of it.
    store.appendPoints([{ series: "cpu", ts: now, value: s % (6 * 3600) === 0 ? 1000 : 50 }]);
    if (s % 60 === 0) store.dropBefore(now - 2 * windowMs);
  }
  return { buffer: store.buffer("cpu"), now };
}

describe("dashboard series store: long windows", () => {
  it("a 24 h window keeps its whole window after 30 h of live points at 1 Hz (it lost the oldest history after ~10 h)", () => {
    const { buffer, now } = liveDay(30, 24 * HOUR);
    expect(buffer.firstTs).toBeLessThanOrEqual(now - 24 * HOUR);
    expect(buffer.lastTs).toBe(now);
    expect(buffer.length).toBeLessThanOrEqual(buffer.maxPoints);
    expect(buffer.ts.length).toBeLessThanOrEqual(buffer.maxCapacity);
    const ts = Array.from(buffer.ts.subarray(buffer.start, buffer.end));
    expect(ts.every((t, i) => i === 0 || t > (ts[i - 1] as number))).toBe(true);
    // Every 6-hourly spike inside the window is still there (min/max kept per thinned bucket).
    const values = Array.from(buffer.values.subarray(buffer.start, buffer.end));
    const spikes = ts.filter((t, i) => values[i] === 1000 && t >= now - 24 * HOUR);
    expect(spikes.length).toBe(4);
    // Enough points left to draw the window at a chart's width (at least one per 20 s).
    expect(ts.filter((t) => t >= now - 24 * HOUR).length).toBeGreaterThanOrEqual((24 * 3600) / 20);
  });

  it("after 12 h of live points a 24 h window still has its start, and its newest hour at least a point per 20 s", () => {
    const { buffer, now } = liveDay(12, 24 * HOUR);
    const ts = Array.from(buffer.ts.subarray(buffer.start, buffer.end));
    expect(ts.filter((t) => t > now - HOUR).length).toBeGreaterThanOrEqual(3600 / 20);
    expect(buffer.firstTs).toBeLessThanOrEqual(now - 24 * HOUR);
  });
});
