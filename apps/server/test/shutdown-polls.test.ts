import { get } from "node:http";
import { POLL_PROCEDURE, WS_METHOD } from "@livedash/events";
import type { PollResult } from "@livedash/events";
import { describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { ingest, startTestServer } from "./helpers/server";

const SERIES = "shutdown.poll";
const WAIT = { timeout: 15_000, interval: 10 };

/** An HTTP long-poll on its own connection; resolves with the status and body once the answer ends, or the error that cut it. */
function httpPoll(url: string, input: unknown): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = get(`${url}/trpc/${POLL_PROCEDURE}?input=${encodeURIComponent(JSON.stringify(input))}`, { agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", (error) => resolve({ error: error.message }));
    });
    req.on("error", (error) => resolve({ error: error.message }));
  });
}

describe("shutdown answers waiting long-polls", () => {
  it("a long-poll waiting at close (HTTP and WebSocket) gets its empty answer with its cursor, not a cut connection", async () => {
    const server = await startTestServer({ LIVEDASH_SHUTDOWN_TIMEOUT_MS: "5000" });
    try {
      expect((await ingest(server.url, [{ series: SERIES, value: 1 }])).status).toBe(200);
      const cursor = server.services.engine.latestId();
      expect(cursor).not.toBeNull();

      const overHttp = httpPoll(server.url, { series: [SERIES], cursor, waitMs: 30_000 });
      const ws = new WebSocket(`${server.url.replace(/^http/, "ws")}/trpc`);
      const wsMessages: { id?: unknown; result?: { type: string; data?: PollResult } }[] = [];
      ws.on("message", (raw) => wsMessages.push(JSON.parse(raw.toString()) as (typeof wsMessages)[number]));
      ws.on("error", () => undefined);
      await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
      ws.send(JSON.stringify({ id: 7, method: WS_METHOD.query, params: { path: POLL_PROCEDURE, input: { series: [SERIES], cursor, waitMs: 30_000 } } }));
      await vi.waitFor(() => expect(server.services.traffic.polls).toBe(2), WAIT);

      await server.close();

      const answer = await overHttp;
      expect(answer).toMatchObject({ status: 200 });
      const body = JSON.parse((answer as { body: string }).body) as { result: { data: PollResult } };
      expect(body.result.data).toEqual({ events: [], cursor });
      expect(wsMessages.find((m) => m.id === 7)).toEqual({ id: 7, result: { type: "data", data: { events: [], cursor } } });
      ws.terminate();
    } finally {
      await server.close();
    }
  }, 30_000);

  it("a long-poll that arrives once the live path is closed (a kept-alive socket during shutdown) is answered at once", async () => {
    const server = await startTestServer();
    try {
      expect((await ingest(server.url, [{ series: SERIES, value: 1 }])).status).toBe(200);
      const cursor = server.services.engine.latestId();
      server.services.hub.close();
      // waitMs far past the test timeout: only an answer at once passes.
      await expect(server.services.live.poll({ series: [SERIES], cursor, waitMs: 60_000 }, undefined)).resolves.toEqual({ events: [], cursor });
    } finally {
      await server.close();
    }
  }, 10_000);
});
