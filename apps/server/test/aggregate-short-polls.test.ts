import type { Aggregate } from "@livedash/events";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { LivedashServer } from "../src/server";
import { peer } from "./helpers/from-address";
import type { Peer } from "./helpers/from-address";
import { ingest, startTestServer } from "./helpers/server";

const WAIT = { timeout: 10_000, interval: 20 };
const PER_ADDRESS = /aggregate: one address may hold at most 16 aggregations \(LIVEDASH_MAX_AGGREGATE_GROUPS_PER_ADDRESS\); 16 are in use/;
const CREATE_RATE = /aggregate: one address may start at most 16 new aggregations per minute \(LIVEDASH_AGGREGATE_CREATES_PER_MIN\); retry in \d+ ms/;
const by = (label: string): Aggregate => ({ op: "sum", by: [label] });

function cpuPoints(value: number) {
  const ts = Date.now();
  return ["a", "b"].flatMap((host) => ["0", "1"].map((cpu) => ({ series: "sp.cpu", labels: { host, cpu }, ts, value })));
}

/** Settles every call, in order: how many were accepted, and the messages of those refused. */
async function outcomes(calls: (() => Promise<unknown>)[]) {
  let accepted = 0;
  const refused: string[] = [];
  for (const call of calls) {
    try {
      await call();
      accepted++;
    } catch (error) {
      refused.push((error as Error).message);
    }
  }
  return { accepted, refused };
}

function refusedTotal(text: string, limit: string): number {
  return Number(new RegExp(`^livedash_aggregate_refused_total\\{limit="${limit}"\\} (\\d+)$`, "m").exec(text)?.[1] ?? NaN);
}

/**
 * Attack review (H2): `metrics.poll` with `waitMs: 0` joins an aggregation and leaves at once. Its
 * idle aggregation then no longer counted against the address, and creating one evicted the longest
 * idle aggregation of anyone: 70 short polls with distinct `by` sets from one address were all
 * accepted, another address's long-poll, between two polls, lost its aggregation and got a reset, and
 * `livedash_aggregate_refused_total{limit="per_address"}` stayed 0.
 */
describe("short polls with distinct by sets evicted another address's long-poll aggregation and no limit refused them", () => {
  let server: LivedashServer;
  let victim: Peer;
  let attacker: Peer;
  beforeAll(async () => {
    server = await startTestServer({ LIVEDASH_MAX_SERIES: "1000" });
    victim = peer(server.url, "127.0.0.2");
    attacker = peer(server.url, "127.0.0.3");
    expect((await ingest(server.url, cpuPoints(1))).status).toBe(200);
  });
  afterAll(async () => {
    await Promise.all([victim.close(), attacker.close()]);
    await server.close();
  });

  it("HTTP long-poll: the victim resumes without a reset; the attacker's 17th aggregation is refused naming the variable, and counted", async () => {
    const input = { series: ["sp.cpu"], aggregate: by("host") };
    const first = await victim.http.metrics.poll.query({ ...input, waitMs: 0 });
    expect((await ingest(server.url, cpuPoints(2))).status).toBe(200);
    const second = await victim.http.metrics.poll.query({ ...input, cursor: first.cursor, waitMs: 5_000 });
    expect(second.events.map((e) => e.event.type)).toEqual(["points"]);

    // Between the victim's polls: 70 short polls, each a new aggregation (distinct by), from another address.
    const attack = await outcomes(Array.from({ length: 70 }, (_, i) => () => attacker.http.metrics.poll.query({ series: ["sp.cpu"], aggregate: by(`l${i}`), waitMs: 0 })));

    expect((await ingest(server.url, cpuPoints(3))).status).toBe(200);
    const third = await victim.http.metrics.poll.query({ ...input, cursor: second.cursor, waitMs: 5_000 });
    // The kept aggregation answers exactly what came after the cursor: no reset, the new sum by host.
    expect(third.events.map((e) => e.event)).toEqual([{ type: "points", points: [expect.objectContaining({ series: 'sp.cpu{host="a"}', value: 6 }), expect.objectContaining({ series: 'sp.cpu{host="b"}', value: 6 })] }]);

    // The attacker's idle aggregations count against its address until they expire.
    expect(attack.accepted).toBe(16);
    expect(attack.refused).toHaveLength(54);
    for (const message of attack.refused) expect(message).toMatch(PER_ADDRESS);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(refusedTotal(text, "per_address")).toBe(54);
    expect(refusedTotal(text, "server")).toBe(0);
  });

  it("WebSocket and tRPC SSE: once the address holds 16, a subscription to an aggregation it does not hold is refused too; one it holds (idle) costs nothing", async () => {
    const errors: unknown[] = [];
    const data: unknown[] = [];
    const refused = attacker.ws.metrics.live.subscribe({ series: ["sp.cpu"], aggregate: by("l99") }, { onError: (e) => errors.push(e), onData: () => undefined });
    await vi.waitFor(() => expect(errors).toHaveLength(1), WAIT);
    expect((errors[0] as Error).message).toMatch(PER_ADDRESS);
    refused.unsubscribe();
    // tRPC SSE (httpSubscriptionLink) too.
    const sseErrors: Error[] = [];
    const overSse = attacker.sse.metrics.live.subscribe({ series: ["sp.cpu"], aggregate: by("l98") }, { onError: (e) => sseErrors.push(e), onData: () => undefined });
    await vi.waitFor(() => expect(sseErrors).toHaveLength(1), WAIT);
    expect(sseErrors[0]!.message).toMatch(PER_ADDRESS);
    overSse.unsubscribe();
    // l0 is one of the attacker's own idle aggregations: it rejoins it.
    let started = false;
    const held = attacker.ws.metrics.live.subscribe({ series: ["sp.cpu"], aggregate: by("l0") }, { onStarted: () => (started = true), onError: (e) => errors.push(e), onData: (e) => data.push(e) });
    await vi.waitFor(() => expect(started).toBe(true), WAIT);
    expect((await ingest(server.url, cpuPoints(4))).status).toBe(200);
    await vi.waitFor(() => expect(data.length).toBeGreaterThan(0), WAIT);
    expect(errors).toHaveLength(1);
    held.unsubscribe();
  });
});

