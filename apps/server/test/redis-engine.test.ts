import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Point } from "@livedash/events";
import { createRedisEngine } from "../src/engine/redis-engine";
import type { RedisEngine, RedisEngineOptions } from "../src/engine/redis-engine";
import { EngineUnavailableError } from "../src/engine/types";
import type { Batch } from "../src/engine/types";
import { startRedis } from "./helpers/redis-server";
import type { TestRedis } from "./helpers/redis-server";

let redis: TestRedis;
const engines: RedisEngine[] = [];

beforeAll(async () => {
  redis = await startRedis();
}, 20_000);

afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

afterAll(async () => {
  await redis?.stop();
});

/** A started engine on its own stream key unless one is given; closed after each test. */
async function engine(options: Partial<RedisEngineOptions> = {}, listen?: (batch: Batch) => void): Promise<RedisEngine> {
  const created = await createRedisEngine({ url: redis.url, streamKey: `test:${randomUUID()}`, blockMs: 200, ...options });
  engines.push(created);
  if (listen) created.onBatch(listen);
  await created.start();
  return created;
}

function points(tag: number, count = 2): Point[] {
  return Array.from({ length: count }, (_, i) => ({ series: `test.s${i}`, ts: 1_700_000_000_000 + tag, value: tag * 10 + i }));
}

describe("redis engine: publish, ids, order, replay", () => {
  it("delivers every published batch once, in id order, through the read loop, with the ids publish resolved", async () => {
    const seen: Batch[] = [];
    const e = await engine({}, (b) => seen.push(b));
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await e.publish(points(i)));
    for (const id of ids) expect(id).toMatch(/^\d+-\d+$/);
    for (let i = 1; i < ids.length; i++) expect(e.compareIds(ids[i - 1]!, ids[i]!)).toBeLessThan(0);
    await vi.waitFor(() => expect(seen).toHaveLength(5), { timeout: 5_000 });
    expect(seen.map((b) => b.id)).toEqual(ids);
    expect(seen[3]!.points).toEqual(points(3));
    expect(e.latestId()).toBe(ids[4]);
    expect(e.health()).toEqual({ engine: "redis", ready: true });
  });

  it("replays strictly after an id, oldest first; nothing after the newest; 0-0 replays a fresh stream", async () => {
    const e = await engine();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await e.publish(points(i, 3)));
    const replay = await e.replayAfter(ids[1]!);
    expect(replay).toEqual({ ok: true, batches: [2, 3, 4].map((i) => ({ id: ids[i], points: points(i, 3) })) });
    expect(await e.replayAfter(ids[4]!)).toEqual({ ok: true, batches: [] });
    const all = await e.replayAfter(e.startId());
    expect(all.ok && all.batches.map((b) => b.id)).toEqual(ids);
  });

  it("serves concurrent replays of the same id with one read (a failover herd)", async () => {
    const e = await engine();
    const first = await e.publish(points(0));
    const ids = [await e.publish(points(1)), await e.publish(points(2))];
    const answers = await Promise.all(Array.from({ length: 50 }, () => e.replayAfter(first)));
    expect(answers[0]!.ok && answers[0]!.batches.map((b) => b.id)).toEqual(ids);
    for (const answer of answers) expect(answer).toBe(answers[0]);
    // Settled replays are not cached: a later one reads again and sees newer batches.
    const later = await e.publish(points(3));
    const again = await e.replayAfter(first);
    expect(again.ok && again.batches.map((b) => b.id)).toEqual([...ids, later]);
  });

  it("answers reset reasons: unparseable, unknown (future or never issued), too-old (trimmed or beyond the replay cap)", async () => {
    const e = await engine({ maxLen: 100, replayMaxBatches: 50 });
    const ids: string[] = [];
    for (let i = 0; i < 400; i++) ids.push(await e.publish(points(i, 1)));
    expect(await e.replayAfter("not-an-id")).toEqual({ ok: false, reason: "unparseable-id" });
    expect(await e.replayAfter("007-1")).toEqual({ ok: false, reason: "unparseable-id" });
    expect(await e.replayAfter("99999999999999-0")).toEqual({ ok: false, reason: "unknown-id" });
    expect(await e.replayAfter("0-999999999")).toEqual({ ok: false, reason: "unknown-id" }); // Redis never issues 0-<n>
    expect(await e.replayAfter("mifx2abc-12")).toEqual({ ok: false, reason: "foreign-epoch" }); // a memory-engine id
    // MAXLEN ~ trims whole radix-tree nodes, so the first ids are gone but ~100..200 remain.
    expect(await e.replayAfter(ids[0]!)).toEqual({ ok: false, reason: "too-old" });
    expect(await e.replayAfter(ids[300]!)).toEqual({ ok: false, reason: "too-old" }); // 99 after it > cap of 50
    const nearEnd = await e.replayAfter(ids[380]!);
    expect(nearEnd.ok && nearEnd.batches.map((b) => b.id)).toEqual(ids.slice(381));
    // An id between two real ones that was never issued: the next entry is not linked to it.
    const [ms, seq] = ids[390]!.split("-");
    const between = `${ms}-${BigInt(seq!) + 1n}`;
    if (between !== ids[391]) expect(await e.replayAfter(between)).toEqual({ ok: false, reason: "unknown-id" });
  });

  it("replays across several XRANGE pages, in order, up to the cap", async () => {
    const e = await engine({ replayMaxBatches: 2_500 });
    const first = await e.publish(points(0, 1));
    const ids = await Promise.all(Array.from({ length: 2_400 }, (_, i) => e.publish(points(i + 1, 1))));
    const replay = await e.replayAfter(first);
    expect(replay.ok && replay.batches.map((b) => b.id)).toEqual(ids);
    expect(replay.ok && replay.batches[2_399]!.points).toEqual(points(2_400, 1));
  });

  it("compareIds orders numerically, not as text, and throws on ids it did not make", async () => {
    const e = await engine();
    expect(e.compareIds("9-0", "10-0")).toBeLessThan(0);
    expect(e.compareIds("10-2", "10-10")).toBeLessThan(0);
    expect(e.compareIds("10-10", "10-10")).toBe(0);
    expect(() => e.compareIds("abc-1", "1-0")).toThrow(/not a redis stream id/);
  });

  it("rejects bad options with an error naming the option and the limit", async () => {
    await expect(createRedisEngine({ url: "http://nope" })).rejects.toThrow(/url \(REDIS_URL\)/);
    await expect(createRedisEngine({ url: redis.url, maxLen: 5 })).rejects.toThrow(/maxLen must be at least 100/);
  });
});

