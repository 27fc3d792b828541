import type { LiveEvent } from "@livedash/events";
import { isTrackedEnvelope } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "@livedash/api";
import type { LivedashServer } from "../src/server";
import { startTestServer } from "./helpers/server";

/** Reads `count` events from the reference generator (tRPC's own subscription path, via createCaller). */
async function take(iterable: AsyncIterable<unknown>, count: number) {
  const out: { id: string; data: LiveEvent }[] = [];
  for await (const value of iterable) {
    if (!isTrackedEnvelope(value)) throw new Error("metrics.live must yield tracked() events");
    out.push({ id: value[0], data: value[1] as LiveEvent });
    if (out.length === count) break;
  }
  return out;
}

describe("metrics.live reference generator", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });
  const caller = () => appRouter.createCaller({ auth: { read: true, ingest: true }, clientKey: "test", address: "test", services: server.services });

  it("replays after lastEventId, then goes live, filtered and in order", async () => {
    const { engine } = server.services;
    const first = await engine.publish([{ series: "gen.a", ts: 1, value: 1 }]);
    await engine.publish([{ series: "gen.b", ts: 2, value: 2 }]);
    await engine.publish([{ series: "gen.a", ts: 3, value: 3 }]);
    const events = take(await caller().metrics.live({ series: ["gen.a"], lastEventId: first }), 2);
    setImmediate(() => void engine.publish([{ series: "gen.a", ts: 4, value: 4 }]));
    const got = await events;
    expect(got.map((e) => (e.data.type === "points" ? e.data.points.map((p) => p.value) : e.data.type))).toEqual([[3], [4]]);
  });

  it("starts with reset when the id cannot be replayed", async () => {
    const [event] = await take(await caller().metrics.live({ series: ["gen.*"], lastEventId: "zzzzzz-1" }), 1);
    expect(event!.data).toEqual({ type: "reset", reason: "foreign-epoch" });
    expect(event!.id).toBe(server.services.engine.latestId());
  });

  it("refuses a caller without the read token", async () => {
    const anonymous = appRouter.createCaller({ auth: { read: false, ingest: false }, clientKey: "test", address: "test", services: server.services });
    await expect(anonymous.metrics.live({ series: ["gen.*"] })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });
});

describe("metrics.live reference generator on a closing server", () => {
  it("ends when the server closes", async () => {
    const server = await startTestServer();
    const caller = appRouter.createCaller({ auth: { read: true, ingest: true }, clientKey: "test", address: "test", services: server.services });
    const iterable = (await caller.metrics.live({ series: ["gen.*"] })) as AsyncIterable<unknown>;
    const iterator = iterable[Symbol.asyncIterator]();
    const next = iterator.next();
    await server.close();
    await expect(next).resolves.toMatchObject({ done: true });
  });
});
