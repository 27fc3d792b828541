import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createPollSession } from "../../src/transports/poll-session";
import type { FetchLike, SessionEvents, SessionSubscription } from "../../src/transports/types";
import { fakeContext } from "../helpers/fake-sessions";

/** Requests a test lets through at most: a client that spins stops here instead of hanging the test. */
const MAX_REQUESTS = 500;

function countingFetch(answer: (n: number) => unknown) {
  let requests = 0;
  const fetch: FetchLike = () => {
    requests++;
    if (requests > MAX_REQUESTS) return new Promise<Response>(() => {});
    return Promise.resolve(new Response(JSON.stringify({ result: { data: answer(requests) } }), { status: 200, headers: { "content-type": "application/json" } }));
  };
  return { fetch, requests: () => Math.min(requests, MAX_REQUESTS) };
}

function run(fetch: FetchLike, ladder: { pollWaitMs: number }) {
  const seen = new Set<string>();
  const events: SessionEvents = {
    onLive: () => {},
    onDown: () => {},
    onStarted: () => {},
    onEvent: (_s, id) => (id === undefined || seen.has(id) ? false : (seen.add(id), true)),
    onSubscriptionError: () => {},
    onSubscriptionComplete: () => {},
  };
  const ctx = fakeContext(fetch, { ...ladder, pollProcedures: { "metrics.live": "metrics.poll" }, backoffBaseMs: 500, maxBackoffMs: 10_000, retryFloorMs: 250 });
  const session = createPollSession(ctx, events);
  const sub: SessionSubscription = { key: 1, path: "metrics.live", lastEventId: null, resumeInput: () => ({ series: ["a"] }) };
  session.add(sub);
  return session;
}

beforeEach(() => {
  vi.useFakeTimers();
  // The jitter draws the middle of its range: request counts are then exact, not luck.
  vi.spyOn(Math, "random").mockReturnValue(0.5);
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe("long-poll pacing", () => {
  const sameReset = () => ({ events: [{ id: "e-5", event: { type: "reset", reason: "engine-restarted" } }], cursor: "e-5" });

  it.each([
    ["the server answers every poll at once with the same reset (Redis down)", 25_000],
    ["pollWaitMs is 0 and nothing is new", 0],
  ])("long-poll does not spin when %s: it backs off", async (_label, pollWaitMs) => {
    const { fetch, requests } = countingFetch(pollWaitMs === 0 ? () => ({ events: [], cursor: "e-1" }) : sameReset);
    const session = run(fetch, { pollWaitMs });
    await vi.advanceTimersByTimeAsync(60_000);
    session.close();
    // Waits of 250 + 0.5 * min(10 s, 500 ms * 2^n): 750, 1250, 2250, 4250, 8250, then 5250 ms each:
    // about 14 requests in a minute, not one per round trip.
    expect(requests()).toBeGreaterThanOrEqual(12);
    expect(requests()).toBeLessThanOrEqual(16);
  });

  it("an answer with new points is re-issued at once; the backoff starts again from the floor after it", async () => {
    // Every other answer carries a new point: the empty ones wait the floor (streak 1), the others none.
    const { fetch, requests } = countingFetch((n) =>
      n % 2 === 0 ? { events: [{ id: `e-${n}`, event: { type: "points", points: [{ series: "a", ts: n, value: n }] } }], cursor: `e-${n}` } : { events: [], cursor: `e-${n - 1}` },
    );
    const session = run(fetch, { pollWaitMs: 25_000 });
    await vi.advanceTimersByTimeAsync(10_000);
    session.close();
    // Each pair costs one wait of 250 + 0.5 * 1000 = 750 ms (streak 1 again after every point), never more.
    expect(requests()).toBeGreaterThanOrEqual(2 * Math.floor(10_000 / 750));
    expect(requests()).toBeLessThanOrEqual(2 * Math.ceil(10_000 / 750) + 2);
  });
});
