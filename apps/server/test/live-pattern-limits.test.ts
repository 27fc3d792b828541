import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import type { LivedashServer } from "../src/server";
import { startTestServer } from "./helpers/server";

const WAIT = { timeout: 10_000, interval: 20 };
const PER_ADDRESS = /at most 6 distinct patterns \(LIVEDASH_MAX_LIVE_PATTERNS_PER_ADDRESS\)/;
const globs = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}.*`);

describe("live pattern caps on every transport", () => {
  let server: LivedashServer;
  let ws: WebSocket;
  const messages: Record<string, unknown>[] = [];
  beforeAll(async () => {
    server = await startTestServer({ LIVEDASH_MAX_LIVE_PATTERNS: "20", LIVEDASH_MAX_LIVE_PATTERNS_PER_ADDRESS: "6" });
    // This socket holds 5 distinct patterns of the address's 6 for the whole suite.
    ws = new WebSocket(`${server.url.replace("http", "ws")}/trpc`);
    ws.on("message", (data) => messages.push(JSON.parse(data.toString()) as Record<string, unknown>));
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    ws.send(JSON.stringify({ id: 1, method: "subscription", params: { path: "metrics.live", input: { series: globs("held", 5) } } }));
    await vi.waitFor(() => expect(messages.some((m) => m.id === 1 && (m.result as { type?: string } | undefined)?.type === "started")).toBe(true), WAIT);
  });
  afterAll(async () => {
    ws.close();
    await server.close();
  });

  it("WebSocket: TOO_MANY_REQUESTS naming the limit, no 'started'", async () => {
    ws.send(JSON.stringify({ id: 2, method: "subscription", params: { path: "metrics.live", input: { series: globs("ws", 2) } } }));
    await vi.waitFor(() => expect(messages.some((m) => m.id === 2)).toBe(true), WAIT);
    const answers = messages.filter((m) => m.id === 2);
    expect(answers).toHaveLength(1);
    const error = answers[0]!.error as { message: string; data: { code: string } };
    expect(error.data.code).toBe("TOO_MANY_REQUESTS");
    expect(error.message).toMatch(PER_ADDRESS);
    // Patterns the address already holds do not count again.
    ws.send(JSON.stringify({ id: 3, method: "subscription", params: { path: "metrics.live", input: { series: [...globs("held", 5), "one.more"] } } }));
    await vi.waitFor(() => expect(messages.some((m) => m.id === 3 && (m.result as { type?: string } | undefined)?.type === "started")).toBe(true), WAIT);
    ws.send(JSON.stringify({ id: 3, method: "subscription.stop" }));
  });

  it("plain SSE: 429 before the stream opens", async () => {
    const res = await fetch(`${server.url}/sse?series=${globs("sse", 2).join(",")}`);
    expect(res.status).toBe(429);
    expect(((await res.json()) as { error: { message: string; field: string } }).error).toMatchObject({ message: expect.stringMatching(PER_ADDRESS), field: "series" });
  });

  it("tRPC SSE: a serialized TOO_MANY_REQUESTS error", async () => {
    const input = encodeURIComponent(JSON.stringify({ series: globs("trpc", 2) }));
    const res = await fetch(`${server.url}/trpc/metrics.live?input=${input}`, { headers: { accept: "text/event-stream" } });
    const body = await res.text();
    expect(body).toContain("serialized-error");
    expect(body).toContain("TOO_MANY_REQUESTS");
    expect(body).toMatch(PER_ADDRESS);
  });

  it("long-poll over HTTP: 429 naming the limit", async () => {
    const input = encodeURIComponent(JSON.stringify({ series: globs("poll", 2), waitMs: 0 }));
    const res = await fetch(`${server.url}/trpc/metrics.poll?input=${input}`);
    expect(res.status).toBe(429);
    expect(await res.text()).toMatch(PER_ADDRESS);
  });

  it("server-wide: past LIVEDASH_MAX_LIVE_PATTERNS every address is refused", async () => {
    await vi.waitFor(() => expect(server.services.hub.stats().subscriptions).toBe(1), WAIT);
    const hub = server.services.hub;
    const subs = [0, 1, 2].map((k) => hub.subscribe({ sink: { transport: "caller", bufferedBytes: () => 0, write: () => undefined, closeSlow: () => undefined, onDrain: () => () => undefined }, encoder: { key: "t", encode: () => null }, patterns: globs(`other${k}-`, 5), address: `ip:10.0.0.${k}` }));
    expect(() => hub.checkPatterns(["x.*"], "ip:10.0.0.9")).toThrow(/at most 20 distinct patterns \(LIVEDASH_MAX_LIVE_PATTERNS\)/);
    for (const sub of subs) sub.unsubscribe();
    expect(() => hub.checkPatterns(["x.*"], "ip:10.0.0.9")).not.toThrow();
  });
});
