import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import type { LivedashServer } from "../src/server";
import { startTestServer } from "./helpers/server";

const WAIT = { timeout: 10_000, interval: 20 };
const LIMIT_MESSAGE = "too many long-polls waiting from this address (limit 10, LIVEDASH_MAX_POLLS_PER_IP)";

function open(url: string): Promise<{ ws: WebSocket; errors: string[] }> {
  const ws = new WebSocket(`${url.replace("http", "ws")}/trpc`);
  const errors: string[] = [];
  ws.on("message", (data) => {
    const message = JSON.parse(data.toString()) as { error?: { message: string } };
    if (message.error) errors.push(message.error.message);
  });
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve({ ws, errors }));
    ws.once("error", reject);
  });
}

const poll = (id: number) => ({ id, method: "query", params: { path: "metrics.poll", input: { series: [`none${id}.*`], waitMs: 30_000 } } });

describe("long-polls over WebSocket and LIVEDASH_MAX_POLLS_PER_IP", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer({ LIVEDASH_MAX_POLLS_PER_IP: "10" });
  });
  afterAll(async () => {
    await server.close();
  });

  it("metrics.poll calls over WebSocket count toward the per-address poll limit, shared with HTTP", async () => {
    const a = await open(server.url);
    const b = await open(server.url);
    try {
      a.ws.send(JSON.stringify(Array.from({ length: 8 }, (_, i) => poll(i + 1))));
      await vi.waitFor(() => expect(server.services.traffic.polls).toBe(8), WAIT);
      b.ws.send(JSON.stringify(Array.from({ length: 8 }, (_, i) => poll(i + 1))));
      await vi.waitFor(() => expect(b.errors).toHaveLength(6), WAIT);
      expect(new Set(b.errors)).toEqual(new Set([LIMIT_MESSAGE]));
      expect(server.services.traffic.polls).toBe(10);
      // An HTTP long-poll from the same address finds the limit taken too.
      const input = encodeURIComponent(JSON.stringify({ series: ["h.*"], waitMs: 30_000 }));
      const res = await fetch(`${server.url}/trpc/metrics.poll?input=${input}`);
      expect(res.status).toBe(429);
      // Closing a socket gives its polls back.
      a.ws.close();
      await vi.waitFor(() => expect(server.services.traffic.polls).toBe(2), WAIT);
      b.ws.send(JSON.stringify(poll(100)));
      await vi.waitFor(() => expect(server.services.traffic.polls).toBe(3), WAIT);
      expect(b.errors).toHaveLength(6);
    } finally {
      a.ws.close();
      b.ws.close();
    }
  });
});
