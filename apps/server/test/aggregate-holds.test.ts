import { describe, expect, it } from "vitest";
import { createAggregateHolds } from "../src/live/aggregate-holds";
import { createMemberBudgets } from "../src/live/aggregate-budget";

describe("who holds which aggregation stays bounded however many addresses come and go", () => {
  it("idle holds past maxIdleHolds are forgotten oldest first; held ones with a subscriber never are", () => {
    let clock = 0;
    const holds = createAggregateHolds({ idleMs: 60_000, maxIdleHolds: 100, now: () => clock });
    holds.join("k", "ip:keeper");
    for (let i = 0; i < 5_000; i++) {
      clock++;
      holds.join("k", `ip:10.0.${i >> 8}.${i & 255}`);
      holds.leave("k", `ip:10.0.${i >> 8}.${i & 255}`);
    }
    expect(holds.stats()).toEqual({ addresses: 101, idleHolds: 100, forgottenEarly: 4_900 });
    // The newest idle ones are kept, the subscriber's hold too.
    expect(holds.holds("k", "ip:keeper")).toBe(true);
    expect(holds.holds("k", "ip:10.0.19.135")).toBe(true);
    expect(holds.holds("k", "ip:10.0.0.0")).toBe(false);
    // A minute after they left, all idle ones are gone; the aggregation is still held by its subscriber.
    clock += 60_000;
    holds.expire();
    expect(holds.stats()).toMatchObject({ addresses: 1, idleHolds: 0 });
    expect(holds.held("k")).toBe(true);
    holds.leave("k", "ip:keeper");
    clock += 60_001;
    holds.expire();
    expect(holds.held("k")).toBe(false);
    expect(holds.stats()).toMatchObject({ addresses: 0, idleHolds: 0 });
  });

  it("per-address member charges exist only for running aggregations", () => {
    const budgets = createMemberBudgets({ maxTotal: 1_000, maxPerAddress: 10 });
    for (let i = 0; i < 50; i++) {
      const budget = budgets.open(`k${i}`, `ip:10.0.0.${i}`);
      expect(budget.take()).toBe(true);
      budget.give(1);
      budgets.close(`k${i}`);
    }
    expect(budgets.stats()).toEqual({ used: 0, addresses: 0 });
  });
});
