import { describe, expect, it } from "vitest";
import { createSeriesStore } from "../src/store/series-store";

const T0 = 1_700_000_000_000;

describe("memory store: series expiry", () => {
  it("a series silent for longer than retentionMs leaves the catalog, the cap and memory (it was kept forever)", () => {
    let clock = T0;
    const store = createSeriesStore({ retentionMs: 60_000, now: () => clock });
    store.append([{ series: "gone", ts: T0, value: 1 }]);
    store.describe([{ series: "described.only", unit: "percent" }]);
    clock += 30_000;
    store.append([{ series: "stays", ts: clock, value: 2 }]);
    expect(store.size()).toBe(3);
    clock = T0 + 60_001;
    // Time of arrival counts, not the point's ts: a backfill of old points is a series reporting now.
    store.append([{ series: "backfilled", ts: T0 - 3_600_000, value: 3 }]);
    expect(store.has("gone")).toBe(false);
    expect(store.has("described.only")).toBe(false);
    expect(store.has("stays")).toBe(true);
    expect(store.has("backfilled")).toBe(true);
    expect(store.size()).toBe(2);
    expect(store.catalog().map((s) => s.name)).toEqual(["backfilled", "stays"]);
    expect(store.historyColumns("gone", { from: 0, to: clock, maxPoints: 10 }).ts).toEqual([]);
    // A series that reports again starts afresh.
    store.append([{ series: "gone", ts: clock, value: 4 }]);
    expect(store.history("gone", { from: 0, to: clock, maxPoints: 10 })).toEqual([{ ts: clock, value: 4, min: 4, max: 4 }]);
  });

  it("expiry is checked on reads too: size() and catalog() stop counting a stale series without new points", () => {
    let clock = T0;
    const store = createSeriesStore({ retentionMs: 10_000, now: () => clock });
    store.append([{ series: "a", ts: T0, value: 1 }]);
    clock += 10_001;
    expect(store.size()).toBe(0);
    expect(store.catalog()).toEqual([]);
  });

  it("rejects a bad clock option naming the field", () => {
    expect(() => createSeriesStore({ now: 5 as unknown as () => number })).toThrow(/now must be a function/);
  });
});
