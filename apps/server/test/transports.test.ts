import { TRPCClientError } from "@trpc/client";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { LivedashServer } from "../src/server";
import { TRANSPORTS, closeAllAndSettle, httpClient, openLive } from "./helpers/live-clients";
import type { LiveClient, TransportName } from "./helpers/live-clients";
import { startRedis } from "./helpers/redis-server";
import type { TestRedis } from "./helpers/redis-server";
import { ingest, startTestServer } from "./helpers/server";

type EngineName = "memory" | "redis";
const ENGINES: EngineName[] = ["memory", "redis"];
let redis: TestRedis | null = null;
let streamCounter = 0;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

/** A server on the given engine; redis servers get a stream of their own so tests never see each other. */
function startOn(engine: EngineName, env: Record<string, string> = {}) {
  if (engine === "memory") return startTestServer(env);
  return startTestServer({ REDIS_URL: redis!.url, LIVEDASH_REDIS_STREAM: `test:${process.pid}:${++streamCounter}`, ...env });
}

/** Ids each engine cannot replay, by the reset reason they must produce. */
const UNREPLAYABLE: Record<EngineName, [string, (s: LivedashServer) => string][]> = {
  memory: [
    ["unparseable-id", () => "garbage"],
    ["foreign-epoch", () => "zzzzzz-5"],
    ["unknown-id", (s) => s.services.engine.startId().replace(/-0$/, "-999999999")],
  ],
  redis: [
    ["unparseable-id", () => "garbage"],
    ["foreign-epoch", () => "mwwofk5w-5"],
    ["unknown-id", () => `${Date.now() + 86_400_000}-0`],
  ],
};

const WAIT = { timeout: 10_000, interval: 20 };

/** Resolves once the server has registered the client's subscription (or its first poll). */
async function untilSubscribed(server: LivedashServer, transport: TransportName, before: number) {
  await vi.waitFor(() => {
    if (transport === "poll") expect(server.services.traffic.polls).toBeGreaterThan(0);
    else expect(server.services.hub.stats().subscriptions).toBeGreaterThan(before);
  }, WAIT);
}

async function pushCounter(url: string, series: string, from: number, to: number) {
  for (let value = from; value <= to; value++) {
    const res = await ingest(url, [{ series, value }, { series: "unrelated.noise", value }]);
    expect(res.status).toBe(200);
  }
}

const MATRIX = ENGINES.flatMap((engine) => TRANSPORTS.map((transport) => [engine, transport] as const));

