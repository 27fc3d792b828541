import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import type { Point } from "@livedash/events";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { encodePoints, FIELD_POINTS, FIELD_PREV } from "../src/engine/redis-codec";
import type { LivedashServer } from "../src/server";
import type { ReceivedEvent } from "./helpers/live-clients";
import { PATHS, openPausable } from "./helpers/pausable-live";
import type { PathName, PausableLive } from "./helpers/pausable-live";
import { startRedis } from "./helpers/redis-server";
import type { TestRedis } from "./helpers/redis-server";
import { startTestServer } from "./helpers/server";

const WAIT = { timeout: 20_000, interval: 20 };
const PATTERNS = ["parity.a.*", "parity.b.x"];
let redis: TestRedis;

beforeAll(async () => {
  redis = await startRedis();
}, 20_000);
afterAll(async () => {
  await redis?.stop();
});

const pt = (series: string, value: number): Point => ({ series, ts: 1_700_000_000_000 + value, value });

/** One batch per entry: some match the patterns wholly, some in part, some not at all. */
const SCRIPT: Point[][] = [
  [pt("parity.a.one", 1), pt("parity.b.x", 2), pt("parity.c.z", 3)],
  [pt("parity.c.z", 4)],
  [pt("parity.a.two", 5), pt("parity.a.one", 6)],
  [pt("parity.b.y", 7), pt("parity.b.x", 8)],
];
/** Events the script yields for PATTERNS (the all-unmatched batch yields none). */
const EVENTS_PER_SCRIPT = 3;

/**
 * One script of batches, a resume, an unreplayable id and (on Redis) a real stream gap, driven
 * through every way an event leaves the server. Each client must see the same events, ids included,
 * and ids must only go up on each connection.
 */
describe.each(["memory", "redis"] as const)("%s engine: every transport gets the same events", (engineName) => {
  let server: LivedashServer;
  let streamKey = "";
  const open: PausableLive[] = [];
  const clients = new Map<PathName, ReceivedEvent[]>();

  beforeAll(async () => {
    streamKey = `parity:${randomUUID()}`;
    server = await startTestServer(engineName === "redis" ? { REDIS_URL: redis.url, LIVEDASH_REDIS_STREAM: streamKey } : {});
  });
  afterAll(async () => {
    await Promise.all(open.map((client) => client.close()));
    await server.close();
  });

  /** (Re)connects every path; each connection's events are appended to that path's record. */
  async function connectAll(lastEventId?: string) {
    await Promise.all(open.splice(0).map((client) => client.close()));
    await vi.waitFor(() => expect(server.services.hub.stats().subscriptions).toBe(0), WAIT);
    const segments: ReceivedEvent[][] = [];
    for (const path of PATHS) {
      const client = openPausable(path, server, { series: PATTERNS, lastEventId });
      open.push(client);
      segments.push(client.events);
    }
    // Streams are counted at once; a poll is in flight once the server counts it.
    await vi.waitFor(() => {
      expect(server.services.hub.stats().subscriptions).toBe(PATHS.length - 1);
      expect(server.services.traffic.polls).toBe(1);
    }, WAIT);
    return segments;
  }

  async function publishScript() {
    for (const points of SCRIPT) await server.services.engine.publish(points);
  }

  async function untilEach(segments: ReceivedEvent[][], count: number) {
    await vi.waitFor(() => segments.forEach((events) => expect(events.length).toBeGreaterThanOrEqual(count)), WAIT);
  }

  it("live, resumed, reset and (on Redis) across a lost stream", async () => {
    const { engine } = server.services;
    // Live from now.
    let segments = await connectAll();
    await publishScript();
    await untilEach(segments, EVENTS_PER_SCRIPT);
    const record = () => PATHS.forEach((path, i) => clients.set(path, [...(clients.get(path) ?? []), ...segments[i]!]));
    const lastSeen = segments[0]!.at(-1)!.id;
    record();

    // Away while the script runs again, then resumed by id: a replay, then live.
    await Promise.all(open.splice(0).map((client) => client.close()));
    await publishScript();
    segments = await connectAll(lastSeen);
    await untilEach(segments, EVENTS_PER_SCRIPT);
    await publishScript();
    await untilEach(segments, 2 * EVENTS_PER_SCRIPT);

    if (engineName === "redis") {
      // The stream is lost and recreated in one step (DEL + the first entry of a new chain), as when
      // Redis restarts empty and a producer writes at once: a reset, then live again.
      const raw = new Redis(redis.url);
      try {
        await raw.multi().del(streamKey).xadd(streamKey, "*", FIELD_POINTS, encodePoints(SCRIPT[0]!), FIELD_PREV, "").exec();
      } finally {
        raw.disconnect();
      }
      await untilEach(segments, 2 * EVENTS_PER_SCRIPT + 1);
      await publishScript();
      await untilEach(segments, 3 * EVENTS_PER_SCRIPT + 1);
    }
    record();

    // An id that names nothing here: reset first, then live.
    segments = await connectAll("garbage");
    await untilEach(segments, 1);
    await publishScript();
    await untilEach(segments, 1 + EVENTS_PER_SCRIPT);
    record();

    const reference = clients.get("ws")!;
    const summary = reference.map((e) => (e.data.type === "points" ? e.data.points.map((p) => p.value) : `reset:${e.data.reason}`));
    const expected: (number[] | string)[] = [[1, 2], [5, 6], [8]];
    // The resumed segment: the replay of the second run, then the third run live.
    expected.push([1, 2], [5, 6], [8], [1, 2], [5, 6], [8]);
    // On Redis the recreated stream's first entry carries the reset (history has its points).
    if (engineName === "redis") expected.push("reset:engine-restarted", [1, 2], [5, 6], [8]);
    expected.push("reset:unparseable-id", [1, 2], [5, 6], [8]);
    expect(summary).toEqual(expected);
    for (const path of PATHS) expect({ path, events: clients.get(path) }).toEqual({ path, events: reference });

    // Strictly increasing within each connection (the reset of "garbage" starts a new sequence).
    const connections = engineName === "redis" ? [0, 3, 13, 17] : [0, 3, 9, 13];
    for (let c = 0; c + 1 < connections.length; c++) {
      const ids = reference.slice(connections[c], connections[c + 1]).map((e) => e.id);
      for (let i = 1; i < ids.length; i++) expect(engine.compareIds(ids[i]!, ids[i - 1]!)).toBeGreaterThan(0);
    }
  }, 60_000);
});