describe("redis engine: several instances on one stream", () => {
  it("two engines see each other's batches, all of them, in the same order", async () => {
    const streamKey = `test:${randomUUID()}`;
    const seenA: string[] = [];
    const seenB: string[] = [];
    const a = await engine({ streamKey }, (b) => seenA.push(b.id));
    const b = await engine({ streamKey }, (b) => seenB.push(b.id));
    const published = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).publish(points(i))));
    await vi.waitFor(() => expect(seenA).toHaveLength(40), { timeout: 5_000 });
    await vi.waitFor(() => expect(seenB).toHaveLength(40), { timeout: 5_000 });
    expect(seenA).toEqual(seenB);
    expect([...published].sort(a.compareIds)).toEqual(seenA);
  });

  it("a new instance warms its listeners from the newest warmCount entries, then goes live", async () => {
    const streamKey = `test:${randomUUID()}`;
    const a = await engine({ streamKey });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(await a.publish(points(i)));
    const warmed: Batch[] = [];
    const c = await engine({ streamKey, warmCount: 4 }, (b) => warmed.push(b));
    // start() resolved: the warm-up is already delivered, before any live batch.
    expect(warmed.map((b) => b.id)).toEqual(ids.slice(6));
    expect(warmed[0]!.points).toEqual(points(6));
    expect(c.latestId()).toBe(ids[9]);
    const next = await a.publish(points(10));
    await vi.waitFor(() => expect(warmed.at(-1)?.id).toBe(next), { timeout: 5_000 });
    expect(warmed).toHaveLength(5);
  });

  it("warms in pages: the newest warmCount entries of a long stream, oldest first", async () => {
    const streamKey = `test:${randomUUID()}`;
    const a = await engine({ streamKey });
    const ids = await Promise.all(Array.from({ length: 2_500 }, (_, i) => a.publish(points(i, 1))));
    const warmed: string[] = [];
    await engine({ streamKey, warmCount: 2_200 }, (b) => warmed.push(b.id));
    expect(warmed).toEqual(ids.slice(300));
  });

  it("warms only the last warmWindowMs, and never re-delivers older entries as live", async () => {
    const streamKey = `test:${randomUUID()}`;
    const raw = new Redis(redis.url, { lazyConnect: true });
    try {
      await raw.connect();
      // Two entries from long ago (explicit ids far in the past), chained like the engine does.
      await raw.xadd(streamKey, "1000-0", "p", '[["old.a",1,1]]', "prev", "");
      await raw.xadd(streamKey, "2000-0", "p", '[["old.a",2,2]]', "prev", "1000-0");
    } finally {
      raw.disconnect();
    }
    const onlyOld: string[] = [];
    const b = await engine({ streamKey, warmWindowMs: 60_000 }, (batch) => onlyOld.push(batch.id));
    expect(onlyOld).toEqual([]);
    expect(b.latestId()).toBe("2000-0");
    const recent = await b.publish(points(1));
    await vi.waitFor(() => expect(onlyOld).toEqual([recent]), { timeout: 5_000 });
    const warmed: string[] = [];
    await engine({ streamKey, warmWindowMs: 60_000 }, (batch) => warmed.push(batch.id));
    expect(warmed).toEqual([recent]);
    expect(await b.replayAfter("1000-0")).toEqual({ ok: true, batches: [{ id: "2000-0", points: [{ series: "old.a", ts: 2, value: 2 }] }, { id: recent, points: points(1) }] });
  });

  it("a replay on a lagging instance resolves only once its reader delivered as far (no duplicate live)", async () => {
    const streamKey = `test:${randomUUID()}`;
    const a = await engine({ streamKey });
    const seenB: string[] = [];
    // One entry per XREAD round trip: B's reader trails A's burst of publishes.
    const b = await engine({ streamKey, readCount: 1 }, (batch) => seenB.push(batch.id));
    const first = await a.publish(points(0));
    const ids = await Promise.all(Array.from({ length: 200 }, (_, i) => a.publish(points(i + 1))));
    const replay = await b.replayAfter(first);
    expect(replay.ok && replay.batches.map((x) => x.id)).toEqual(ids);
    // Everything replayed was already delivered to B's listeners when the replay resolved.
    expect(seenB.slice(-ids.length)).toEqual(ids);
  });

  it("tells gap listeners 'lagged' when trimming overtook its reader, and keeps reading after the hole", async () => {
    const streamKey = `test:${randomUUID()}`;
    const gaps: string[] = [];
    const seen: string[] = [];
    const e = await engine({ streamKey, maxLen: 100 }, (batch) => seen.push(batch.id));
    e.onGap((reason) => gaps.push(reason));
    await e.publish(points(0));
    await vi.waitFor(() => expect(seen).toHaveLength(1), { timeout: 5_000 });
    // 500 appends in one script: atomic, so the reader cannot read in between and trimming passes it.
    const raw = new Redis(redis.url, { lazyConnect: true });
    try {
      await raw.connect();
      await raw.eval(
        `local prev = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1][1]
         for i = 1, 500 do prev = redis.call('XADD', KEYS[1], 'MAXLEN', '~', 100, '*', 'p', '[["test.x",1,' .. i .. ']]', 'prev', prev) end
         return prev`,
        1,
        streamKey,
      );
    } finally {
      raw.disconnect();
    }
    await vi.waitFor(() => expect(gaps).toEqual(["lagged"]), { timeout: 5_000 });
    const newest = await e.publish(points(1));
    await vi.waitFor(() => expect(seen.at(-1)).toBe(newest), { timeout: 5_000 });
    expect(gaps).toEqual(["lagged"]);
  });
});

