import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import type { LivedashServer } from "../src/server";
import { captureLog } from "./helpers/log-capture";
import { ingest, startTestServer } from "./helpers/server";

const WAIT = { timeout: 15_000, interval: 20 };

interface Client {
  ws: WebSocket;
  /** Every text frame, JSON-parsed when it is JSON (PONG stays a string). */
  messages: unknown[];
  closed: Promise<{ code: number; reason: string }>;
}

function open(url: string, query = ""): Promise<Client> {
  const ws = new WebSocket(`${url.replace("http", "ws")}/trpc${query}`);
  const messages: unknown[] = [];
  ws.on("message", (data) => {
    const text = data.toString();
    messages.push(text.startsWith("{") ? (JSON.parse(text) as unknown) : text);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve({ ws, messages, closed }));
    ws.once("error", reject);
  });
}

const stop = (id: number) => ({ id, method: "subscription.stop" });
const subscribe = (id: number, series: string[]) => ({ id, method: "subscription", params: { path: "metrics.live", input: { series } } });
const errorsOf = (messages: unknown[]) =>
  messages.filter((m): m is { error: { message: string } } => typeof m === "object" && m !== null && "error" in m).map((m) => m.error.message);
const withId = (messages: unknown[], id: number | string) => messages.filter((m) => typeof m === "object" && m !== null && (m as { id?: unknown }).id === id);

describe("requests packed into WebSocket frames", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer({ LIVEDASH_MAX_WS_MESSAGES_PER_SEC: "200" });
  });
  afterAll(async () => {
    await server.close();
  });

  it("a frame holding a JSON array of 25,000 subscription.stop requests is refused whole, naming the per-frame limit, and closes the socket", async () => {
    const { ws, messages, closed } = await open(server.url);
    ws.send(JSON.stringify(Array.from({ length: 25_000 }, (_, i) => stop(i + 1))));
    const { code } = await closed;
    expect(code).toBe(1008);
    expect(errorsOf(messages)).toEqual(["a frame holds at most 200 requests, this one 25000 (LIVEDASH_MAX_WS_MESSAGES_PER_SEC)"]);
    expect(messages).toHaveLength(1);
  });

  it("each element of an array counts toward the message rate: two frames of 150 requests in a second close the socket", async () => {
    const { ws, messages, closed } = await open(server.url);
    // The churn of F2: a subscription with fresh patterns and its stop, 75 pairs per frame.
    const frame = (n: number) => JSON.stringify(Array.from({ length: 75 }, (_, i) => [subscribe(n * 100 + i, [`churn${n}-${i}.*`]), stop(n * 100 + i)]).flat());
    ws.send(frame(1));
    ws.send(frame(2));
    const { code } = await closed;
    expect(code).toBe(1008);
    expect(errorsOf(messages)).toContain("more than 200 messages per second (LIVEDASH_MAX_WS_MESSAGES_PER_SEC)");
    await vi.waitFor(() => expect(server.services.hub.stats().subscriptions).toBe(0), WAIT);
  });

  it("subscription.stop for an id that never started is not answered", async () => {
    const { ws, messages } = await open(server.url);
    try {
      ws.send(JSON.stringify([stop(77), stop(78)]));
      ws.send("PING");
      await vi.waitFor(() => expect(messages).toContain("PONG"), WAIT);
      expect(withId(messages, 77)).toEqual([]);
      expect(withId(messages, 78)).toEqual([]);
      // A stop for a live subscription is still confirmed.
      ws.send(JSON.stringify(subscribe(5, ["x.*"])));
      await vi.waitFor(() => expect(withId(messages, 5)).toHaveLength(1), WAIT);
      ws.send(JSON.stringify(stop(5)));
      await vi.waitFor(() => expect(withId(messages, 5)).toContainEqual({ id: 5, result: { type: "stopped" } }), WAIT);
    } finally {
      ws.close();
    }
  });

  it("a request id longer than the limit is refused naming it, and never echoed", async () => {
    const { ws, messages } = await open(server.url);
    try {
      const id = "x".repeat(900_000);
      ws.send(JSON.stringify({ ...subscribe(0, ["*"]), id }));
      await vi.waitFor(() => expect(errorsOf(messages)).toHaveLength(1), WAIT);
      expect(errorsOf(messages)).toEqual(["`id` is at most 128 characters (got 900000)"]);
      expect(JSON.stringify(messages).length).toBeLessThan(2_000);
      expect(server.services.hub.stats().subscriptions).toBe(0);
    } finally {
      ws.close();
    }
  });
});

describe("replies a WebSocket client does not read", () => {
  let server: LivedashServer;
  const log = captureLog();
  beforeAll(async () => {
    server = await startTestServer({ LIVEDASH_LOG: "warn" }, { ws: { maxUnreadReplyBytes: 1_048_576 }, logDestination: log.stream });
    // 10,000 points in one series: each history answer below is a few hundred KB.
    const now = Date.now();
    const { status } = await ingest(server.url, Array.from({ length: 10_000 }, (_, i) => ({ series: "big.series", value: i, ts: now - 10_000 + i })));
    expect(status).toBe(200);
  });
  afterAll(async () => {
    await server.close();
  });

  it("past the cap of unread replies the socket is closed 4008 like a slow subscriber, not buffered for", async () => {
    const { ws, messages, closed } = await open(server.url);
    const socket = (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    const history = (id: number) => ({ id, method: "query", params: { path: "metrics.history", input: { series: ["big.series"], maxPoints: 10_000 } } });
    // 150 answers of ~300 KB would be ~45 MB if all were buffered; the kernel takes a few MB of it.
    for (let f = 0; f < 5; f++) ws.send(JSON.stringify(Array.from({ length: 30 }, (_, i) => history(f * 30 + i + 1))));
    // The server gives up on the socket (its grace to read the close frame is not awaited: reading now shows it).
    await vi.waitFor(() => expect(log.text()).toContain("replies not read"), WAIT);
    socket.resume();
    const { code } = await closed;
    expect(code).toBe(4008);
    expect(messages.length).toBeLessThan(150);
  });
});

