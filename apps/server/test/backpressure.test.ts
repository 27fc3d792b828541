import type { LiveEvent, Point } from "@livedash/events";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import type { LivedashServer } from "../src/server";
import { WS_CLOSE } from "@livedash/events";
import { startTestServer } from "./helpers/server";

const WAIT = { timeout: 15_000, interval: 10 };
const SERIES = Array.from({ length: 10 }, (_, i) => `bp.s${i}`);

interface RawSubscriber {
  ws: WebSocket;
  events: { id: string; data: LiveEvent }[];
  closeCode: number | null;
}

/** A raw wsLink-protocol subscriber, so the test can pause its socket like a stalled browser tab. */
async function rawSubscriber(url: string, patterns: string[]): Promise<RawSubscriber> {
  const ws = new WebSocket(`${url.replace(/^http/, "ws")}/trpc`);
  const sub: RawSubscriber = { ws, events: [], closeCode: null };
  ws.on("message", (raw) => {
    const msg = JSON.parse(raw.toString()) as { result?: { type: string; id?: string; data?: { data: LiveEvent } } };
    if (msg.result?.type === "data") sub.events.push({ id: msg.result.id!, data: msg.result.data!.data });
  });
  ws.on("close", (code) => (sub.closeCode = code));
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  ws.send(JSON.stringify({ id: 1, method: "subscription", params: { path: "metrics.live", input: { series: patterns } } }));
  return sub;
}

/** ~4 KB per batch: 10 series x 10 points with long-ish values. */
function batch(round: number): Point[] {
  const points: Point[] = [];
  for (let k = 0; k < 10; k++) for (const series of SERIES) points.push({ series, ts: 1_700_000_000_000 + round * 10 + k, value: round * 10 + k + 0.123456789 });
  return points;
}

function pointsOf(events: { data: LiveEvent }[]) {
  return events.flatMap((e) => (e.data.type === "points" ? e.data.points : []));
}

/** Values per series must only ever go up: no reordering, whatever was coalesced away. */
function expectIncreasingPerSeries(points: Point[]) {
  const last = new Map<string, number>();
  for (const p of points) {
    const prev = last.get(p.series);
    if (prev !== undefined) expect(p.value).toBeGreaterThan(prev);
    last.set(p.series, p.value);
  }
  return last;
}

describe("slow consumers", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer({}, { backpressure: { highWatermarkBytes: 16_384, lowWatermarkBytes: 4_096, hardCapBytes: 1_048_576, maxSlowMs: 60_000 } });
  });
  afterAll(async () => {
    await server.close();
  });

  it("coalesces a stalled subscriber to the latest point per series, keeps others whole, and catches up on resume", async () => {
    const slow = await rawSubscriber(server.url, ["bp.*"]);
    const healthy = await rawSubscriber(server.url, ["bp.*"]);
    await vi.waitFor(() => expect(server.services.hub.stats().subscriptions).toBe(2), WAIT);
    slow.ws.pause();

    const { engine } = server.services;
    let rounds = 0;
    // Bounded: at most 4000 batches (~16 MB), stopping as soon as the hub starts coalescing.
    const coalescingBefore = server.services.hub.stats();
    for (; rounds < 4000; rounds++) {
      await engine.publish(batch(rounds));
      if (rounds % 50 === 0) await new Promise((r) => setImmediate(r));
      if (rounds > 50 && server.services.hub.stats().eventsOut - coalescingBefore.eventsOut < 2 * (rounds + 1) - 20) break;
    }
    // Push some more while coalescing: none of it may be queued for the slow socket.
    const eventsOutWhileSlow = server.services.hub.stats().eventsOut;
    for (let i = 0; i < 200; i++) await engine.publish(batch(rounds + 1 + i));
    const finalRound = rounds + 200;
    // Only the healthy subscriber got these 200 events.
    expect(server.services.hub.stats().eventsOut - eventsOutWhileSlow).toBe(200);

    await vi.waitFor(() => expect(pointsOf(healthy.events)).toHaveLength((finalRound + 1) * 100), WAIT);
    expectIncreasingPerSeries(pointsOf(healthy.events));

    slow.ws.resume();
    const lastValue = finalRound * 10 + 9 + 0.123456789;
    await vi.waitFor(() => {
      const last = expectIncreasingPerSeries(pointsOf(slow.events));
      for (const series of SERIES) expect(last.get(series)).toBe(lastValue);
    }, WAIT);
    expect(server.services.hub.stats().coalescedEvents).toBeGreaterThan(0);
    // Coalesced events say so on the wire; the healthy subscriber got every point, none marked.
    expect(slow.events.some((e) => e.data.type === "points" && e.data.coalesced === true)).toBe(true);
    expect(healthy.events.some((e) => e.data.type === "points" && e.data.coalesced !== undefined)).toBe(false);
    // The slow subscriber saw far fewer points than were published: the middle was coalesced away.
    expect(pointsOf(slow.events).length).toBeLessThan((finalRound + 1) * 100);
    slow.ws.close();
    healthy.ws.close();
  });
});

