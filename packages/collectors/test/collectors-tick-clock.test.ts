import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Point } from "@livedash/events";
import { startCollectors } from "../src";
import { startTickClock } from "../src/tick-clock";

describe("startCollectors stamps points with the tick's grid slot, not Date.now() (#11: bytes per point on disk)", () => {
  it("every batch of the real collectors is stamped on the 50 ms grid, one slot apart or more", async () => {
    const batches: Point[][] = [];
    // A clock 7 ms off the grid, as a timer firing late reads it: the stamps must not carry it.
    const collectors = startCollectors({ intervalMs: 50, now: () => Date.now() + 7, publish: (points) => batches.push(points), describe: () => undefined, traffic: () => ({ connections: { ws: 0, sse: 0, trpcSse: 0, poll: 0 }, subscriptions: 0, eventsOut: 0, bytesOut: 0, pointsIn: 0 }) }, { onError: () => undefined });
    try {
      await vi.waitFor(() => expect(batches.length).toBeGreaterThanOrEqual(4), { timeout: 10_000 });
    } finally {
      collectors.stop();
    }
    const stamps = batches.map((batch) => {
      const ts = new Set(batch.map((p) => p.ts));
      expect(ts.size).toBe(1);
      return [...ts][0] as number;
    });
    for (const ts of stamps) expect(ts % 50).toBe(0);
    for (let i = 1; i < stamps.length; i++) expect((stamps[i] as number) > (stamps[i - 1] as number)).toBe(true);
  });
});

describe("collector ticks are stamped on the interval grid (#11: Date.now() jitter cost 16 bits a timestamp on disk)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("stamps each tick with its grid slot whatever the timer's jitter", () => {
    vi.setSystemTime(1_000_000_123);
    const stamps: number[] = [];
    // The timers fire on time here; the readings' clock (now) runs up to 40 ms behind and ahead of them.
    let skew = 0;
    const clock = startTickClock(1000, () => Date.now() + skew, (ts) => stamps.push(ts));
    for (const jitter of [7, -3, 40, 0, 13, -1]) {
      skew = jitter;
      vi.advanceTimersByTime(1000);
    }
    clock.stop();
    expect(stamps.length).toBeGreaterThanOrEqual(5);
    for (const ts of stamps) expect(ts % 1000).toBe(0);
    for (let i = 1; i < stamps.length; i++) expect((stamps[i] as number) - (stamps[i - 1] as number)).toBe(1000);
  });

  it("the first tick comes at least half an interval after the start", () => {
    vi.setSystemTime(5_000_900);
    const stamps: number[] = [];
    const clock = startTickClock(1000, Date.now, (ts) => stamps.push(ts));
    vi.advanceTimersByTime(499);
    expect(stamps).toEqual([]);
    vi.advanceTimersByTime(1101);
    expect(stamps).toEqual([5_002_000]);
    clock.stop();
  });

  it("a tick delayed past whole slots takes the slot it runs in; stamps never repeat or go back", () => {
    vi.setSystemTime(2_000_000);
    const stamps: number[] = [];
    let offset = 0;
    const clock = startTickClock(1000, () => Date.now() + offset, (ts) => stamps.push(ts));
    vi.advanceTimersByTime(1000);
    // The clock the ticks read jumps 3.5 s ahead (a blocked loop seen from the timer's side), then
    // reads 2 ms early: the stamp must still move forward.
    offset = 3500;
    vi.advanceTimersByTime(1000);
    offset = 3498;
    vi.advanceTimersByTime(1000);
    clock.stop();
    vi.advanceTimersByTime(5000);
    expect(stamps).toEqual([2_001_000, 2_005_000, 2_006_000]);
  });

  it("a wall clock stepped back an hour (NTP) stalled collection for the hour: ticks go on at once on the new time", () => {
    vi.setSystemTime(5_000_000);
    const stamps: number[] = [];
    let offset = 0;
    const clock = startTickClock(1000, () => Date.now() + offset, (ts) => stamps.push(ts));
    vi.advanceTimersByTime(3000);
    expect(stamps).toEqual([5_001_000, 5_002_000, 5_003_000]);
    // The clock the ticks read steps back one hour between two ticks.
    offset = -3_600_000;
    vi.advanceTimersByTime(5000);
    clock.stop();
    // The tick armed before the step keeps its order; after it the grid re-anchors on the new time
    // (those stamps are earlier than the old ones: the store takes them as late points or refuses them).
    expect(stamps.length).toBeGreaterThanOrEqual(7);
    expect(stamps[3]).toBe(5_004_000);
    const after = stamps.slice(4);
    for (const ts of after) expect(ts % 1000).toBe(0);
    for (let i = 1; i < after.length; i++) expect(after[i]! - after[i - 1]!).toBe(1000);
    expect(after[0]).toBeLessThan(5_004_000 - 3_500_000);
  });
});
