import { parseSeriesKey, seriesKey } from "@livedash/events";
import type { Aggregate, LiveEvent, Point } from "@livedash/events";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { LivedashServer } from "../src/server";
import { httpClient } from "./helpers/live-clients";
import type { ReceivedEvent } from "./helpers/live-clients";
import { PATHS, openPausable } from "./helpers/pausable-live";
import type { PausableLive } from "./helpers/pausable-live";
import { ingest, startTestServer } from "./helpers/server";

const WAIT = { timeout: 20_000, interval: 20 };
const p = (series: string, ts: number, value: number): Point => ({ series, ts, value });
const pointsOf = (events: readonly ReceivedEvent[]) => events.map((e) => ({ id: e.id, data: e.data }));

let server: LivedashServer;
const open: PausableLive[] = [];
/** Streams the server holds itself (alert evaluation follows the live path): counts below are on top. */
let baseline = 0;
const streams = (s: LivedashServer = server) => s.services.hub.stats().subscriptions - baseline;

beforeAll(async () => {
  server = await startTestServer();
  baseline = server.services.hub.stats().subscriptions;
});
afterEach(async () => {
  await closeAll();
});
afterAll(async () => {
  await server.close();
});

function subscribe(path: (typeof PATHS)[number], series: string[], aggregate: Aggregate, lastEventId?: string) {
  const client = openPausable(path, server, { series, aggregate, ...(lastEventId ? { lastEventId } : {}) });
  open.push(client);
  return client;
}

async function closeAll() {
  await Promise.all(open.splice(0).map((client) => client.close()));
  await vi.waitFor(() => expect(streams()).toBe(0), WAIT);
}

/** What the definition says: per output series, op over each member's latest value (all fresh here). */
function expected(script: Point[][], aggregate: Aggregate, member: (series: string) => string | null): LiveEvent[] {
  const latest = new Map<string, number>();
  const out: LiveEvent[] = [];
  for (const batch of script) {
    const touched = new Map<string, number>();
    for (const point of batch) {
      const key = member(point.series);
      if (key === null) continue;
      latest.set(point.series, point.value);
      touched.set(key, Math.max(touched.get(key) ?? 0, point.ts));
    }
    if (touched.size === 0) continue;
    out.push({
      type: "points",
      points: [...touched].map(([key, ts]) => {
        const values = [...latest].filter(([series]) => member(series) === key).map(([, v]) => v);
        const value = aggregate.op === "sum" ? values.reduce((a, b) => a + b, 0) : values.reduce((a, b) => a + b, 0) / values.length;
        return { series: key, ts, value };
      }),
    });
  }
  return out;
}

