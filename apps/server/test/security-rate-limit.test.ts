import { describe, expect, it } from "vitest";
import { createRateLimiter } from "../src/security/rate-limit";

function clock() {
  const state = { nowMs: 0 };
  return { state, now: () => state.nowMs };
}

describe("createRateLimiter", () => {
  it("allows a burst, then refuses with the time until enough tokens exist", () => {
    const { state, now } = clock();
    const limiter = createRateLimiter({ ratePerSec: 10, burst: 5, now });
    for (let i = 0; i < 5; i += 1) expect(limiter.take("a")).toEqual({ ok: true });
    expect(limiter.take("a")).toEqual({ ok: false, retryAfterMs: 100 });
    state.nowMs = 100;
    expect(limiter.take("a")).toEqual({ ok: true });
    expect(limiter.take("a", 3)).toEqual({ ok: false, retryAfterMs: 300 });
  });

  it("keeps keys apart", () => {
    const { now } = clock();
    const limiter = createRateLimiter({ ratePerSec: 1, burst: 1, now });
    expect(limiter.take("a").ok).toBe(true);
    expect(limiter.take("a").ok).toBe(false);
    expect(limiter.take("b").ok).toBe(true);
  });

  it("holds the average rate over time", () => {
    const { state, now } = clock();
    const limiter = createRateLimiter({ ratePerSec: 1000, burst: 100, now });
    let accepted = 0;
    for (let step = 0; step < 1000; step += 1) {
      state.nowMs = step * 10; // 10 s simulated, 50 points offered every 10 ms (5x the rate)
      if (limiter.take("k", 50).ok) accepted += 50;
    }
    expect(accepted).toBeGreaterThanOrEqual(9_900);
    expect(accepted).toBeLessThanOrEqual(10_000 + 100);
  });

  it("lets a request larger than burst through from a full bucket, then charges the debt", () => {
    const { state, now } = clock();
    const limiter = createRateLimiter({ ratePerSec: 100, burst: 10, now });
    expect(limiter.take("big", 50)).toEqual({ ok: true });
    const refused = limiter.take("big", 1);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.retryAfterMs).toBe(410); // 40 tokens of debt + 1
    state.nowMs = 410;
    expect(limiter.take("big", 1).ok).toBe(true);
  });

  it("bounds memory: maxKeys cap evicts the least recently used key", () => {
    const { now } = clock();
    const limiter = createRateLimiter({ ratePerSec: 1, burst: 1, maxKeys: 3, now });
    for (const key of ["a", "b", "c"]) limiter.take(key);
    limiter.take("a"); // a is now most recent; b is the oldest
    limiter.take("d");
    expect(limiter.size()).toBe(3);
    expect(limiter.take("a").ok).toBe(false); // a was kept, still drained
    expect(limiter.take("b").ok).toBe(true); // b was forgotten, so it starts full
  });

  it("drops idle keys whose buckets refilled, without a timer", () => {
    const { state, now } = clock();
    const limiter = createRateLimiter({ ratePerSec: 10, burst: 10, now });
    for (let i = 0; i < 100; i += 1) limiter.take(`ip-${i}`);
    expect(limiter.size()).toBe(100);
    state.nowMs = 1_000;
    for (let i = 0; i < 60; i += 1) limiter.take("steady");
    expect(limiter.size()).toBeLessThanOrEqual(1);
  });

  it("rejects nonsense options", () => {
    expect(() => createRateLimiter({ ratePerSec: 0, burst: 1 })).toThrow(/must be positive/);
    expect(() => createRateLimiter({ ratePerSec: 1, burst: Number.NaN })).toThrow(/must be positive/);
  });

  it("uses a monotonic default clock", () => {
    const limiter = createRateLimiter({ ratePerSec: 1, burst: 2 });
    expect(limiter.take("x", 2).ok).toBe(true);
    expect(limiter.take("x").ok).toBe(false);
  });
});
