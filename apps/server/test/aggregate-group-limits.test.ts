import type { Aggregate } from "@livedash/events";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import type { LivedashServer } from "../src/server";
import type { Sink } from "../src/live/types";
import { ingest, startTestServer } from "./helpers/server";

const WAIT = { timeout: 10_000, interval: 20 };
const PER_ADDRESS = /aggregate: one address may hold at most 3 aggregations \(LIVEDASH_MAX_AGGREGATE_GROUPS_PER_ADDRESS\); 3 are in use/;
const SERVER_WIDE = /aggregate: the server runs at most 6 aggregations \(LIVEDASH_MAX_AGGREGATE_GROUPS\); 6 are in use/;
const by = (label: string): Aggregate => ({ op: "sum", by: [label] });
const sink = (): Sink<unknown> => ({ transport: "caller", bufferedBytes: () => 0, write: () => undefined, closeSlow: () => undefined, onDrain: () => () => undefined });
const encoder = { key: "t", encode: () => null };

/**
 * Attack review: every distinct `aggregate`/`by` made its own live aggregation group (member state and
 * up to 100k kept points each), and only selectors counted against the live caps: 100 streams of one
 * selector with distinct `by` sets took the server from 245 to 525 MB RSS.
 */
describe("distinct by sets each made an aggregation group no live limit counted", () => {
  let server: LivedashServer;
  let ws: WebSocket;
  const messages: Record<string, unknown>[] = [];
  const started = (id: number) => messages.some((m) => m.id === id && (m.result as { type?: string } | undefined)?.type === "started");
  beforeAll(async () => {
    server = await startTestServer({ LIVEDASH_MAX_AGGREGATE_GROUPS: "6", LIVEDASH_MAX_AGGREGATE_GROUPS_PER_ADDRESS: "3" });
    // This socket holds the address's 3 aggregations (one selector, three by sets) for the whole suite.
    ws = new WebSocket(`${server.url.replace("http", "ws")}/trpc`);
    ws.on("message", (data) => messages.push(JSON.parse(data.toString()) as Record<string, unknown>));
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    for (const [i, label] of ["a", "b", "c"].entries()) {
      ws.send(JSON.stringify({ id: i + 1, method: "subscription", params: { path: "metrics.live", input: { series: ["lim.cpu"], aggregate: by(label) } } }));
    }
    await vi.waitFor(() => expect([1, 2, 3].every(started)).toBe(true), WAIT);
  });
  afterAll(async () => {
    ws.close();
    await server.close();
  });

  it("WebSocket: a 4th by set from the address is TOO_MANY_REQUESTS naming the variable; one it holds is not counted again", async () => {
    ws.send(JSON.stringify({ id: 10, method: "subscription", params: { path: "metrics.live", input: { series: ["lim.cpu"], aggregate: by("d") } } }));
    await vi.waitFor(() => expect(messages.some((m) => m.id === 10)).toBe(true), WAIT);
    const error = messages.find((m) => m.id === 10)!.error as { message: string; data: { code: string } };
    expect(error.data.code).toBe("TOO_MANY_REQUESTS");
    expect(error.message).toMatch(PER_ADDRESS);
    // The same aggregation again (by order does not matter for the group) joins the one held.
    ws.send(JSON.stringify({ id: 11, method: "subscription", params: { path: "metrics.live", input: { series: ["lim.cpu"], aggregate: by("a") } } }));
    await vi.waitFor(() => expect(started(11)).toBe(true), WAIT);
    ws.send(JSON.stringify({ id: 11, method: "subscription.stop" }));
  });

  it("plain SSE: 429 before the stream opens, field aggregate", async () => {
    const res = await fetch(`${server.url}/sse?series=lim.cpu&aggregate=sum&by=e`);
    expect(res.status).toBe(429);
    expect(((await res.json()) as { error: { message: string; field: string } }).error).toMatchObject({ message: expect.stringMatching(PER_ADDRESS), field: "aggregate" });
  });

  it("tRPC SSE and long-poll: refused naming the variable", async () => {
    const input = encodeURIComponent(JSON.stringify({ series: ["lim.cpu"], aggregate: by("f") }));
    const sse = await (await fetch(`${server.url}/trpc/metrics.live?input=${input}`, { headers: { accept: "text/event-stream" } })).text();
    expect(sse).toContain("TOO_MANY_REQUESTS");
    expect(sse).toMatch(PER_ADDRESS);
    const pollInput = encodeURIComponent(JSON.stringify({ series: ["lim.cpu"], aggregate: by("g"), waitMs: 0 }));
    const poll = await fetch(`${server.url}/trpc/metrics.poll?input=${pollInput}`);
    expect(poll.status).toBe(429);
    expect(await poll.text()).toMatch(PER_ADDRESS);
  });

  it("server-wide: past LIVEDASH_MAX_AGGREGATE_GROUPS every address is refused; idle aggregations nobody holds make room first", async () => {
    const hub = server.services.hub;
    // x: an in-process subscriber without an address; y, z: two addresses.
    const others = ["x", "y", "z"].map((label, k) => hub.subscribe({ sink: sink(), encoder, patterns: ["lim.cpu"], aggregate: by(label), address: k === 0 ? undefined : `ip:10.0.0.${k}` }));
    expect(hub.stats().aggregateGroups).toBe(6);
    expect(() => hub.checkPatterns(["lim.cpu"], "ip:10.0.0.9", by("w"))).toThrow(SERVER_WIDE);
    // Raw subscriptions are not aggregations: not refused by this cap.
    expect(() => hub.checkPatterns(["lim.cpu"], "ip:10.0.0.9")).not.toThrow();
    // One nobody holds leaves: its aggregation idles (kept for the next poll) but gives way to a new one.
    others[0]!.unsubscribe();
    const next = hub.subscribe({ sink: sink(), encoder, patterns: ["lim.cpu"], aggregate: by("w"), address: "ip:10.0.0.9" });
    expect(hub.stats().aggregateGroups).toBe(6);
    // One an address leaves stays its (the next long-poll or a reconnect resumes it): it does not give way.
    others[1]!.unsubscribe();
    expect(() => hub.checkPatterns(["lim.cpu"], "ip:10.0.0.9", by("v"))).toThrow(SERVER_WIDE);
    expect(hub.stats()).toMatchObject({ aggregateGroups: 6, aggregateIdleGroups: 1 });
    for (const sub of [others[2]!, next]) sub.unsubscribe();
  });

  it("/metrics exports aggregations, their members and the points they keep for resumes", async () => {
    const t = Date.now();
    const points = ["a", "b", "c"].flatMap((host, i) => [0, 1].map((cpu) => ({ series: "lim.cpu", labels: { a: host, cpu: String(cpu) }, ts: t + i, value: i + cpu })));
    expect((await ingest(server.url, points)).status).toBe(200);
    await vi.waitFor(async () => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      expect(text).toMatch(/^livedash_aggregate_groups \d+$/m);
      // The three aggregations of the WebSocket each hold the 6 series as members.
      expect(Number(/^livedash_aggregate_members (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(18);
      // by a: three outputs; by b and by c: one output each (no such label): 5 kept points.
      expect(Number(/^livedash_aggregate_replay_points (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(5);
      expect(text).toMatch(/^livedash_aggregate_refused_total\{limit="per_address"\} [1-9]\d*$/m);
    }, WAIT);
  });
});

describe("member series of all aggregations are bounded together (LIVEDASH_MAX_AGGREGATE_MEMBERS)", () => {
  it("a new aggregation whose members do not fit is refused naming the variable; idle ones give theirs back; live arrivals past it are not counted", async () => {
    // The share of one address (an eighth by default) is raised to the whole: this is about the total.
    const server = await startTestServer({ LIVEDASH_MAX_AGGREGATE_MEMBERS: "6", LIVEDASH_MAX_AGGREGATE_MEMBERS_PER_ADDRESS: "6" });
    try {
      const t = Date.now();
      const points = [0, 1, 2, 3].map((i) => ({ series: "mem.cpu", labels: { host: `h${i % 2}`, cpu: String(i) }, ts: t, value: i }));
      expect((await ingest(server.url, points)).status).toBe(200);
      const hub = server.services.hub;
      // Without an address (an in-process caller): nobody holds it once it is left.
      const first = hub.subscribe({ sink: sink(), encoder, patterns: ["mem.cpu"], aggregate: by("host") });
      expect(hub.stats().aggregateMembers).toBe(4);
      // 4 more members would make 8 of 6: refused, and nothing of it kept.
      expect(() => hub.subscribe({ sink: sink(), encoder, patterns: ["mem.cpu"], aggregate: by("cpu"), address: "ip:10.0.0.2" })).toThrow(
        /aggregate: the server's aggregations hold at most 6 member series together \(LIVEDASH_MAX_AGGREGATE_MEMBERS\); 4 are held/,
      );
      expect(hub.stats()).toMatchObject({ aggregateGroups: 1, aggregateMembers: 4 });
      const res = await fetch(`${server.url}/sse?series=mem.cpu&aggregate=max&by=cpu`);
      expect(res.status).toBe(429);
      expect(((await res.json()) as { error: { field: string } }).error.field).toBe("aggregate");
      // The first one idles after its subscriber left, and no address holds it: it gives way.
      first.unsubscribe();
      const second = hub.subscribe({ sink: sink(), encoder, patterns: ["mem.cpu"], aggregate: by("cpu"), address: "ip:10.0.0.2" });
      expect(hub.stats()).toMatchObject({ aggregateGroups: 1, aggregateMembers: 4 });
      // Refused twice (the subscription and /sse); the one that fit once the idle one gave way is not a refusal.
      expect(hub.stats().aggregateRefused.members).toBe(2);
      // New series past the budget: two fit, the third is not counted (and says so in /metrics).
      const more = [4, 5, 6].map((i) => ({ series: "mem.cpu", labels: { host: "h9", cpu: String(i) }, ts: t + 1, value: i }));
      expect((await ingest(server.url, more)).status).toBe(200);
      await vi.waitFor(() => expect(hub.stats()).toMatchObject({ aggregateMembers: 6, aggregateMembersRefused: 1 }), WAIT);
      expect(await (await fetch(`${server.url}/metrics`)).text()).toMatch(/^livedash_aggregate_members_refused 1$/m);
      second.unsubscribe();
    } finally {
      await server.close();
    }
  });
});