describe("live aggregation on every transport", () => {
  it("subscribers of one aggregation share ONE computation per batch, on WS, tRPC SSE, /sse, long-poll and createCaller; values match the definition", async () => {
    const series = ["agg1.cpu*"];
    const sum: Aggregate = { op: "sum", by: ["host"] };
    const avg: Aggregate = { op: "avg", by: ["host"] };
    const sums = PATHS.flatMap((path) => [subscribe(path, series, sum), subscribe(path, series, sum)]);
    const avgs = [subscribe("ws", series, avg), subscribe("sse", series, avg)];
    await vi.waitFor(() => {
      expect(streams()).toBe(2 * (PATHS.length - 1) + 2);
      expect(server.services.traffic.polls).toBe(2);
    }, WAIT);
    const before = server.services.hub.stats().aggregateComputations;
    const t = Date.now();
    const script = [
      [p('agg1.cpu{cpu="0",host="a"}', t, 1), p('agg1.cpu{cpu="1",host="a"}', t, 2), p('agg1.cpu{cpu="0",host="b"}', t, 10), p("agg1.cpux", t, 99), p("zzz", t, 1)],
      [p('agg1.cpu{cpu="1",host="a"}', t + 1_000, 5)],
      [p("zzz", t + 1_000, 2)],
      [p('agg1.cpu{cpu="0",host="b"}', t + 2_000, 20), p('agg1.cpu{cpu="1",host="b"}', t + 2_000, 7)],
    ];
    for (const batch of script) await server.services.engine.publish(batch);

    // Members: agg1.cpu and agg1.cpux (the glob takes both names); they never merge.
    const member = (key: string) => {
      const parsed = parseSeriesKey(key);
      if (!parsed.ok || !parsed.value.name.startsWith("agg1.cpu")) return null;
      const host = parsed.value.labels.host;
      return seriesKey(parsed.value.name, host ? { host } : {});
    };
    const want = expected(script, sum, member);
    expect(want).toHaveLength(3);
    const wantAvg = expected(script, avg, member);
    await vi.waitFor(() => [...sums, ...avgs].forEach((c) => expect(c.events.length).toBeGreaterThanOrEqual(3)), WAIT);

    for (const client of sums) expect(pointsOf(client.events).map((e) => e.data)).toEqual(want);
    for (const client of avgs) expect(pointsOf(client.events).map((e) => e.data)).toEqual(wantAvg);
    // The same events, ids included, whatever the transport.
    const ids = sums[0]!.events.map((e) => e.id);
    for (const client of [...sums, ...avgs]) expect(client.events.map((e) => e.id)).toEqual(ids);
    // 3 batches held members, 2 distinct aggregations: 6 computations for 12 subscribers (polls included).
    expect(server.services.hub.stats().aggregateComputations - before).toBe(3 * 2);
  });

  it("a resume inside what the aggregation kept gets exactly the events it missed on every transport; from before it, a reset above its id", async () => {
    const series = ["agg2.req*"];
    const rate: Aggregate = { op: "rate" };
    const t = Date.now();
    // The aggregation starts after the second batch: a resume from the first cannot be exact.
    const beforeGroup = await server.services.engine.publish([p("agg2.req", t - 6_000, 0)]);
    await server.services.engine.publish([p("agg2.req", t - 5_000, 0)]);
    const steady = subscribe("ws", series, rate);
    await vi.waitFor(() => expect(streams()).toBe(1), WAIT);
    // Two members; the seeded point above (0 at t-5s) gives agg2.req its first rate at once.
    const script = [
      [p("agg2.req", t, 100), p('agg2.req{path="/x"}', t, 50)],
      [p("agg2.req", t + 1_000, 150), p('agg2.req{path="/x"}', t + 1_000, 60)],
      // agg2.req restarted: 150 -> 30 is a reset, +30 in 1 s.
      [p("agg2.req", t + 2_000, 30)],
    ];
    for (const batch of script) await server.services.engine.publish(batch);
    await vi.waitFor(() => expect(steady.events).toHaveLength(3), WAIT);
    expect(steady.events.map((e) => e.data)).toEqual([
      { type: "points", points: [p("agg2.req", t, 20)] },
      { type: "points", points: [p("agg2.req", t + 1_000, 50 + 10)] },
      { type: "points", points: [p("agg2.req", t + 2_000, 30 + 10)] },
    ]);
    const resumes = server.services.hub.stats().aggregateResumes;
    const resumed = PATHS.map((path) => subscribe(path, series, rate, steady.events[0]!.id));
    const late = PATHS.map((path) => subscribe(path, series, rate, beforeGroup));
    await vi.waitFor(() => [...resumed, ...late].forEach((c) => expect(c.events.length).toBeGreaterThanOrEqual(1)), WAIT);
    await vi.waitFor(() => resumed.forEach((c) => expect(c.events.length).toBeGreaterThanOrEqual(2)), WAIT);
    for (const client of resumed) expect(pointsOf(client.events)).toEqual(pointsOf(steady.events.slice(1)));
    // Every path resumed from the kept events (the long-poll again on each next poll).
    expect(server.services.hub.stats().aggregateResumes - resumes).toBeGreaterThanOrEqual(PATHS.length);
    for (const client of late) {
      expect(client.events[0]!.data).toEqual({ type: "reset", reason: "aggregate-window" });
      expect(server.services.engine.compareIds(client.events[0]!.id, beforeGroup)).toBeGreaterThan(0);
    }
    // Live continues after the reset on all of them.
    await server.services.engine.publish([p('agg2.req{path="/x"}', t + 3_000, 62)]);
    const next = { type: "points", points: [p("agg2.req", t + 3_000, 30 + 1)] };
    await vi.waitFor(() => [steady, ...resumed, ...late].forEach((c) => expect(c.events.at(-1)?.data).toEqual(next)), WAIT);
  });

  it("an aggregation nobody subscribes to idles, then its state is let go (maxIdle); one an address still holds is kept", async () => {
    const idle = await startTestServer();
    try {
      // Closed WebSocket streams: their address holds the aggregations for a minute (a reconnect resumes them).
      for (let i = 0; i < 16; i++) {
        const client = openPausable("ws", idle, { series: [`held${i}.*`], aggregate: { op: "count" } });
        await vi.waitFor(() => expect(streams(idle)).toBe(1), WAIT);
        await client.close();
        await vi.waitFor(() => expect(streams(idle)).toBe(0), WAIT);
      }
      expect(idle.services.hub.stats()).toMatchObject({ aggregateGroups: 16, aggregateIdleGroups: 16 });
      // In-process subscribers without an address hold nothing: their idle aggregations are let go past 64.
      for (let i = 0; i < 70; i++) {
        const sub = idle.services.hub.subscribe({ sink: { transport: "caller", bufferedBytes: () => 0, write: () => undefined, closeSlow: () => undefined, onDrain: () => () => undefined }, encoder: { key: "t", encode: () => null }, patterns: [`idle${i}.*`], aggregate: { op: "count" } });
        sub.unsubscribe();
      }
      expect(idle.services.hub.stats()).toMatchObject({ aggregateGroups: 64, aggregateIdleGroups: 64 });
      // The held ones were not the ones let go: rejoining one from the same address costs no new aggregation.
      const again = openPausable("ws", idle, { series: ["held0.*"], aggregate: { op: "count" } });
      await vi.waitFor(() => expect(streams(idle)).toBe(1), WAIT);
      expect(idle.services.hub.stats()).toMatchObject({ aggregateGroups: 64, aggregateIdleGroups: 63 });
      await again.close();
    } finally {
      await idle.close();
    }
  });
});

