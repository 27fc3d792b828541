import type { Aggregate } from "@livedash/events";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { LivedashServer } from "../src/server";
import type { Sink } from "../src/live/types";
import { peer } from "./helpers/from-address";
import type { Peer } from "./helpers/from-address";
import { ingest, startTestServer } from "./helpers/server";

const WAIT = { timeout: 10_000, interval: 20 };
/** LIVEDASH_MAX_AGGREGATE_MEMBERS 40: an address's fair share is an eighth, 5 member series. */
const SHARE = /aggregate: one address's aggregations hold at most 5 member series \(LIVEDASH_MAX_AGGREGATE_MEMBERS_PER_ADDRESS\); this address holds 5 and this selection matches 5 more/;
const TOTAL = /aggregate: the server's aggregations hold at most 40 member series together \(LIVEDASH_MAX_AGGREGATE_MEMBERS\); 40 are held/;
const sum: Aggregate = { op: "sum" };
/** Five member series per host: h0..h7 x cpu 0..4. */
const host = (h: number) => `m2.cpu{host="h${h}"}`;

function refusedTotal(text: string, limit: string): number {
  return Number(new RegExp(`^livedash_aggregate_refused_total\\{limit="${limit}"\\} (\\d+)$`, "m").exec(text)?.[1] ?? NaN);
}

/**
 * Attack review (M2): three addresses filled the member budget all aggregations share
 * (LIVEDASH_MAX_AGGREGATE_MEMBERS, 200,000), after which every other address's new aggregation was
 * refused, and those refusals were not in livedash_aggregate_refused_total.
 */
describe("three addresses filled the shared aggregation member budget and everyone else's new aggregation was refused, uncounted", () => {
  let server: LivedashServer;
  const peers: Peer[] = [];
  beforeAll(async () => {
    server = await startTestServer({ LIVEDASH_MAX_AGGREGATE_MEMBERS: "40" });
    const ts = Date.now();
    const points = Array.from({ length: 8 }, (_, h) => Array.from({ length: 5 }, (__, cpu) => ({ series: "m2.cpu", labels: { host: `h${h}`, cpu: String(cpu) }, ts, value: 1 }))).flat();
    expect((await ingest(server.url, points)).status).toBe(200);
  });
  afterAll(async () => {
    await Promise.all(peers.map((p) => p.close()));
    await server.close();
  });

  it("each address holds at most its share (WebSocket, /sse, long-poll); another address still gets its aggregation; every refusal is counted by limit", async () => {
    const [ws, sse, poll, victim] = ["127.0.0.11", "127.0.0.12", "127.0.0.13", "127.0.0.14"].map((address) => peer(server.url, address));
    peers.push(ws!, sse!, poll!, victim!);
    // WebSocket: three aggregations of 5 members; the first is its share.
    const wsErrors: Error[] = [];
    const wsStarted: number[] = [];
    for (const h of [0, 1, 2]) ws!.ws.metrics.live.subscribe({ series: [host(h)], aggregate: sum }, { onStarted: () => wsStarted.push(h), onError: (e) => wsErrors.push(e), onData: () => undefined });
    await vi.waitFor(() => expect(wsStarted.length + wsErrors.length).toBe(3), WAIT);
    // Plain /sse: the stream stays open holding its aggregation.
    const held = sse!.plainSse(`series=${encodeURIComponent(host(3))}&aggregate=sum`);
    // Open: its headers came, written after the server subscribed it.
    await vi.waitFor(() => expect(held.source.readyState).toBe(held.source.OPEN), WAIT);
    const sseRefusals = [];
    for (const h of [4, 5]) {
      const res = await sse!.fetch(`${server.url}/sse?series=${encodeURIComponent(host(h))}&aggregate=sum`);
      // An accepted stream would never end: only a refusal's body is read.
      if (res.status !== 429) await res.body?.cancel();
      sseRefusals.push({ status: res.status, body: res.status === 429 ? ((await res.json()) as { error: { message: string; field: string } }) : null });
    }
    // Long-poll: its aggregation is held between polls.
    await poll!.http.metrics.poll.query({ series: [host(6)], aggregate: sum, waitMs: 0 });
    const pollRefusal = await poll!.http.metrics.poll.query({ series: [host(7)], aggregate: sum, waitMs: 0 }).then(
      () => null,
      (error: Error) => error.message,
    );

    // Another address: its aggregation fits (three addresses hold 15 of 40).
    await expect(victim!.http.metrics.poll.query({ series: [host(0)], aggregate: { op: "max" }, waitMs: 0 })).resolves.toMatchObject({ events: [] });

    expect(wsStarted).toEqual([0]);
    expect(wsErrors.map((e) => e.message)).toEqual([expect.stringMatching(SHARE), expect.stringMatching(SHARE)]);
    for (const refusal of sseRefusals) expect(refusal).toEqual({ status: 429, body: { error: expect.objectContaining({ message: expect.stringMatching(SHARE), field: "aggregate" }) } });
    expect(pollRefusal).toMatch(SHARE);
    expect(server.services.hub.stats().aggregateMembers).toBe(20);

    // Many addresses can still fill the total (8 shares of 5): the next is refused naming the total, and counted.
    const more = ["127.0.0.15", "127.0.0.16", "127.0.0.17", "127.0.0.18"].map((address) => peer(server.url, address));
    peers.push(...more);
    for (const [i, p] of more.entries()) await p.http.metrics.poll.query({ series: [host(i + 1)], aggregate: { op: "max" }, waitMs: 0 });
    expect(server.services.hub.stats().aggregateMembers).toBe(40);
    const last = peer(server.url, "127.0.0.19");
    peers.push(last);
    await expect(last.http.metrics.poll.query({ series: [host(5)], aggregate: { op: "max" }, waitMs: 0 })).rejects.toThrow(TOTAL);

    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(refusedTotal(text, "members_per_address")).toBe(5);
    expect(refusedTotal(text, "members")).toBe(1);
    held.close();
  });
});

