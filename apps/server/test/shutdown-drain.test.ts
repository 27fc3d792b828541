import { connect } from "node:net";
import type { Socket } from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { mainUrl, startMain } from "./helpers/main-process";
import { startRedis } from "./helpers/redis-server";
import type { TestRedis } from "./helpers/redis-server";

/** A WebSocket peer that completes the upgrade, then never reads again: it never answers a close frame. */
function deafWebSocketPeer(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(
        "GET /trpc HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
          "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
      );
    });
    socket.once("data", (chunk: Buffer) => {
      if (!chunk.toString().startsWith("HTTP/1.1 101")) return reject(new Error(`upgrade refused: ${chunk.toString()}`));
      socket.pause();
      resolve(socket);
    });
    socket.on("error", () => undefined);
  });
}

describe("SIGTERM drains within its timeout", () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  }, 30_000);
  afterAll(async () => {
    await redis?.stop();
  });

  it(
    "answers the ingest in flight, flushes the batcher into the engine and exits 0, though a WebSocket peer never completes the close handshake",
    async () => {
      const stream = `drain-${process.pid}`;
      // A 1 s batching window holds the ingest below in the batcher while SIGTERM arrives.
      const proc = startMain({ PORT: "0", REDIS_URL: redis.url, LIVEDASH_REDIS_STREAM: stream, LIVEDASH_BATCH_WINDOW_MS: "1000", LIVEDASH_SHUTDOWN_TIMEOUT_MS: "4000" });
      const peers: Socket[] = [];
      try {
        const url = await mainUrl(proc);
        peers.push(await deafWebSocketPeer(url), await deafWebSocketPeer(url));
        const inFlight = fetch(`${url}/api/ingest`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ points: [{ series: "drain.x", value: 42 }] }),
        });
        // SIGTERM once the server holds the request (its points wait in the batcher's window).
        await vi.waitFor(async () => expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/^livedash_http_writes_in_flight 1$/m), { timeout: 10_000, interval: 20 });
        proc.child.kill("SIGTERM");
        const answer = await inFlight;
        expect(answer.status).toBe(200);
        const body = (await answer.json()) as { accepted: number; id: string };
        expect(body.accepted).toBe(1);
        expect(await proc.exited).toBe(0);

        const client = new Redis(redis.url);
        try {
          const entries = await client.xrange(stream, "-", "+");
          expect(entries.map(([id]) => id)).toContain(body.id);
          expect(JSON.stringify(entries)).toContain("drain.x");
        } finally {
          client.disconnect();
        }
      } finally {
        for (const peer of peers) peer.destroy();
        proc.child.kill("SIGKILL");
      }
    },
    30_000,
  );
});