describe("aggregate input errors name the field", () => {
  it("/sse answers 400 naming aggregate or by", async () => {
    const cases: [string, string, string][] = [
      ["aggregate=median", "aggregate", 'aggregate: unknown op "median"'],
      ["by=host", "by", "by: needs aggregate=<op> beside it"],
      ["aggregate=sum&by=host,9x", "by", 'by[1]: "9x": label name must match'],
      [`aggregate=sum&by=${Array.from({ length: 11 }, (_, i) => `l${i}`).join(",")}`, "by", "by: by must have at most 10 labels"],
    ];
    for (const [query, field, message] of cases) {
      const res = await fetch(`${server.url}/sse?series=a.*&${query}`);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { message: string; field: string } };
      expect(body.error.field).toBe(field);
      expect(body.error.message).toContain(message);
    }
  });

  it("procedures answer BAD_REQUEST naming aggregate.op / aggregate.by", async () => {
    const trpc = httpClient(server.url);
    await expect(trpc.metrics.poll.query({ series: ["a"], waitMs: 0, aggregate: { op: "median" as "sum" } })).rejects.toThrow(/aggregate\.op: unknown op "median"/);
    await expect(trpc.metrics.history.query({ series: ["a"], aggregate: { op: "sum", by: ["a", "a"] } })).rejects.toThrow(/aggregate\.by\[1\]: label a appears twice/);
  });
});

