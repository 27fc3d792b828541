import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TicketCache, TicketError } from "../../src/auth/ticket-cache";

describe("TicketCache", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function provider(expiresInMs = 60_000) {
    let n = 0;
    const fn = vi.fn(async () => ({ ticket: `t${++n}`, expiresInMs }));
    return fn;
  }

  it("fetches once for concurrent callers and reuses the ticket while more than the margin is left", async () => {
    const fn = provider();
    const cache = new TicketCache(fn, { refreshMarginMs: 20_000, now: () => Date.now() });
    expect(await Promise.all([cache.get(), cache.get(), cache.get()])).toEqual(["t1", "t1", "t1"]);
    expect(fn).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(30_000);
    expect(await cache.get()).toBe("t1");
    cache.close();
  });

  it("renews by timer `margin` before expiry, so a reconnect finds a fresh ticket without waiting", async () => {
    const fn = provider();
    const cache = new TicketCache(fn, { refreshMarginMs: 20_000 });
    await cache.get();
    await vi.advanceTimersByTimeAsync(39_999);
    expect(fn).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fn).toHaveBeenCalledTimes(2);
    expect(await cache.get()).toBe("t2");
    // And again 40 s later: it never lapses.
    await vi.advanceTimersByTimeAsync(40_000);
    expect(fn).toHaveBeenCalledTimes(3);
    cache.close();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(fn).toHaveBeenCalledTimes(3);
    await expect(cache.get()).rejects.toBeInstanceOf(TicketError);
  });

  it("asks again exactly when a grant shorter than the margin ends (a session about to end)", async () => {
    const grants = [{ ticket: "a", expiresInMs: 5_000 }, { ticket: "b", expiresInMs: 60_000 }];
    const fn = vi.fn(async () => grants.shift()!);
    const cache = new TicketCache(fn, { refreshMarginMs: 20_000 });
    await cache.get();
    await vi.advanceTimersByTimeAsync(4_999);
    expect(fn).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fn).toHaveBeenCalledTimes(2);
    cache.close();
  });

  it("serves the old ticket while it lasts when a renewal fails, then rejects; retries with backoff", async () => {
    let fail = false;
    const fn = vi.fn(async () => {
      if (fail) throw new Error("HTTP 502");
      return { ticket: "ok", expiresInMs: 30_000 };
    });
    const cache = new TicketCache(fn, { refreshMarginMs: 20_000, minRefreshMs: 1_000 });
    await cache.get();
    fail = true;
    expect(await cache.get()).toBe("ok"); // 30 s left: no renewal asked yet
    await vi.advanceTimersByTimeAsync(30_000);
    await expect(cache.get()).rejects.toThrow(/no ticket: HTTP 502/);
    const calls = fn.mock.calls.length;
    fail = false;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(fn.mock.calls.length).toBeGreaterThan(calls);
    expect(await cache.get()).toBe("ok");
    cache.close();
  });

  it("refuses a provider answer without a ticket", async () => {
    const cache = new TicketCache(async () => ({ ticket: "", expiresInMs: 1 }));
    await expect(cache.get()).rejects.toThrow(/must return/);
    cache.close();
  });
});