describe("an address could start new aggregations (each seeded from every member's latest point) as fast as it could ask", () => {
  it("the 17th new aggregation within a minute is refused naming LIVEDASH_AGGREGATE_CREATES_PER_MIN; joining one that runs is not charged", async () => {
    const server = await startTestServer({ LIVEDASH_MAX_AGGREGATE_GROUPS_PER_ADDRESS: "64" });
    const owner = peer(server.url, "127.0.0.4");
    const churner = peer(server.url, "127.0.0.5");
    try {
      expect((await ingest(server.url, cpuPoints(1))).status).toBe(200);
      await owner.http.metrics.poll.query({ series: ["sp.cpu"], aggregate: by("host"), waitMs: 0 });
      const churn = await outcomes(Array.from({ length: 20 }, (_, i) => () => churner.http.metrics.poll.query({ series: ["sp.cpu"], aggregate: by(`c${i}`), waitMs: 0 })));
      expect(churn.accepted).toBe(16);
      expect(churn.refused).toHaveLength(4);
      for (const message of churn.refused) expect(message).toMatch(CREATE_RATE);
      // Plain /sse: 429 naming the limit, field aggregate.
      const res = await churner.fetch(`${server.url}/sse?series=sp.cpu&aggregate=max&by=zz`);
      expect(res.status).toBe(429);
      expect(((await res.json()) as { error: { message: string; field: string } }).error).toMatchObject({ message: expect.stringMatching(CREATE_RATE), field: "aggregate" });
      // An aggregation that already runs (the owner's) costs no creation.
      await expect(churner.http.metrics.poll.query({ series: ["sp.cpu"], aggregate: by("host"), waitMs: 0 })).resolves.toMatchObject({ events: [] });
      // Another address is not slowed down by this one's bucket.
      await expect(owner.http.metrics.poll.query({ series: ["sp.cpu"], aggregate: by("c99"), waitMs: 0 })).resolves.toMatchObject({ events: [] });
      expect(refusedTotal(await (await fetch(`${server.url}/metrics`)).text(), "create_rate")).toBe(5);
    } finally {
      await Promise.all([owner.close(), churner.close()]);
      await server.close();
    }
  });
});

describe("an address's aggregations count against it until idleMs after its last subscriber left", () => {
  it("then they expire: the address may start others, and the old state is let go", async () => {
    let clock = Date.now();
    const server = await startTestServer({ LIVEDASH_AGGREGATE_CREATES_PER_MIN: "1000" }, { aggregation: { now: () => clock } });
    const client = peer(server.url, "127.0.0.6");
    try {
      expect((await ingest(server.url, cpuPoints(1))).status).toBe(200);
      const poll = (label: string) => client.http.metrics.poll.query({ series: ["sp.cpu"], aggregate: by(label), waitMs: 0 });
      const first = await outcomes(Array.from({ length: 17 }, (_, i) => () => poll(`e${i}`)));
      expect(first.accepted).toBe(16);
      expect(first.refused[0]).toMatch(/\(LIVEDASH_MAX_AGGREGATE_GROUPS_PER_ADDRESS\); 16 are in use .* counts 60 s more/);
      clock += 59_000;
      await expect(poll("early")).rejects.toThrow(PER_ADDRESS);
      // A minute after they were left, the holds expire: the next new aggregation is accepted.
      clock += 1_001;
      await expect(poll("late")).resolves.toMatchObject({ events: [] });
      // Those 16 gave their state back: only the new one runs (pruned as it joined).
      expect(server.services.hub.stats()).toMatchObject({ aggregateGroups: 1, aggregateIdleGroups: 1 });
    } finally {
      await client.close();
      await server.close();
    }
  });
});
