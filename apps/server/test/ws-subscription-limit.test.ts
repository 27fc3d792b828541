import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import type { LivedashServer } from "../src/server";
import { startTestServer } from "./helpers/server";

const WAIT = { timeout: 10_000, interval: 20 };

function open(url: string): Promise<{ ws: WebSocket; messages: Record<string, unknown>[] }> {
  const ws = new WebSocket(`${url.replace("http", "ws")}/trpc`);
  const messages: Record<string, unknown>[] = [];
  ws.on("message", (data) => messages.push(JSON.parse(data.toString()) as Record<string, unknown>));
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve({ ws, messages }));
    ws.once("error", reject);
  });
}

const subscription = (id: number) => ({ id, method: "subscription", params: { path: "metrics.live", input: { series: [`s${id}.*`] } } });
const poll = (id: number) => ({ id, method: "query", params: { path: "metrics.poll", input: { series: ["p.*"], waitMs: 30_000 } } });
const errorsOf = (messages: Record<string, unknown>[]) => messages.filter((m) => m.error).map((m) => (m.error as { message: string }).message);

describe("subscriptions per WebSocket", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    // Frames of up to 10,000 requests: the message rate (which counts each request) must not refuse them first.
    server = await startTestServer({ LIVEDASH_MAX_SUBSCRIPTIONS_PER_WS: "5", LIVEDASH_MAX_WS_MESSAGES_PER_SEC: "100000" });
  });
  afterAll(async () => {
    await server.close();
  });

  it("one frame holding a JSON array of a thousand subscription requests opens at most the limit, the rest are refused naming it", async () => {
    const { ws, messages } = await open(server.url);
    try {
      ws.send(JSON.stringify(Array.from({ length: 1000 }, (_, i) => subscription(i + 1))));
      await vi.waitFor(() => expect(messages).toHaveLength(1000), WAIT);
      expect(server.services.hub.stats().subscriptions).toBe(5);
      const errors = errorsOf(messages);
      expect(errors).toHaveLength(995);
      expect(new Set(errors)).toEqual(new Set(["at most 5 subscriptions and requests in flight per WebSocket (LIVEDASH_MAX_SUBSCRIPTIONS_PER_WS)"]));

      // A stopped subscription frees its slot.
      ws.send(JSON.stringify({ id: 1, method: "subscription.stop" }));
      ws.send(JSON.stringify(subscription(2000)));
      await vi.waitFor(() => expect(messages.some((m) => m.id === 2000 && (m.result as { type?: string } | undefined)?.type === "started")).toBe(true), WAIT);
    } finally {
      ws.close();
    }
    await vi.waitFor(() => expect(server.services.hub.stats().subscriptions).toBe(0), WAIT);
  });

  it("a client that sends thousands of requests over the limit and never reads the refusals is cut, not buffered for", async () => {
    const { ws } = await open(server.url);
    const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
    // Stop reading: every refusal the server writes now stays in its buffers.
    (ws as unknown as { _socket: { pause(): void } })._socket.pause();
    // ~10k requests per frame (under the 1 MiB frame limit), refusals ~2 MB per frame if all were sent.
    const frame = JSON.stringify(Array.from({ length: 10_000 }, (_, i) => subscription(i + 1)));
    for (let i = 0; i < 5; i++) ws.send(frame);
    await vi.waitFor(() => expect(server.services.traffic.ws).toBe(0), WAIT);
    expect(server.services.hub.stats().subscriptions).toBe(0);
    ws.terminate();
    await closed;
  });

  it("a frame of half a million malformed entries sent by a client that does not read is cut too", async () => {
    const { ws } = await open(server.url);
    const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
    (ws as unknown as { _socket: { pause(): void } })._socket.pause();
    ws.send(`[${"1,".repeat(400_000)}1]`);
    await vi.waitFor(() => expect(server.services.traffic.ws).toBe(0), WAIT);
    ws.terminate();
    await closed;
  });

  it("hosts.live: one frame of ten subscriptions opens at most 4 per WebSocket, the rest refused naming the limit; a stop frees a slot", async () => {
    const { ws, messages } = await open(server.url);
    const hostsLive = (id: number) => ({ id, method: "subscription", params: { path: "hosts.live", input: {} } });
    const startedIds = () => messages.filter((m) => (m.result as { type?: string } | undefined)?.type === "started").map((m) => m.id);
    try {
      ws.send(JSON.stringify(Array.from({ length: 10 }, (_, i) => hostsLive(i + 1))));
      await vi.waitFor(() => expect(startedIds().length + errorsOf(messages).length).toBe(10), WAIT);
      expect(startedIds()).toHaveLength(4);
      expect(new Set(errorsOf(messages))).toEqual(new Set(["at most 4 hosts.live subscriptions per WebSocket (one serves a page)"]));

      ws.send(JSON.stringify({ id: startedIds()[0], method: "subscription.stop" }));
      ws.send(JSON.stringify(hostsLive(100)));
      await vi.waitFor(() => expect(startedIds()).toContain(100), WAIT);
    } finally {
      ws.close();
    }
  });

  it("hosts.live: a snapshot is serialized once per publish, not once per subscription (2 sockets x 4 subscriptions)", async () => {
    const isHostsEvent = (value: unknown): boolean => {
      const v = value as { type?: unknown; result?: { data?: { data?: { type?: unknown } } } } | null;
      return typeof v === "object" && v !== null && (v.type === "hosts" || v.result?.data?.data?.type === "hosts");
    };
    const stringify = vi.spyOn(JSON, "stringify");
    const sockets = [await open(server.url), await open(server.url)];
    const hostsLive = (id: number) => ({ id, method: "subscription", params: { path: "hosts.live", input: {} } });
    const snapshotsOf = (messages: Record<string, unknown>[]) => messages.filter((m) => (m.result as { type?: string } | undefined)?.type === "data");
    try {
      for (const { ws } of sockets) ws.send(JSON.stringify([1, 2, 3, 4].map(hostsLive)));
      await vi.waitFor(() => expect(sockets.map(({ messages }) => snapshotsOf(messages).length >= 4)).toEqual([true, true]), WAIT);
      const received = sockets.flatMap(({ messages }) => snapshotsOf(messages));
      const distinct = new Set(received.map((m) => (m.result as { id: string }).id));
      const serialized = stringify.mock.calls.filter(([value]) => isHostsEvent(value)).length;
      expect(received.length).toBeGreaterThanOrEqual(8);
      expect(serialized).toBeLessThanOrEqual(distinct.size);
    } finally {
      stringify.mockRestore();
      for (const { ws } of sockets) ws.close();
    }
  });

  it("long-polls in flight count too", async () => {
    const { ws, messages } = await open(server.url);
    try {
      ws.send(JSON.stringify(Array.from({ length: 50 }, (_, i) => poll(i + 1))));
      await vi.waitFor(() => expect(errorsOf(messages)).toHaveLength(45), WAIT);
      await vi.waitFor(() => expect(server.services.traffic.polls).toBe(5), WAIT);
    } finally {
      ws.close();
    }
    await vi.waitFor(() => expect(server.services.traffic.polls).toBe(0), WAIT);
  });
});
