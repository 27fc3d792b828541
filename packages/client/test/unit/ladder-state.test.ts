import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ConnectionState } from "../../src/connection-state";
import { Ladder } from "../../src/ladder/ladder";
import type { SubscriptionObserver } from "../../src/ladder/subscription";
import { fakeContext, fakeFactories, reachableFetch } from "../helpers/fake-sessions";

const OPTS = { backoffBaseMs: 100, maxBackoffMs: 10_000, retryFloorMs: 250, stableLiveMs: 5_000, fallbackAfterFailures: 3, offlineAfterFailures: 3 };

function observer() {
  const calls: string[] = [];
  const errors: unknown[] = [];
  const obs: SubscriptionObserver = {
    onStarted: () => calls.push("started"),
    onData: () => calls.push("data"),
    onError: (e) => {
      calls.push("error");
      errors.push(e);
    },
    onComplete: () => calls.push("complete"),
  };
  return { obs, calls, errors };
}

function setup(options: Partial<typeof OPTS> = {}, preference: "auto" | "ws" = "auto") {
  const { factories, sessions } = fakeFactories();
  const ladder = new Ladder(fakeContext(reachableFetch, { ...OPTS, ...options }), preference, factories);
  const states: ConnectionState[] = [];
  ladder.state.subscribe((s) => states.push(s));
  return { ladder, sessions, states, last: () => sessions.at(-1)! };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe("ladder state machine", () => {
  it("a failed last subscription (a 500, a 401 after a token change) does not leave the status live", () => {
    const { ladder, last } = setup();
    const { obs, calls } = observer();
    ladder.subscribe("metrics.live", { series: ["a"] }, obs);
    const session = last();
    session.events.onLive();
    session.events.onStarted(session.subs.get(1)!);
    expect(ladder.state.get().status).toBe("live");
    session.events.onSubscriptionError(session.subs.get(1)!, new Error("INTERNAL_SERVER_ERROR: boom"));
    expect(calls).toEqual(["started", "error"]);
    expect(ladder.state.get().status).toBe("failed");
    expect(ladder.state.get().error).toMatch(/boom/);
    expect(session.closed).toBe(true);
    ladder.close();
  });

  it("a completed last subscription says idle; a new one goes connecting, then live, and clears the error", () => {
    const { ladder, sessions, last } = setup();
    const a = observer();
    ladder.subscribe("metrics.live", { series: ["a"] }, a.obs);
    last().events.onLive();
    last().events.onSubscriptionComplete(last().subs.get(1)!);
    expect(ladder.state.get().status).toBe("idle");
    const b = observer();
    ladder.subscribe("metrics.live", { series: ["a"] }, b.obs);
    expect(sessions.length).toBe(2);
    expect(ladder.state.get().status).toBe("connecting");
    last().events.onLive();
    expect(ladder.state.get()).toMatchObject({ status: "live", error: null });
    ladder.close();
  });

  it("a failed subscription that leaves others running keeps the connection live", () => {
    const { ladder, last } = setup();
    ladder.subscribe("metrics.live", { series: ["a"] }, observer().obs);
    ladder.subscribe("metrics.live", { series: ["b"] }, observer().obs);
    last().events.onLive();
    last().events.onSubscriptionError(last().subs.get(1)!, new Error("BAD_REQUEST"));
    expect(ladder.state.get().status).toBe("live");
    expect(last().closed).toBe(false);
    ladder.close();
  });

  it("a transport that connects and then dies keeps its failure count: it backs off, then falls back a rung", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.999);
    const { ladder, sessions, last } = setup();
    ladder.subscribe("metrics.live", { series: ["a"] }, observer().obs);
    for (let round = 0; round < 3; round++) {
      const session = last();
      expect(session.kind).toBe("ws");
      session.events.onLive();
      session.events.onDown({ kind: "unreachable", message: "closed right after opening" });
      // The ladder asks the server over HTTP (reachable: the transport is the problem), then waits.
      await vi.advanceTimersByTimeAsync(OPTS.maxBackoffMs + OPTS.retryFloorMs);
    }
    expect(last().kind).toBe("sse");
    const gaps = sessions.slice(1, 3).map((s, i) => s.createdAt - (sessions[i] as { createdAt: number }).createdAt);
    // The second wait is longer than the first: the count was not reset by the short-lived "live".
    expect(gaps[1]).toBeGreaterThan(gaps[0] as number);
    expect(ladder.state.get().reconnects).toBe(3);
    ladder.close();
  });

  it("a session that stays live for stableLiveMs resets the count: the next reconnect waits the shortest backoff", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.999);
    const { ladder, sessions, last } = setup();
    ladder.subscribe("metrics.live", { series: ["a"] }, observer().obs);
    last().events.onDown({ kind: "unreachable", message: "refused" });
    await vi.advanceTimersByTimeAsync(OPTS.maxBackoffMs + OPTS.retryFloorMs);
    last().events.onDown({ kind: "unreachable", message: "refused" });
    await vi.advanceTimersByTimeAsync(OPTS.maxBackoffMs + OPTS.retryFloorMs);
    expect(sessions.length).toBe(3);
    last().events.onLive();
    await vi.advanceTimersByTimeAsync(OPTS.stableLiveMs);
    const diedAt = Date.now();
    last().events.onDown({ kind: "unreachable", message: "server restarted" });
    await vi.advanceTimersByTimeAsync(OPTS.maxBackoffMs + OPTS.retryFloorMs);
    expect(sessions.length).toBe(4);
    expect(last().kind).toBe("ws");
    expect(last().createdAt - diedAt).toBeLessThanOrEqual(OPTS.retryFloorMs + OPTS.backoffBaseMs);
    ladder.close();
  });

  it("every reconnect waits at least the floor, even when the jitter draws zero", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0);
    const { ladder, sessions, last } = setup();
    ladder.subscribe("metrics.live", { series: ["a"] }, observer().obs);
    last().events.onLive();
    await vi.advanceTimersByTimeAsync(OPTS.stableLiveMs);
    last().events.onDown({ kind: "unreachable", message: "gone" });
    await vi.advanceTimersByTimeAsync(OPTS.retryFloorMs - 1);
    expect(sessions.length).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sessions.length).toBe(2);
    ladder.close();
  });

  it("server down (unreachable) never falls down the ladder; it goes offline after offlineAfterFailures and keeps the reason", async () => {
    const { ladder, sessions, last } = setup();
    ladder.subscribe("metrics.live", { series: ["a"] }, observer().obs);
    for (let i = 0; i < 5; i++) {
      last().events.onDown({ kind: "unreachable", message: `ECONNREFUSED ${i}` });
      await vi.advanceTimersByTimeAsync(OPTS.maxBackoffMs + OPTS.retryFloorMs);
    }
    expect(sessions.every((s) => s.kind === "ws")).toBe(true);
    expect(ladder.state.get().status).toBe("offline");
    expect(ladder.state.get().error).toMatch(/ECONNREFUSED/);
    ladder.close();
  });
});
