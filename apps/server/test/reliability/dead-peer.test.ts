import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { LivedashServer } from "../../src/server";
import { openLive } from "../helpers/live-clients";
import type { LiveClient } from "../helpers/live-clients";
import { ingest, startTestServer } from "../helpers/server";
import { rawUpgrade, textFrame } from "./helpers/raw-ws";
import type { RawPeer } from "./helpers/raw-ws";

/** The promise of issue #10: a peer that stops answering holds no socket nor subscription past this. */
const DEAD_PEER_FREED_WITHIN_MS = 35_000;

describe("a dead WebSocket peer", () => {
  let server: LivedashServer;
  let healthy: LiveClient;
  let dead: RawPeer;

  beforeAll(async () => {
    // Default heartbeat settings on purpose: the deadline under test is the one operators get.
    server = await startTestServer();
  });
  afterAll(async () => {
    dead?.socket.destroy();
    await healthy?.close();
    await server?.close();
  });

  it(
    "completed the upgrade, subscribed, then never reads nor pongs: freed (socket and subscription) within 35 s, while a live client stays",
    async () => {
      healthy = openLive("ws", server.url, { series: ["dead.peer.*"] });
      await vi.waitFor(() => expect(server.services.hub.stats().subscriptions).toBe(1), { timeout: 10_000, interval: 20 });

      dead = await rawUpgrade(server.url);
      dead.socket.write(textFrame(JSON.stringify({ id: 1, method: "subscription", params: { path: "metrics.live", input: { series: ["dead.peer.*"] } } })));
      await vi.waitFor(() => expect(server.services.hub.stats().subscriptions).toBe(2), { timeout: 10_000, interval: 20 });
      // From here on it reads nothing: server pings and frames pile up in the kernel buffers, and it
      // never sends a pong (nor anything else). The TCP connection itself stays up.
      dead.socket.pause();
      const deadSinceMs = performance.now();
      expect(server.services.traffic.ws).toBe(2);

      await vi.waitFor(() => expect(server.services.traffic.ws).toBe(1), { timeout: DEAD_PEER_FREED_WITHIN_MS + 5_000, interval: 100 });
      const freedAfterMs = performance.now() - deadSinceMs;
      console.log(`[reliability] dead peer freed after ${(freedAfterMs / 1000).toFixed(1)} s`);
      expect(freedAfterMs).toBeLessThanOrEqual(DEAD_PEER_FREED_WITHIN_MS);
      expect(server.services.hub.stats().subscriptions).toBe(1);

      // The healthy client answered every ping and still gets live points.
      const before = healthy.points().length;
      expect((await ingest(server.url, [{ series: "dead.peer.after", value: 1 }])).status).toBe(200);
      await vi.waitFor(() => expect(healthy.points().length).toBe(before + 1), { timeout: 10_000, interval: 20 });
      expect(healthy.errors).toEqual([]);
    },
    DEAD_PEER_FREED_WITHIN_MS + 30_000,
  );
});
