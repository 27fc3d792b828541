import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TimeRing } from "../src/store/ring-buffer";
import { createSeriesStore } from "../src/store";
import type { LivedashServer } from "../src/server";
import { ingest, startTestServer } from "./helpers/server";

function contents(ring: TimeRing): number[] {
  return Array.from({ length: ring.length }, (_, i) => ring.tsAt(i));
}

describe("out-of-order points cost at most the reorder window", () => {
  it("an out-of-order point costs O(buffer) in the ring buffer: one behind more than maxLateSlots newer points is refused", () => {
    const ring = new TimeRing(1000, 1000, 4);
    for (let ts = 10; ts <= 100; ts += 10) ring.push(ts, ts);
    // 45 has 6 newer points (50..100): past the window of 4, so it would shift 6 slots.
    expect(ring.push(45, 0)).toBe(false);
    expect(contents(ring)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    // 75 has 3 newer points: inside the window, inserted in order.
    expect(ring.push(75, 0)).toBe(true);
    expect(contents(ring)).toEqual([10, 20, 30, 40, 50, 60, 70, 75, 80, 90, 100]);
    expect(ring.newerThan(45)).toBe(7);
    expect(ring.newerThan(100)).toBe(0);
  });

  it("the store says how late a point would be, and leaves out what the ring refused", () => {
    const store = createSeriesStore({ capacityPerSeries: 100, maxLatePoints: 2 });
    store.append([1, 2, 3, 4].map((ts) => ({ series: "s", ts, value: ts })));
    expect(store.latePoints("s", 1.5)).toBe(3);
    expect(store.latePoints("s", 9)).toBe(0);
    expect(store.latePoints("unknown", 1)).toBe(0);
    store.append([{ series: "s", ts: 1.5, value: 0 }]);
    expect(store.history("s", { from: 0, to: 10, maxPoints: 100 }).map((p) => p.ts)).toEqual([1, 2, 3, 4]);
  });
});

describe("ingest refuses points later than LIVEDASH_MAX_LATE_POINTS", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer({ LIVEDASH_MAX_LATE_POINTS: "3" });
  });
  afterAll(async () => {
    await server.close();
  });

  it("answers 400 naming the point, the series and the limit; points inside the window are accepted", async () => {
    const base = Date.now() - 60_000;
    expect((await ingest(server.url, Array.from({ length: 10 }, (_, i) => ({ series: "late.x", ts: base + i * 1000, value: i })))).status).toBe(200);
    const tooLate = await ingest(server.url, [{ series: "late.y", value: 1 }, { series: "late.x", ts: base + 500, value: -1 }]);
    expect(tooLate.status).toBe(400);
    expect(JSON.stringify(tooLate.body)).toContain("points[1].ts: 9 newer points of series 'late.x' are already held (limit 3 late points per series, LIVEDASH_MAX_LATE_POINTS)");
    expect((await ingest(server.url, [{ series: "late.x", ts: base + 7500, value: 7.5 }])).status).toBe(200);
  });

  it("checks every point of a series in the request: a late one after an in-order one, and each of two late ones in a row", async () => {
    const base = Date.now() - 120_000;
    expect((await ingest(server.url, Array.from({ length: 10 }, (_, i) => ({ series: "late.z", ts: base + i * 1000, value: i })))).status).toBe(200);
    // The first point is new (in order); the second goes back behind 9 held points (base+1000..9000).
    const backwards = await ingest(server.url, [{ series: "late.z", ts: base + 20_000, value: 1 }, { series: "late.z", ts: base + 100, value: 2 }]);
    expect(backwards.status).toBe(400);
    expect(JSON.stringify(backwards.body)).toContain("points[1].ts: 9 newer points of series 'late.z'");
    // Two late points in ts order: both are named (the second is not skipped behind the first).
    const both = await ingest(server.url, [{ series: "late.z", ts: base + 100, value: 1 }, { series: "late.z", ts: base + 200, value: 2 }]);
    expect(both.status).toBe(400);
    expect(JSON.stringify(both.body)).toContain("2 invalid points; first: points[0].ts: 9 newer points");
  });
});