describe("a consumer that stays slow", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer({}, { backpressure: { highWatermarkBytes: 16_384, lowWatermarkBytes: 4_096, hardCapBytes: 1_048_576, maxSlowMs: 200 } });
  });
  afterAll(async () => {
    await server.close();
  });

  it(`is closed with ${WS_CLOSE.slowConsumer} and can resume by id`, async () => {
    const slow = await rawSubscriber(server.url, ["bp.*"]);
    await vi.waitFor(() => expect(server.services.hub.stats().subscriptions).toBe(1), WAIT);
    slow.ws.pause();
    // Bounded: publish until the hub gives up on the subscriber (at most 6000 batches).
    for (let round = 0; round < 6000 && server.services.hub.stats().slowClosed === 0; round++) {
      await server.services.engine.publish(batch(round));
      if (round % 20 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    expect(server.services.hub.stats().slowClosed).toBe(1);
    expect(server.services.hub.stats().subscriptions).toBe(0);
    slow.ws.resume();
    await vi.waitFor(() => expect(slow.closeCode).toBe(WS_CLOSE.slowConsumer), WAIT);

    const lastId = slow.events.at(-1)!.id;
    await server.services.engine.publish([{ series: "bp.s0", ts: Date.now(), value: 1e9 }]);
    const again = await rawSubscriber(server.url, ["bp.*"]);
    again.ws.send(JSON.stringify({ id: 2, method: "subscription", params: { path: "metrics.live", input: { series: ["bp.*"], lastEventId: lastId } } }));
    await vi.waitFor(() => expect(pointsOf(again.events).some((p) => p.value === 1e9)).toBe(true), WAIT);
    again.ws.close();
  });
});

describe("batching", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer({ LIVEDASH_BATCH_WINDOW_MS: "5" });
  });
  afterAll(async () => {
    await server.close();
  });

  it("merges concurrent writes into few events and never reorders or drops a point of a series", async () => {
    const sub = await rawSubscriber(server.url, ["order.*"]);
    await vi.waitFor(() => expect(server.services.hub.stats().subscriptions).toBe(1), WAIT);
    const ids: Promise<string>[] = [];
    for (let i = 0; i < 2000; i++) {
      ids.push(server.services.batcher.enqueue([{ series: `order.s${i % 7}`, ts: i, value: i }]));
      if (i % 97 === 0) await new Promise((r) => setTimeout(r, 2));
    }
    const distinctIds = new Set(await Promise.all(ids));
    expect(distinctIds.size).toBeLessThan(2000);
    await vi.waitFor(() => expect(pointsOf(sub.events)).toHaveLength(2000), WAIT);
    const received = pointsOf(sub.events).map((p) => p.value);
    expect(received).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    sub.ws.close();
  });
});
