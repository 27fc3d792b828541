import { once } from "node:events";
import { createServer as createNetServer, connect } from "node:net";
import type { Socket } from "node:net";
import type { LiveEvent, Point } from "@livedash/events";
import { LIVE_PROCEDURE, wsSubscribeMessage } from "@livedash/events";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { drainFanOut } from "../src/transport/drain-fan-out";
import type { LivedashServer } from "../src/server";
import { startTestServer } from "./helpers/server";

const WAIT = { timeout: 15_000, interval: 10 };
const SUBSCRIPTIONS = 20;
const SERIES = Array.from({ length: 10 }, (_, i) => `drain.s${i}`);

/** ~4 KB per batch per subscription. */
function batch(round: number): Point[] {
  const points: Point[] = [];
  for (let k = 0; k < 10; k++) for (const series of SERIES) points.push({ series, ts: 1_700_000_000_000 + round * 10 + k, value: round * 10 + k + 0.123456789 });
  return points;
}

describe("one drain listener per WebSocket", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer({}, { backpressure: { highWatermarkBytes: 16_384, lowWatermarkBytes: 4_096, hardCapBytes: 16_777_216, maxSlowMs: 60_000 } });
  });
  afterAll(async () => {
    await server.close();
  });

  it("drainFanOut: 20 waiting listeners hold one 'drain' listener on the socket, and each is called when it drains", async () => {
    const peer = createNetServer((s) => s.pause());
    peer.listen(0, "127.0.0.1");
    await once(peer, "listening");
    const accepted = once(peer, "connection") as Promise<[Socket]>;
    const socket = connect((peer.address() as { port: number }).port, "127.0.0.1");
    await once(socket, "connect");
    const [remote] = await accepted;
    try {
      const onDrain = drainFanOut(socket);
      const called = new Array<number>(SUBSCRIPTIONS).fill(0);
      const removers = called.map((_, i) => onDrain(() => called[i]!++));
      expect(socket.listenerCount("drain")).toBe(1);
      // Bounded: the peer does not read, so the kernel buffers fill long before 64 MiB.
      const chunk = Buffer.alloc(65_536);
      for (let i = 0; i < 1_024 && socket.write(chunk); i++);
      expect(socket.writableNeedDrain).toBe(true);
      remote.resume();
      await vi.waitFor(() => expect(called).toEqual(new Array<number>(SUBSCRIPTIONS).fill(1)), WAIT);
      removers.forEach((remove) => remove());
      expect(socket.listenerCount("drain")).toBe(0);
    } finally {
      socket.destroy();
      remote.destroy();
      peer.close();
    }
  });

  it("20 subscriptions slowed on one socket: no MaxListenersExceededWarning, and every one flushes its coalesced points on drain", async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on("warning", onWarning);
    const ws = new WebSocket(`${server.url.replace(/^http/, "ws")}/trpc`);
    try {
      const coalescedFor = new Set<unknown>();
      ws.on("message", (raw) => {
        const msg = JSON.parse(raw.toString()) as { id?: unknown; result?: { type: string; data?: { data: LiveEvent } } };
        const event = msg.result?.data?.data;
        if (event?.type === "points" && event.coalesced) coalescedFor.add(msg.id);
      });
      await once(ws, "open");
      ws.send(JSON.stringify(Array.from({ length: SUBSCRIPTIONS }, (_, i) => wsSubscribeMessage(i + 1, LIVE_PROCEDURE, { series: ["drain.*"] }))));
      await vi.waitFor(() => expect(server.services.hub.stats().subscriptions).toBe(SUBSCRIPTIONS), WAIT);
      ws.pause();

      const { engine, hub } = server.services;
      // Until one batch is written to none of them: every subscription is coalescing (bounded count).
      let slowed = false;
      for (let round = 0; round < 2_000 && !slowed; round++) {
        const before = hub.stats().eventsOut;
        await engine.publish(batch(round));
        await new Promise((resolve) => setImmediate(resolve));
        slowed = hub.stats().eventsOut === before;
      }
      expect(slowed).toBe(true);
      // process 'warning' is emitted on a later tick than the listener was added.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.includes("drain"))).toEqual([]);

      ws.resume();
      await vi.waitFor(() => expect(coalescedFor.size).toBe(SUBSCRIPTIONS), WAIT);
    } finally {
      process.off("warning", onWarning);
      ws.terminate();
    }
  }, 60_000);
});