describe("history aggregation over HTTP", () => {
  it("sums by host per bucket, rate handles a counter reset, and the answer names output series", async () => {
    const t = Date.now() - 60_000;
    const points = [
      { series: "aggh.cpu", labels: { host: "a", cpu: "0" }, ts: t, value: 1 },
      { series: "aggh.cpu", labels: { host: "a", cpu: "1" }, ts: t, value: 2 },
      { series: "aggh.cpu", labels: { host: "b", cpu: "0" }, ts: t, value: 10 },
      { series: "aggh.cpu", labels: { host: "a", cpu: "0" }, ts: t + 10_000, value: 3 },
      { series: "aggh.req", labels: { host: "a" }, ts: t, value: 100 },
      { series: "aggh.req", labels: { host: "a" }, ts: t + 10_000, value: 200 },
      { series: "aggh.req", labels: { host: "a" }, ts: t + 20_000, value: 50 },
    ];
    const res = await fetch(`${server.url}/api/ingest`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ points }) });
    expect(res.status).toBe(200);
    const trpc = httpClient(server.url);
    const range = { from: t, to: t + 30_000, maxPoints: 3 };
    expect(await trpc.metrics.history.query({ series: ["aggh.cpu"], ...range, aggregate: { op: "sum", by: ["host"] } })).toEqual([
      { series: 'aggh.cpu{host="a"}', points: [{ ts: t, value: 3, min: 3, max: 3 }, { ts: t + 10_000, value: 3, min: 3, max: 3 }] },
      { series: 'aggh.cpu{host="b"}', points: [{ ts: t, value: 10, min: 10, max: 10 }] },
    ]);
    // The dashboard's columns answer carries the same numbers.
    expect(await trpc.metrics.historyColumns.query({ series: ["aggh.cpu"], ...range, aggregate: { op: "sum", by: ["host"] } })).toEqual([
      { series: 'aggh.cpu{host="a"}', ts: [t, t + 10_000], value: [3, 3], min: [3, 3], max: [3, 3] },
      { series: 'aggh.cpu{host="b"}', ts: [t], value: [10], min: [10], max: [10] },
    ]);
    expect(await trpc.metrics.history.query({ series: ['aggh.cpu{host="a"}'], ...range, aggregate: { op: "count" } })).toEqual([
      { series: "aggh.cpu", points: [{ ts: t, value: 2, min: 2, max: 2 }, { ts: t + 10_000, value: 1, min: 1, max: 1 }] },
    ]);
    // 100 -> 200 in 10 s: 10/s; 200 -> 50 is a reset: 50 in 10 s = 5/s.
    expect(await trpc.metrics.history.query({ series: ["aggh.req"], ...range, aggregate: { op: "rate", by: ["host"] } })).toEqual([
      { series: 'aggh.req{host="a"}', points: [{ ts: t + 10_000, value: 10, min: 10, max: 10 }, { ts: t + 20_000, value: 5, min: 5, max: 5 }] },
    ]);
  });

  it("refuses an answer past the history budget (output series x maxPoints), naming the limit", async () => {
    const small = await startTestServer({ LIVEDASH_MAX_HISTORY_POINTS: "1000" });
    try {
      const t = Date.now() - 1_000;
      expect((await ingest(small.url, [{ series: 'b.cpu{host="a"}', ts: t, value: 1 }, { series: 'b.cpu{host="b"}', ts: t, value: 2 }])).status).toBe(200);
      const trpc = httpClient(small.url);
      // One output series: 600 points fit; two (by host) do not.
      expect(await trpc.metrics.history.query({ series: ["b.cpu"], maxPoints: 600, aggregate: { op: "sum" } })).toEqual([{ series: "b.cpu", points: [{ ts: t, value: 3, min: 3, max: 3 }] }]);
      await expect(trpc.metrics.history.query({ series: ["b.cpu"], maxPoints: 600, aggregate: { op: "sum", by: ["host"] } })).rejects.toThrow(
        "aggregate: 2 output series × maxPoints 600 = 1200 points is over the limit of 1000 per history query (LIVEDASH_MAX_HISTORY_POINTS)",
      );
    } finally {
      await small.close();
    }
  });
});
