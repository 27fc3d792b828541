import { randomUUID } from "node:crypto";
import type { LiveEvent, Point } from "@livedash/events";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { LivedashServer } from "../src/server";
import { openPausable } from "./helpers/pausable-live";
import type { PathName, PausableLive } from "./helpers/pausable-live";
import { startRedis } from "./helpers/redis-server";
import type { TestRedis } from "./helpers/redis-server";
import { ingest, startTestServer } from "./helpers/server";

const WAIT = { timeout: 20_000, interval: 25 };
const SERIES = "aggr.cpu";
const SUM_BY_HOST = { op: "sum", by: ["host"] } as const;

/**
 * Live aggregation on the redis engine: every instance feeds its own aggregations from the one
 * stream, so an aggregated subscriber on B sees what was ingested on A (ids are the stream's, equal
 * everywhere), and resumes from B's kept events with no gap and no duplicate.
 */
describe("aggregation on the redis engine, two instances", () => {
  let redis: TestRedis;
  let a: LivedashServer;
  let b: LivedashServer;
  const open: PausableLive[] = [];
  /** The ids of the first test's batches, for the failover test. */
  const firstTestIds: string[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    const env = { REDIS_URL: redis.url, LIVEDASH_REDIS_STREAM: `test:aggr:${randomUUID()}` };
    [a, b] = await Promise.all([startTestServer(env), startTestServer(env)]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(open.splice(0).map((client) => client.close()));
    await Promise.all([a?.close(), b?.close()]);
    await redis?.stop();
  }, 30_000);

  const subscribe = (path: PathName, server: LivedashServer, lastEventId?: string) => {
    const client = openPausable(path, server, { series: [SERIES], aggregate: { ...SUM_BY_HOST, by: [...SUM_BY_HOST.by] }, ...(lastEventId ? { lastEventId } : {}) });
    open.push(client);
    return client;
  };
  const point = (host: string, cpu: number, ts: number, value: number) => ({ series: SERIES, labels: { host, cpu: String(cpu) }, ts, value });
  const sums = (events: readonly { data: LiveEvent }[]) => events.map((e) => (e.data.type === "points" ? e.data.points.map((p: Point) => [p.series, p.value]) : e.data.type));

  it("a subscriber on B gets the sums of points ingested on A (seeded from B's store too), and resumes on B without gaps or duplicates", async () => {
    const t = Date.now() - 10_000;
    // Before anyone aggregates: B's store gets it from the stream, and a new aggregation is seeded with it.
    expect((await ingest(a.url, [point("a", 0, t, 1)])).status).toBe(200);
    await vi.waitFor(() => expect(b.services.store.catalog().some((info) => info.name === `${SERIES}{cpu="0",host="a"}`)).toBe(true), WAIT);

    const baseline = b.services.hub.stats().subscriptions;
    const steady = subscribe("ws", b);
    const resuming = subscribe("sse", b);
    await vi.waitFor(() => expect(b.services.hub.stats().subscriptions - baseline).toBe(2), WAIT);

    // One batch per request, each waited for, so the expected events are exact.
    const script = [
      [point("a", 1, t + 1, 2)], // a = 1 (seeded) + 2
      [point("b", 0, t + 2, 10), point("b", 1, t + 2, 20)], // b = 30
      [point("a", 0, t + 3, 5)], // a = 5 + 2
      [point("b", 1, t + 4, 1)], // b = 10 + 1
      [point("a", 1, t + 5, 0), point("b", 0, t + 5, 0)], // a = 5, b = 1
    ];
    const expected = [
      [[`${SERIES}{host="a"}`, 3]],
      [[`${SERIES}{host="b"}`, 30]],
      [[`${SERIES}{host="a"}`, 7]],
      [[`${SERIES}{host="b"}`, 11]],
      [
        [`${SERIES}{host="a"}`, 5],
        [`${SERIES}{host="b"}`, 1],
      ],
    ];
    const ids = firstTestIds;
    for (const [i, batch] of script.slice(0, 2).entries()) {
      ids.push(String((await ingest(a.url, batch)).body["id"]));
      await vi.waitFor(() => expect(resuming.events).toHaveLength(i + 1), WAIT);
    }
    // The SSE subscriber drops; two batches go by on A; it comes back on B with its last id.
    await resuming.close();
    const lastSeen = resuming.events.at(-1)!.id;
    for (const batch of script.slice(2, 4)) ids.push(String((await ingest(a.url, batch)).body["id"]));
    await vi.waitFor(() => expect(steady.events).toHaveLength(4), WAIT);
    const resumed = subscribe("sse", b, lastSeen);
    await vi.waitFor(() => expect(resumed.events).toHaveLength(2), WAIT);
    ids.push(String((await ingest(a.url, script[4]!)).body["id"]));
    await vi.waitFor(() => expect(steady.events).toHaveLength(5), WAIT);
    await vi.waitFor(() => expect(resumed.events).toHaveLength(3), WAIT);

    // Correct sums, with the stream's ids (the ids A's ingest answered), on B.
    expect(sums(steady.events)).toEqual(expected);
    expect(steady.events.map((e) => e.id)).toEqual(ids);
    // The resume: exactly what it missed, then live, nothing twice.
    expect([...resuming.events, ...resumed.events].map((e) => e.id)).toEqual(ids);
    expect(sums([...resuming.events, ...resumed.events])).toEqual(expected);
    expect(b.services.hub.stats().aggregateResumes).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it("failing over to A, where that aggregation started after the position: a reset above it (refetch), never a silent gap; from the reset's id on, seamless", async () => {
    const last = b.services.engine.latestId()!;
    await vi.waitFor(() => expect(a.services.engine.latestId()).toBe(last), WAIT);
    const baseline = a.services.hub.stats().subscriptions;
    // A position before the newest batch: A's aggregation (created now, seeded from its store) cannot replay it.
    const moved = subscribe("ws", a, firstTestIds[2]);
    await vi.waitFor(() => expect(moved.events.length).toBeGreaterThanOrEqual(1), WAIT);
    expect(moved.events[0]).toEqual({ id: last, data: { type: "reset", reason: "aggregate-window" } });
    // The client refetched history up to the reset's id and resumes from it, on A again: nothing is
    // missing between, so no second reset.
    const again = subscribe("sse", a, last);
    await vi.waitFor(() => expect(a.services.hub.stats().subscriptions - baseline).toBe(2), WAIT);
    const t = Date.now();
    const id = String((await ingest(b.url, [point("a", 0, t, 100)])).body["id"]);
    const live = { id, data: { type: "points", points: [{ series: `${SERIES}{host="a"}`, ts: t, value: 100 }] } };
    // a = 100 (cpu 0) + 0 (cpu 1, seeded from A's store): the same sum B computes.
    await vi.waitFor(() => expect(moved.events.at(-1)).toEqual(live), WAIT);
    await vi.waitFor(() => expect(again.events).toEqual([live]), WAIT);
    expect(moved.events).toHaveLength(2);
  }, 60_000);
});
