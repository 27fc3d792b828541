import type { ConnectionState } from "@livedash/client";
import type { HistoryColumns, HistoryInput, LiveEvent, Point } from "@livedash/events";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { DashboardClient, LiveHandlers } from "./client-types";
import { LiveFeed } from "./live-feed";
import { ServerClock } from "./server-clock";
import { SeriesStore } from "./series-store";

const SERIES = "app.wave";
/** The server's clock at the start of each test; the browser's is `skewMs` off it. */
const T0 = 1_800_000_000_000;

/** A scripted server on the fake timers' clock: the test says what the subscription delivers; history answers from `truth`. */
function fakeServer() {
  const truth: Point[] = [];
  const historyCalls: { input: HistoryInput; at: number }[] = [];
  const subscriptions: { input: { series: string[]; lastEventId?: string | null }; handlers: LiveHandlers; closed: boolean }[] = [];
  const listeners = new Set<(s: ConnectionState) => void>();
  let state: ConnectionState = { transport: "ws", status: "live", lastEventAt: null, reconnects: 0, error: null, lastCoalescedAt: null };
  let failHistory = 0;
  let infoCalls = 0;
  let nextId = 1;
  const client: DashboardClient = {
    catalog: async () => [{ name: SERIES, unit: "none", kind: "gauge", description: "", last: null }],
    history: async (input) => {
      historyCalls.push({ input, at: Date.now() });
      if (failHistory > 0) {
        failHistory--;
        throw new Error("history: 503");
      }
      const from = input.from ?? 0;
      const to = input.to ?? Number.POSITIVE_INFINITY;
      const points = truth.filter((p) => p.ts >= from && p.ts <= to);
      return input.series.map((series): HistoryColumns => {
        const own = series === SERIES ? points : [];
        const value = own.map((p) => p.value);
        return { series, ts: own.map((p) => p.ts), value, min: value, max: value };
      });
    },
    info: async () => (infoCalls++, { instanceId: "i", engine: "memory", version: "t", startedAt: T0, now: Date.now(), tickMs: 1000, retentionMs: 3_600_000 }),
    alerts: () => Promise.reject(new Error("not used by the feed")),
    annotations: async () => [],
    labels: async () => ({ series: 0, labels: [], truncated: false }),
    subscribeLive: (input, handlers) => {
      const sub = { input, handlers, closed: false };
      subscriptions.push(sub);
      return { unsubscribe: () => void (sub.closed = true) };
    },
    subscribeHosts: () => ({ unsubscribe: () => {} }),
    connection: {
      get: () => state,
      subscribe: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    close: () => {},
  };
  const live = () => subscriptions.filter((s) => !s.closed).at(-1)!;
  return {
    client,
    truth,
    historyCalls,
    subscriptions,
    failHistoryTimes: (n: number) => (failHistory = n),
    /** Server produces points at these server times (kept in history) without delivering them. */
    produce: (tss: number[]) => tss.map((ts) => truth.push({ series: SERIES, ts, value: ts % 1000 })),
    deliver: (event: LiveEvent) => live().handlers.onData({ id: `e-${nextId++}`, data: event }),
    deliverPoints: (tss: number[]) => live().handlers.onData({ id: `e-${nextId++}`, data: { type: "points", points: tss.map((ts) => ({ series: SERIES, ts, value: ts % 1000 })) } }),
    fail: (error: Error) => live().handlers.onError(error),
    setStatus: (status: ConnectionState["status"]) => {
      state = { ...state, status };
      for (const l of listeners) l(state);
    },
    /** The client reports every delivered event as a state change (lastEventAt moves). */
    tickLastEventAt: () => {
      state = { ...state, lastEventAt: Date.now() };
      for (const l of listeners) l(state);
    },
    infoCalls: () => infoCalls,
  };
}

function setup(skewMs = 0, windowMs = 60_000) {
  const server = fakeServer();
  const store = new SeriesStore();
  // Monotonic time is the fake timers' clock; the browser's wall clock is skewed by `skewMs`.
  const clock = new ServerClock({ monotonicNow: () => Date.now(), wallNow: () => Date.now() + skewMs });
  const errors: unknown[] = [];
  const feed = new LiveFeed({
    client: server.client,
    store,
    clock,
    patterns: [SERIES],
    windowMs,
    retry: { retryFloorMs: 1000, backoffBaseMs: 1000, maxBackoffMs: 30_000 },
    onError: (e) => errors.push(e),
  });
  const held = () => {
    const b = store.peek(SERIES);
    return b === undefined ? [] : Array.from(b.ts.subarray(b.start, b.end));
  };
  return { server, store, clock, feed, errors, held };
}

/** One point every 100 ms of server time in [from, to). */
const every100 = (from: number, to: number) => Array.from({ length: Math.max(0, Math.ceil((to - from) / 100)) }, (_, i) => from + i * 100);
const sortedUnique = (ts: number[]) => ts.every((t, i) => i === 0 || t > (ts[i - 1] as number));

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
  vi.spyOn(Math, "random").mockReturnValue(0.5);
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe("LiveFeed stitching", () => {
  it("after a reset the backfill waits for the live points, then fills exactly the hole at raw resolution, never doubling a point", async () => {
    const { server, feed, held } = setup();
    await feed.start();
    server.historyCalls.length = 0;
    const before = every100(T0, T0 + 2000);
    server.produce(before);
    server.deliverPoints(before);
    await vi.advanceTimersByTimeAsync(10_000);
    // Points the page never got (the server restarted its replay window), then a reset.
    const missed = every100(T0 + 2000, T0 + 10_000);
    server.produce(missed);
    server.deliver({ type: "reset", reason: "too-old" });
    await vi.advanceTimersByTimeAsync(200);
    expect(server.historyCalls).toEqual([]);
    const after = every100(T0 + 10_000, T0 + 10_300);
    server.produce(after);
    server.deliverPoints(after);
    await vi.advanceTimersByTimeAsync(0);
    expect(server.historyCalls.map((c) => [c.input.from, c.input.to])).toEqual([[T0 + 1900, T0 + 10_000]]);
    // Raw: the request may return every point of the hole.
    expect(server.historyCalls[0]?.input.maxPoints).toBeGreaterThanOrEqual(missed.length);
    expect(held()).toEqual([...before, ...missed, ...after]);
    feed.close();
  });

  it("a replay cut short by a reset: the hole after the replayed points is filled, up to the first live point", async () => {
    const { server, feed, held } = setup();
    await feed.start();
    server.historyCalls.length = 0;
    server.deliverPoints([T0, T0 + 100]);
    server.setStatus("reconnecting");
    await vi.advanceTimersByTimeAsync(30_000);
    server.setStatus("live");
    // Part of the missed range is replayed (old points), then the server gives up with a reset.
    server.deliverPoints(every100(T0 + 200, T0 + 1000));
    server.produce(every100(T0 + 1000, T0 + 29_000));
    server.deliver({ type: "reset", reason: "lagged" });
    server.deliverPoints([T0 + 30_000]);
    await vi.advanceTimersByTimeAsync(0);
    expect(server.historyCalls.map((c) => [c.input.from, c.input.to])).toEqual([[T0 + 900, T0 + 30_000]]);
    expect(held()).toEqual([...every100(T0, T0 + 29_000), T0 + 30_000]);
    feed.close();
  });

  it("a subscription that fails before any live point still has its hole filled from where the window backfill ended", async () => {
    const { server, feed, held } = setup();
    server.produce(every100(T0 - 5_000, T0));
    await feed.start();
    server.historyCalls.length = 0;
    server.fail(new Error("UNAUTHORIZED"));
    await vi.advanceTimersByTimeAsync(20_000);
    server.setStatus("live");
    server.produce(every100(T0 + 100, T0 + 20_000));
    server.deliver({ type: "reset", reason: "unknown-id" });
    server.deliverPoints([T0 + 20_000]);
    await vi.advanceTimersByTimeAsync(0);
    expect(server.historyCalls.map((c) => c.input.from)).toEqual([T0]);
    expect(held()).toEqual([...every100(T0 - 5_000, T0), ...every100(T0 + 100, T0 + 20_000), T0 + 20_000]);
    feed.close();
  });

  it("a failed backfill is retried with backoff until it succeeds", async () => {
    const { server, feed, held, errors } = setup();
    await feed.start();
    server.historyCalls.length = 0;
    server.produce([T0 + 100]);
    server.deliverPoints([T0 + 100]);
    await vi.advanceTimersByTimeAsync(5_000);
    server.produce([T0 + 2000, T0 + 3000]);
    server.failHistoryTimes(2);
    server.deliver({ type: "reset", reason: "engine-restarted" });
    server.produce([T0 + 5000]);
    server.deliverPoints([T0 + 5000]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(server.historyCalls.length).toBe(3);
    const gaps = server.historyCalls.slice(1).map((c, i) => c.at - (server.historyCalls[i]?.at ?? 0));
    // Floor 1 s plus half of min(30 s, 1 s * 2^attempt): 1.5 s, then 2 s.
    expect(gaps).toEqual([1500, 2000]);
    expect(errors.length).toBe(2);
    expect(held()).toEqual([T0 + 100, T0 + 2000, T0 + 3000, T0 + 5000]);
    feed.close();
  });

  it("after a long disconnect no history is asked while the replay arrives; a replay that covers the seam needs none", async () => {
    const { server, feed, held } = setup();
    await feed.start();
    server.historyCalls.length = 0;
    server.deliverPoints(every100(T0, T0 + 1000));
    server.setStatus("reconnecting");
    await vi.advanceTimersByTimeAsync(20_000);
    server.setStatus("live");
    // The resume replays the 20 s the page missed, in batches, some time apart.
    for (let s = 1; s < 21; s += 5) {
      server.deliverPoints(every100(T0 + s * 1000, T0 + (s + 5) * 1000));
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(server.historyCalls).toEqual([]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(server.historyCalls).toEqual([]);
    const ts = held();
    expect(sortedUnique(ts)).toBe(true);
    expect(ts.length).toBe(10 + 200);
    feed.close();
  });

  it("after a long disconnect whose replay starts late, only the seam the replay did not cover is filled", async () => {
    const { server, feed, held } = setup();
    await feed.start();
    server.historyCalls.length = 0;
    server.deliverPoints([T0, T0 + 100]);
    server.setStatus("offline");
    await vi.advanceTimersByTimeAsync(30_000);
    server.produce([T0 + 10_000, T0 + 20_000]);
    server.setStatus("live");
    server.deliverPoints([T0 + 29_900, T0 + 30_000]);
    await vi.advanceTimersByTimeAsync(0);
    expect(server.historyCalls.map((c) => [c.input.from, c.input.to])).toEqual([[T0 + 100, T0 + 29_900]]);
    expect(held()).toEqual([T0, T0 + 100, T0 + 10_000, T0 + 20_000, T0 + 29_900, T0 + 30_000]);
    feed.close();
  });

  it("a dead subscription (a 500 on the last subscription) is resubscribed with backoff, from the last event id", async () => {
    const { server, feed } = setup();
    const states: (number | null)[] = [];
    await feed.start();
    server.deliverPoints([T0 + 10]);
    server.fail(new Error("INTERNAL_SERVER_ERROR"));
    states.push(feed.getState().resubscribeAt);
    expect(server.subscriptions.filter((s) => !s.closed).length).toBe(1);
    await vi.advanceTimersByTimeAsync(1499);
    expect(server.subscriptions.length).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.subscriptions.length).toBe(2);
    expect(server.subscriptions[1]?.input.lastEventId).toBe("e-1");
    expect(feed.getState().resubscribeAt).toBe(null);
    server.fail(new Error("UNAUTHORIZED"));
    await vi.advanceTimersByTimeAsync(1999);
    expect(server.subscriptions.length).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.subscriptions.length).toBe(3);
    expect(states[0]).toBe(T0 + 1500);
    feed.close();
  });
});

describe("LiveFeed in server time", () => {
  it("reads the server's clock on each return to live, not on every event the client reports", async () => {
    const { server, feed } = setup();
    await feed.start();
    const atStart = server.infoCalls();
    for (let i = 0; i < 50; i++) server.tickLastEventAt();
    await vi.advanceTimersByTimeAsync(0);
    expect(server.infoCalls()).toBe(atStart);
    server.setStatus("reconnecting");
    server.setStatus("live");
    await vi.advanceTimersByTimeAsync(0);
    expect(server.infoCalls()).toBe(atStart + 1);
    feed.close();
  });

  it.each([
    ["5 minutes ahead", 300_000],
    ["5 minutes behind", -300_000],
  ])("a browser clock %s trims nothing the window shows and asks history for the server's window", async (_label, skewMs) => {
    const { server, feed, held, clock } = setup(skewMs);
    await feed.start();
    expect(Math.round(clock.now())).toBe(T0);
    const first = server.historyCalls[0]?.input;
    expect([first?.from, first?.to]).toEqual([T0 - 60_000, T0]);
    server.deliverPoints(every100(T0, T0 + 5000));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(held().length).toBe(50);
    feed.close();
  });

  it("pausing longer than the window keeps the frozen view's points", async () => {
    const { server, feed, held } = setup(0, 60_000);
    await feed.start();
    server.deliverPoints(every100(T0 - 50_000, T0));
    feed.setFrozenAt(T0);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(held()[0]).toBe(T0 - 50_000);
    feed.setFrozenAt(null);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(held()).toEqual([]);
    feed.close();
  });

  it("a zoom asks history for exactly its range at the window's resolution, keeps it however old, and back to live lets it go", async () => {
    const { server, feed, held } = setup(0, 60_000);
    const from = T0 - 3 * 3_600_000;
    const to = T0 - 2 * 3_600_000;
    const old = Array.from({ length: 360 }, (_, i) => from + i * 10_000);
    server.produce(old);
    await feed.start();
    expect(held()).toEqual([]);
    feed.setZoom({ from, to });
    await vi.advanceTimersByTimeAsync(0);
    expect(server.historyCalls.at(-1)?.input).toMatchObject({ series: [SERIES], from, to, maxPoints: 1000 });
    expect(held()).toEqual(old);
    // The same zoom again asks nothing more.
    const calls = server.historyCalls.length;
    feed.setZoom({ from, to });
    expect(server.historyCalls.length).toBe(calls);
    // Hours older than the window, the zoomed range survives trimming.
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(held()).toEqual(old);
    feed.setZoom(null);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(held()).toEqual([]);
    feed.close();
  });

  it("trims a little at a time and releases series that leave the page or stop", async () => {
    const { server, feed, store } = setup(0, 60_000);
    await feed.start();
    server.deliverPoints(every100(T0 - 120_000, T0 + 1));
    const before = store.peek(SERIES)!.length;
    await vi.advanceTimersByTimeAsync(1_000);
    // One second later, one second of points has left: not a block.
    expect(before - store.peek(SERIES)!.length).toBe(10);
    await vi.advanceTimersByTimeAsync(121_000);
    expect(store.names()).toEqual([]);
    server.deliverPoints([T0 + 121_000]);
    feed.setPatterns(["other.*"]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(store.names()).toEqual([]);
    feed.close();
  });
});
