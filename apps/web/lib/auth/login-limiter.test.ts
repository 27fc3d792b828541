import { describe, expect, it } from "vitest";
import { LoginLimiter } from "./login-limiter";

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe("LoginLimiter", () => {
  it("blocks a key after maxFailures in the window and frees it when the window ends", () => {
    const c = clock();
    const limiter = new LoginLimiter({ maxFailures: 3, windowMs: 60_000, now: c.now });
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfterMs("ip:1")).toBe(0);
      limiter.fail("ip:1");
    }
    expect(limiter.retryAfterMs("ip:1")).toBe(60_000);
    expect(limiter.retryAfterMs("ip:2")).toBe(0);
    c.advance(59_999);
    expect(limiter.retryAfterMs("ip:1")).toBe(1);
    c.advance(1);
    expect(limiter.retryAfterMs("ip:1")).toBe(0);
  });

  it("clear() forgets a key's failures", () => {
    const limiter = new LoginLimiter({ maxFailures: 1 });
    limiter.fail("user:admin");
    expect(limiter.retryAfterMs("user:admin")).toBeGreaterThan(0);
    limiter.clear("user:admin");
    expect(limiter.retryAfterMs("user:admin")).toBe(0);
  });

  it("keeps at most maxKeys entries however many keys fail, evicting the least recently failed", () => {
    const limiter = new LoginLimiter({ maxFailures: 1, maxKeys: 100 });
    for (let i = 0; i < 10_000; i++) {
      limiter.fail(`ip:${i}`);
      expect(limiter.size).toBeLessThanOrEqual(100);
    }
    expect(limiter.retryAfterMs("ip:9999")).toBeGreaterThan(0);
    expect(limiter.retryAfterMs("ip:0")).toBe(0);
  });

  it("drops expired keys as new failures arrive (no timer)", () => {
    const c = clock();
    const limiter = new LoginLimiter({ maxFailures: 5, windowMs: 1_000, maxKeys: 1_000, now: c.now });
    for (let i = 0; i < 8; i++) limiter.fail(`old:${i}`);
    c.advance(1_000);
    limiter.fail("new:1");
    limiter.fail("new:2");
    expect(limiter.size).toBe(2);
  });
});
