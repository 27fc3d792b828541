import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { LivedashServer } from "../src/server";
import { openLive } from "./helpers/live-clients";
import type { LiveClient, TransportName } from "./helpers/live-clients";
import { startRedis } from "./helpers/redis-server";
import type { TestRedis } from "./helpers/redis-server";
import { ingest, startTestServer } from "./helpers/server";

const WAIT = { timeout: 20_000, interval: 25 };

async function metric(url: string, sample: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : NaN;
}

async function push(url: string, series: string, from: number, to: number) {
  for (let value = from; value <= to; value++) expect((await ingest(url, [{ series, value }])).status).toBe(200);
}

/** The events a client saw, as a compact script: numbers for points, "reset:<reason>" for resets. */
function script(client: LiveClient): (number | string)[] {
  return client.events.flatMap((e): (number | string)[] => (e.data.type === "points" ? e.data.points.map((p) => p.value) : [`reset:${e.data.reason}`]));
}

describe("Redis goes away and comes back empty, under two instances", () => {
  let redis: TestRedis;
  let a: LivedashServer;
  let b: LivedashServer;
  const clients: LiveClient[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    [a, b] = await Promise.all([startTestServer({ REDIS_URL: redis.url }), startTestServer({ REDIS_URL: redis.url })]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await Promise.all([a?.close(), b?.close()]);
    await redis?.stop();
  }, 30_000);

  it("stays up, answers ingest with 503 while down, then resets live subscribers and flows again", async () => {
    const series = "outage.counter";
    const plan: [TransportName, LivedashServer][] = [
      ["ws", a],
      ["sse", b],
      ["trpc-sse", b],
    ];
    const subs = plan.map(([transport, server]) => openLive(transport, server.url, { series: [series] }));
    clients.push(...subs);
    await vi.waitFor(() => {
      expect(a.services.hub.stats().subscriptions).toBe(1);
      expect(b.services.hub.stats().subscriptions).toBe(2);
    }, WAIT);
    await push(a.url, series, 1, 5);
    for (const sub of subs) await vi.waitFor(() => expect(script(sub)).toEqual([1, 2, 3, 4, 5]), WAIT);
    const idBeforeOutage = subs[0]!.events.at(-1)!.id;

    await redis.stop();
    await vi.waitFor(async () => expect((await fetch(`${a.url}/healthz`)).status).toBe(503), WAIT);
    const health = (await (await fetch(`${b.url}/healthz`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ engine: "redis", ready: false });
    expect(await metric(a.url, "livedash_redis_up")).toBe(0);
    // Not a silent drop: the producer is told to retry.
    const refused = await ingest(a.url, [{ series, value: 99 }]);
    expect(refused.status).toBe(503);
    expect(JSON.stringify(refused.body)).toMatch(/redis/i);

    await redis.restart();
    await vi.waitFor(async () => expect((await fetch(`${a.url}/healthz`)).status).toBe(200), WAIT);
    await vi.waitFor(async () => expect((await fetch(`${b.url}/healthz`)).status).toBe(200), WAIT);
    // The stream they were reading is gone: every live subscriber is told to refetch.
    for (const sub of subs) await vi.waitFor(() => expect(script(sub)).toEqual([1, 2, 3, 4, 5, "reset:engine-restarted"]), WAIT);

    await push(b.url, series, 6, 8);
    for (const sub of subs) {
      await vi.waitFor(() => expect(script(sub)).toEqual([1, 2, 3, 4, 5, "reset:engine-restarted", 6, 7, 8]), WAIT);
      const ids = sub.events.map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
      // Strictly increasing across the reset too: a client drops an id it has seen as a duplicate.
      for (let i = 1; i < ids.length; i++) expect(a.services.engine.compareIds(ids[i]!, ids[i - 1]!)).toBeGreaterThan(0);
    }
    expect(await metric(a.url, "livedash_redis_up")).toBe(1);
    expect(await metric(a.url, "livedash_redis_gaps_total")).toBe(1);

    // A client resuming with an id from before the restart gets a reset too, then live points.
    const late = openLive("ws", a.url, { series: [series], lastEventId: idBeforeOutage });
    clients.push(late);
    await vi.waitFor(() => expect(script(late)).toEqual(["reset:engine-restarted"]), WAIT);
    await push(a.url, series, 9, 9);
    await vi.waitFor(() => expect(script(late)).toEqual(["reset:engine-restarted", 9]), WAIT);
  }, 90_000);
});