describe.each(MATRIX)("%s engine: metrics.live over %s", (engine, transport) => {
  let server: LivedashServer;
  const clients: LiveClient[] = [];
  const open = (input: Parameters<typeof openLive>[2], target = server) => {
    const client = openLive(transport, target.url, input);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    server = await startOn(engine);
  });
  afterEach(async () => {
    await closeAllAndSettle(server, clients);
  });
  afterAll(async () => {
    await server.close();
  });

  it("delivers only matching points, in the order they were accepted, with increasing ids", async () => {
    const series = `order.${transport.replace("-", "_")}.counter`;
    const client = open({ series: [`order.${transport.replace("-", "_")}.*`] });
    await untilSubscribed(server, transport, 0);
    await pushCounter(server.url, series, 1, 40);
    await vi.waitFor(() => expect(client.points()).toHaveLength(40), WAIT);
    expect(client.points().map((p) => p.value)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(new Set(client.points().map((p) => p.series))).toEqual(new Set([series]));
    const ids = client.events.map((e) => e.id);
    for (let i = 1; i < ids.length; i++) expect(server.services.engine.compareIds(ids[i]!, ids[i - 1]!)).toBeGreaterThan(0);
    expect(client.errors).toEqual([]);
  });

  it("replays every missed event exactly once and in order after lastEventId, then goes live", async () => {
    const series = `resume.${transport.replace("-", "_")}.counter`;
    const first = open({ series: [series] });
    await untilSubscribed(server, transport, 0);
    await pushCounter(server.url, series, 1, 10);
    await vi.waitFor(() => expect(first.points()).toHaveLength(10), WAIT);
    const lastEventId = first.events.at(-1)!.id;
    await first.close();

    await pushCounter(server.url, series, 11, 20);
    const second = open({ series: [series], lastEventId });
    await vi.waitFor(() => expect(second.points()).toHaveLength(10), WAIT);
    await pushCounter(server.url, series, 21, 25);
    await vi.waitFor(() => expect(second.points()).toHaveLength(15), WAIT);
    expect(second.points().map((p) => p.value)).toEqual(Array.from({ length: 15 }, (_, i) => i + 11));
    const ids = second.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(UNREPLAYABLE[engine])("sends reset (%s) when it cannot replay, then continues live", async (reason, makeId) => {
    const series = `reset.${transport.replace("-", "_")}.${reason.replace(/-/g, "_")}`;
    const client = open({ series: [series], lastEventId: makeId(server) });
    await vi.waitFor(() => expect(client.events.length).toBeGreaterThan(0), WAIT);
    expect(client.events[0]!.data).toEqual({ type: "reset", reason });
    await pushCounter(server.url, series, 1, 3);
    await vi.waitFor(() => expect(client.points().map((p) => p.value)).toEqual([1, 2, 3]), WAIT);
    // The reset's id is below everything after it: a client never drops a live event as a duplicate.
    const ids = client.events.map((e) => e.id);
    for (let i = 1; i < ids.length; i++) expect(server.services.engine.compareIds(ids[i]!, ids[i - 1]!)).toBeGreaterThan(0);
  });

  it("sends reset (too-old) when the id fell out of the replay window", async () => {
    const small = await startOn(engine, { LIVEDASH_REPLAY_BATCHES: "10" });
    try {
      const series = `old.${transport.replace("-", "_")}`;
      await pushCounter(small.url, series, 1, 2);
      const oldId = small.services.engine.latestId()!;
      await pushCounter(small.url, series, 3, 30);
      const client = open({ series: [series], lastEventId: oldId }, small);
      await vi.waitFor(() => expect(client.events.length).toBeGreaterThan(0), WAIT);
      expect(client.events[0]!.data).toEqual({ type: "reset", reason: "too-old" });
      // Above the id the client resumed from, and naming the newest batch (history covers up to it).
      expect(small.services.engine.compareIds(client.events[0]!.id, oldId)).toBeGreaterThan(0);
      expect(client.events[0]!.id).toBe(small.services.engine.latestId());
      await client.close();
    } finally {
      await small.close();
    }
  });
});

describe("bad subscription input gets BAD_REQUEST naming the field; the server stays up", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it.each(["ws", "trpc-sse"] as const)("over %s", async (transport) => {
    const client = openLive(transport, server.url, { series: ["host.cpu.$bad"] });
    await vi.waitFor(() => expect(client.errors.length).toBeGreaterThan(0), WAIT);
    const error = client.errors[0];
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as { data?: { code?: string } }).data?.code).toBe("BAD_REQUEST");
    expect((error as Error).message).toMatch(/^series\[0\]: series pattern may only contain/);
    await client.close();
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it("over poll", async () => {
    const trpc = httpClient(server.url);
    await expect(trpc.metrics.poll.query({ series: ["ok.*", "bad pattern"], waitMs: 0 })).rejects.toThrow(/series\[1\]: series pattern/);
    await expect(trpc.metrics.poll.query({ series: ["ok"], waitMs: -5 })).rejects.toThrow(/waitMs: waitMs must not be negative/);
  });

  it.each([
    ["/sse", /series: required/],
    ["/sse?series=", /series\[0\]: series pattern must not be empty/],
    ["/sse?series=a,b%20c", /series\[1\]: series pattern may only contain/],
    ["/sse?series=a&foo=1", /unknown query parameter "foo"/],
    [`/sse?series=${"a,".repeat(300)}a`, /at most 256 patterns/],
  ])("over plain /sse: %s", async (path, message) => {
    const res = await fetch(`${server.url}${path}`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(message);
  });

  it("history rejects from > to and bad maxPoints with the field named", async () => {
    const trpc = httpClient(server.url);
    await expect(trpc.metrics.history.query({ series: ["a"], from: 10, to: 5 })).rejects.toThrow(/from: from must not be after to/);
    await expect(trpc.metrics.history.query({ series: ["a"], maxPoints: -1 })).rejects.toThrow(/maxPoints: maxPoints must be at least 1/);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});
