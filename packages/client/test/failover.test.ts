import { afterEach, describe, expect, it, vi } from "vitest";
import { startRedis } from "@livedash/server/testing";
import { createLivedashClient } from "../src/node";
import { startCounter } from "./helpers/counter";
import { startProxy } from "./helpers/proxy";
import { Recorder } from "./helpers/recorder";
import { startTestServer } from "./helpers/server";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const SERIES = "failover.counter";
const FAST = { wsOpenTimeoutMs: 2_000, sseFirstEventTimeoutMs: 2_000, pollWaitMs: 1_000, backoffBaseMs: 50, maxBackoffMs: 300 };

/**
 * Scale-out (redis engine): two instances share one stream, so event ids mean the same on both.
 * A load balancer fails the client over from A to B mid-stream; the client resumes by id on B.
 */
describe.each(["ws", "sse", "poll"] as const)("failover between redis-backed instances over %s", (transport) => {
  it("resumes on the other instance by id: nothing missing, nothing repeated, no reset", async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const a = await startTestServer({ REDIS_URL: redis.url });
    cleanups.push(() => a.close());
    const b = await startTestServer({ REDIS_URL: redis.url });
    cleanups.push(() => b.close());
    const balancer = await startProxy(a.url, "pass");
    cleanups.push(() => balancer.close());

    const client = createLivedashClient({ url: balancer.url, transport, ladder: FAST });
    cleanups.push(() => client.close());
    const rec = new Recorder();
    const sub = client.trpc.metrics.live.subscribe({ series: [SERIES] }, { onData: rec.onData });
    cleanups.push(() => sub.unsubscribe());
    await vi.waitFor(() => expect(client.connection.get().status).toBe("live"), { timeout: 10_000 });

    // Producers write to B the whole time; A learns of the points through the shared stream.
    const counter = startCounter(() => b.url, SERIES, 10);
    cleanups.push(() => counter.stop());
    await vi.waitFor(() => expect(rec.values(SERIES).length).toBeGreaterThanOrEqual(20), { timeout: 10_000 });

    balancer.retarget(b.url);
    balancer.dropConnections();
    await vi.waitFor(() => expect(client.connection.get()).toMatchObject({ status: "live", reconnects: 1 }), { timeout: 10_000 });
    const atFailover = rec.values(SERIES).length;
    await vi.waitFor(() => expect(rec.values(SERIES).length).toBeGreaterThanOrEqual(atFailover + 20), { timeout: 10_000 });
    await counter.stop();
    await vi.waitFor(() => expect(rec.values(SERIES).at(-1)).toBe(counter.acked()), { timeout: 10_000 });

    expect(rec.check(SERIES).problems).toEqual([]);
    expect(rec.resets()).toBe(0);
    expect(rec.values(SERIES)[0]).toBe(1);
  });
});