describe("redis engine: Redis goes away and comes back empty", () => {
  let own: TestRedis;
  beforeAll(async () => {
    own = await startRedis();
  }, 20_000);
  afterAll(async () => {
    await own?.stop();
  });

  it("rejects publishes with EngineUnavailableError while down, reports not ready, then recovers with a reset", async () => {
    const seen: Batch[] = [];
    const gaps: string[] = [];
    const e = await createRedisEngine({ url: own.url, blockMs: 200, reconnectMaxDelayMs: 100 });
    engines.push(e);
    e.onBatch((b) => seen.push(b));
    e.onGap((reason) => gaps.push(reason));
    await e.start();
    const before = await e.publish(points(1));
    await vi.waitFor(() => expect(seen).toHaveLength(1), { timeout: 5_000 });

    await own.stop();
    await vi.waitFor(() => expect(e.health().ready).toBe(false), { timeout: 5_000 });
    expect(e.health().detail).toMatch(/redis/);
    await expect(e.publish(points(2))).rejects.toBeInstanceOf(EngineUnavailableError);
    expect(await e.replayAfter(before)).toEqual({ ok: false, reason: "lagged" });

    await own.restart();
    await vi.waitFor(() => expect(e.health().ready).toBe(true), { timeout: 10_000 });
    // The stream (and the id the client holds) is gone: never a silent gap, always a reset.
    expect(await e.replayAfter(before)).toEqual({ ok: false, reason: "engine-restarted" });
    await vi.waitFor(() => expect(gaps).toEqual(["engine-restarted"]), { timeout: 5_000 });
    expect(e.latestId()).toBeNull();

    const after = await e.publish(points(3));
    await vi.waitFor(() => expect(seen.at(-1)?.id).toBe(after), { timeout: 5_000 });
    expect(seen.map((b) => b.points)).toEqual([points(1), points(3)]);
    expect(await e.replayAfter(e.startId())).toEqual({ ok: true, batches: [{ id: after, points: points(3) }] });
    expect(gaps).toEqual(["engine-restarted"]);
  }, 30_000);

  it("after a dropped connection with the data intact, continues where it stopped: no gap, nothing lost or repeated", async () => {
    const seen: string[] = [];
    const gaps: string[] = [];
    const e = await createRedisEngine({ url: own.url, blockMs: 200, reconnectMaxDelayMs: 100, streamKey: `test:${randomUUID()}` });
    engines.push(e);
    e.onBatch((b) => seen.push(b.id));
    e.onGap((reason) => gaps.push(reason));
    await e.start();
    const ids = [await e.publish(points(1)), await e.publish(points(2))];
    await vi.waitFor(() => expect(seen).toEqual(ids), { timeout: 5_000 });
    const admin = new Redis(own.url, { lazyConnect: true });
    try {
      await admin.connect();
      // Like a network cut: Redis closes both of the engine's connections, and keeps its data.
      await admin.call("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
    } finally {
      admin.disconnect();
    }
    await vi.waitFor(() => expect(e.stats().readErrors).toBeGreaterThan(0), { timeout: 5_000 });
    await vi.waitFor(() => expect(e.health().ready).toBe(true), { timeout: 10_000 });
    ids.push(await e.publish(points(3)));
    await vi.waitFor(() => expect(seen).toEqual(ids), { timeout: 5_000 });
    expect(gaps).toEqual([]);
  }, 30_000);

  it("starts while Redis is down, stays not ready, and warms up once Redis answers", async () => {
    await own.stop();
    const e = await createRedisEngine({ url: own.url, startTimeoutMs: 200, reconnectMaxDelayMs: 100, blockMs: 200 });
    engines.push(e);
    const seen: string[] = [];
    e.onBatch((b) => seen.push(b.id));
    await e.start();
    expect(e.health().ready).toBe(false);
    await expect(e.publish(points(1))).rejects.toBeInstanceOf(EngineUnavailableError);
    await own.restart();
    await vi.waitFor(() => expect(e.health().ready).toBe(true), { timeout: 10_000 });
    const id = await e.publish(points(2));
    await vi.waitFor(() => expect(seen).toEqual([id]), { timeout: 5_000 });
  }, 30_000);
});
