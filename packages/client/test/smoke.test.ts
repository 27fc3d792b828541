import { afterEach, describe, expect, it, vi } from "vitest";
import { createLivedashClient } from "../src/node";
import type { LivedashClient } from "../src/node";
import { startCounter } from "./helpers/counter";
import { Recorder } from "./helpers/recorder";
import { startTestServer } from "./helpers/server";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.each(["ws", "sse", "poll"] as const)("pinned to %s", (transport) => {
  it("delivers a steady counter in order", async () => {
    const server = await startTestServer();
    cleanups.push(() => server.close());
    const client: LivedashClient = createLivedashClient({ url: server.url, transport, ladder: { pollWaitMs: 1000 } });
    cleanups.push(() => client.close());
    const rec = new Recorder();
    const states: string[] = [];
    let started = 0;
    const sub = client.trpc.metrics.live.subscribe(
      { series: ["test.*"] },
      { onData: rec.onData, onStarted: () => started++, onConnectionStateChange: (s) => states.push(s.state) },
    );
    cleanups.push(() => sub.unsubscribe());
    await vi.waitFor(() => expect(client.connection.get().status).toBe("live"), { timeout: 10_000 });
    const counter = startCounter(() => server.url, "test.counter", 10);
    cleanups.push(() => counter.stop());
    await vi.waitFor(() => expect(rec.values("test.counter").length).toBeGreaterThanOrEqual(20), { timeout: 10_000 });
    await counter.stop();
    await vi.waitFor(() => expect(rec.values("test.counter").at(-1)).toBe(counter.acked()), { timeout: 10_000 });
    const { problems } = rec.check("test.counter");
    expect(problems).toEqual([]);
    expect(client.connection.get().transport).toBe(transport);
    expect(started).toBe(1);
    expect(states).toEqual(["connecting", "pending"]);
  });
});
