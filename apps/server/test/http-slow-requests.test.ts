import net from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { LivedashServer } from "../src/server";
import { startTestServer } from "./helpers/server";

/** Bounded by the server's timeouts below (1 s headers, 2 s request) plus Node's check interval. */
const WAIT = { timeout: 15_000, interval: 50 };

interface RawClient {
  socket: net.Socket;
  received: () => string;
  closed: () => boolean;
}

function rawClient(port: number, head: string): RawClient {
  const socket = net.connect(port, "127.0.0.1");
  let data = "";
  let closed = false;
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => (data += chunk));
  socket.on("error", () => undefined);
  socket.on("close", () => (closed = true));
  socket.write(head);
  return { socket, received: () => data, closed: () => closed };
}

describe("slow requests (slowloris) are cut by the server's timeouts and counted per address", () => {
  let server: LivedashServer;
  let port: number;
  beforeAll(async () => {
    server = await startTestServer({ LIVEDASH_HEADERS_TIMEOUT_MS: "1000", LIVEDASH_REQUEST_TIMEOUT_MS: "2000", LIVEDASH_MAX_CONNECTIONS_PER_IP: "3" });
    port = Number(new URL(server.url).port);
  });
  afterAll(async () => {
    await server.close();
  });

  it("a trickling ingest body past LIVEDASH_REQUEST_TIMEOUT_MS and unfinished headers past LIVEDASH_HEADERS_TIMEOUT_MS are answered 408 and closed; a stream stays open", async () => {
    const stream = new AbortController();
    const sse = await fetch(`${server.url}/sse?series=x`, { signal: stream.signal });
    expect(sse.status).toBe(200);
    const body = rawClient(port, "POST /api/ingest HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{");
    const headers = rawClient(port, "POST /api/write HTTP/1.1\r\nHost: localhost\r\n");
    // One byte now and then, as slowloris.mjs does: the socket never goes idle.
    const trickle = setInterval(() => {
      if (!body.closed()) body.socket.write(" ");
      if (!headers.closed()) headers.socket.write("X-a: b\r\n");
    }, 200);
    try {
      await vi.waitFor(() => expect([body.closed(), headers.closed()]).toEqual([true, true]), WAIT);
      expect(body.received()).toMatch(/^HTTP\/1\.1 408/);
      expect(headers.received()).toMatch(/^HTTP\/1\.1 408/);
      // The stream outlived both timeouts: they bound receiving a request, not a response.
      expect(server.services.hub.stats().subscriptions).toBe(1);
    } finally {
      clearInterval(trickle);
      body.socket.destroy();
      headers.socket.destroy();
      stream.abort();
    }
  });

  const postOnePoint = () =>
    fetch(`${server.url}/api/ingest`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ points: [{ series: "x", value: 1 }] }),
      signal: AbortSignal.timeout(10_000),
    });

  it("ingest requests in flight count against LIVEDASH_MAX_CONNECTIONS_PER_IP: past it the next gets 429 at once", async () => {
    const slow = [0, 1, 2].map(() => rawClient(port, "POST /api/ingest HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"));
    try {
      // The three bodies are counted once their headers are read; until then the one-point ingest passes.
      await vi.waitFor(async () => {
        const refused = await postOnePoint();
        expect(refused.status).toBe(429);
        expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(
          "too many connections from this address (LIVEDASH_MAX_CONNECTIONS_PER_IP)",
        );
      }, WAIT);
    } finally {
      for (const client of slow) client.socket.destroy();
    }
    await vi.waitFor(async () => expect((await postOnePoint()).status).toBe(200), WAIT);
  });
});