describe("an aggregation's members counted against the address that started it after it left, while another address kept using it", () => {
  it("they count against an address that still holds it and has room in its share; the one that left gets its share back", async () => {
    let clock = Date.now();
    const server = await startTestServer({ LIVEDASH_MAX_AGGREGATE_MEMBERS: "40" }, { aggregation: { now: () => clock } });
    try {
      const points = Array.from({ length: 3 }, (_, h) => Array.from({ length: 5 }, (__, cpu) => ({ series: "m2.cpu", labels: { host: `h${h}`, cpu: String(cpu) }, ts: clock, value: 1 }))).flat();
      expect((await ingest(server.url, points)).status).toBe(200);
      const hub = server.services.hub;
      const sink = (): Sink<unknown> => ({ transport: "caller", bufferedBytes: () => 0, write: () => undefined, closeSlow: () => undefined, onDrain: () => () => undefined });
      const join = (address: string, h: number) => hub.subscribe({ sink: sink(), encoder: { key: "t", encode: () => null }, patterns: [host(h)], aggregate: sum, address });
      const starter = join("ip:10.1.0.1", 0);
      const user = join("ip:10.1.0.2", 0);
      // The starter holds its share (5 members): nothing more.
      expect(() => join("ip:10.1.0.1", 1)).toThrow(SHARE);
      starter.unsubscribe();
      // It holds it a minute more (a poll between polls, a reconnect).
      clock += 59_000;
      expect(() => join("ip:10.1.0.1", 1)).toThrow(SHARE);
      clock += 1_001;
      // Past that, the aggregation's members count against the address still in it.
      const next = join("ip:10.1.0.1", 1);
      expect(() => join("ip:10.1.0.2", 2)).toThrow(/aggregate: one address's aggregations hold at most 5 member series \(LIVEDASH_MAX_AGGREGATE_MEMBERS_PER_ADDRESS\); this address holds 5/);
      // Not past a share: the user joins the second one too (joining costs no members) and the starter
      // leaves it, but the user has no room for its members, so they stay the starter's. Otherwise two
      // addresses could pile up members past their shares by starting, handing over and leaving.
      const userNext = join("ip:10.1.0.2", 1);
      next.unsubscribe();
      clock += 60_001;
      expect(() => join("ip:10.1.0.1", 2)).toThrow(SHARE);
      expect(server.services.hub.stats().aggregateMembers).toBe(10);
      for (const sub of [user, userNext]) sub.unsubscribe();
    } finally {
      await server.close();
    }
  });
});
