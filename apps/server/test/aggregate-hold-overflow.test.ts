import type { Aggregate } from "@livedash/events";
import { describe, expect, it } from "vitest";
import { createAggregateHolds } from "../src/live/aggregate-holds";
import type { Sink } from "../src/live/types";
import { peer } from "./helpers/from-address";
import type { Peer } from "./helpers/from-address";
import { ingest, startTestServer } from "./helpers/server";

const by = (label: string, op: Aggregate["op"] = "sum"): Aggregate => ({ op, by: [label] });
function cpuPoints(value: number) {
  const ts = Date.now();
  return ["a", "b"].flatMap((host) => ["0", "1"].map((cpu) => ({ series: "ho.cpu", labels: { host, cpu }, ts, value })));
}
async function settle(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (error) {
    return (error as Error).message;
  }
}
const poll = (p: Peer, aggregate: Aggregate, series = "ho.cpu") => p.http.metrics.poll.query({ series: [series], aggregate, waitMs: 0 });
const metric = (text: string, name: string) => Number(new RegExp(`^${name} (\\d+)$`, "m").exec(text)?.[1] ?? NaN);
const refused = (text: string) => text.split("\n").filter((line) => line.startsWith("livedash_aggregate_refused_total") && !line.endsWith(" 0"));

/**
 * Attack review of H2 (F2): past maxIdleHolds (10,000) the oldest idle holds were forgotten, the
 * victim's included; its aggregation then counted as nobody's, was evicted for another address's new
 * one, and the victim's next poll got a reset. ~625 addresses joining 16 running aggregations each
 * (free: no creation) were enough. Here the bound is 20 and 12 addresses join 2.
 */
describe("past the bound on idle holds the last hold of an aggregation was forgotten: it was evicted and its poller reset", () => {
  it("holds of aggregations others hold too are forgotten first, never the last of a running one; counted", () => {
    let clock = 0;
    const holds = createAggregateHolds({ idleMs: 60_000, maxIdleHolds: 10, now: () => clock });
    holds.reserve("victim", "ip:10.9.9.9");
    for (let i = 0; i < 100; i++) {
      clock++;
      holds.reserve(`k${i % 2}`, `ip:10.0.0.${i}`);
    }
    expect(holds.holds("victim", "ip:10.9.9.9")).toBe(true);
    expect(holds.held("k0") && holds.held("k1")).toBe(true);
    // 10 idle holds kept, the victim's (the oldest, but the last of its aggregation) among them.
    expect(holds.stats()).toEqual({ addresses: 10, idleHolds: 10, forgottenEarly: 91 });
    // idleMs still ends it.
    clock += 60_000;
    holds.expire();
    expect(holds.held("victim")).toBe(false);
  });

  it("long-poll: the victim resumes without a reset; a new aggregation at the server cap does not take its; /metrics counts the forgotten holds", async () => {
    const server = await startTestServer({ LIVEDASH_MAX_AGGREGATE_GROUPS: "3" }, { aggregation: { maxIdleHolds: 20 } });
    const victim = peer(server.url, "127.0.4.2");
    const fillers = [peer(server.url, "127.0.5.2"), peer(server.url, "127.0.5.3")];
    try {
      expect((await ingest(server.url, cpuPoints(1))).status).toBe(200);
      const first = await poll(victim, by("host"));
      expect(await settle(poll(fillers[0]!, by("f0")))).toBe("ok");
      expect(await settle(poll(fillers[0]!, by("f1")))).toBe("ok");
      // 12 addresses join both running aggregations: 24 idle holds more (27 in all, past 20).
      for (let k = 0; k < 12; k++) {
        const flood = peer(server.url, `127.1.0.${k + 2}`);
        try {
          expect(await Promise.all([settle(poll(flood, by("f0"))), settle(poll(flood, by("f1")))])).toEqual(["ok", "ok"]);
        } finally {
          await flood.close();
        }
      }
      // Every aggregation still has a holder. A new one at the cap of 3 takes one held only by addresses
      // over their fair share (the flood's: 2 each, the share is 1), never the victim's (1: its share).
      expect(await settle(poll(fillers[1]!, by("f2")))).toBe("ok");
      expect((await ingest(server.url, cpuPoints(2))).status).toBe(200);
      const second = await victim.http.metrics.poll.query({ series: ["ho.cpu"], aggregate: by("host"), cursor: first.cursor, waitMs: 5_000 });
      expect(second.events.map((e) => e.event.type)).toEqual(["points"]);
      const text = await (await fetch(`${server.url}/metrics`)).text();
      expect(metric(text, "livedash_aggregate_holds_forgotten_total")).toBe(7);
    } finally {
      await Promise.all([victim, ...fillers].map((p) => p.close()));
      await server.close();
    }
  }, 60_000);
});

/**
 * Attack review (F7): a refused new aggregation took its address's creation token (the refusal came
 * from its seed, after the token was taken), and on any member refusal every idle aggregation nobody
 * held was dropped and the seed run again, though that could not help a per-address refusal.
 */
describe("a refused new aggregation spent a creation token and dropped idle aggregations that could not help", () => {
  it("the token is taken only when it is created; a per-address refusal drops nothing and is counted once", async () => {
    const server = await startTestServer({ LIVEDASH_MAX_AGGREGATE_MEMBERS: "80", LIVEDASH_AGGREGATE_CREATES_PER_MIN: "3" });
    const c = peer(server.url, "127.0.6.3");
    const hub = server.services.hub;
    try {
      expect((await ingest(server.url, cpuPoints(1))).status).toBe(200);
      // One idle aggregation nobody holds (an in-process subscriber without an address left it).
      const sink: Sink<unknown> = { transport: "caller", bufferedBytes: () => 0, write: () => undefined, closeSlow: () => undefined, onDrain: () => () => undefined };
      hub.subscribe({ sink, encoder: { key: "t", encode: () => null }, patterns: ["ho.cpu"], aggregate: by("idle") }).unsubscribe();
      expect(hub.stats()).toMatchObject({ aggregateGroups: 1, aggregateIdleGroups: 1 });
      // C's share is 10 member series: two aggregations of 4 (two tokens of 3).
      expect(await settle(poll(c, by("cpu")))).toBe("ok");
      expect(await settle(poll(c, by("cpu", "max")))).toBe("ok");
      expect(await settle(poll(c, by("cpu", "min")))).toMatch(/LIVEDASH_MAX_AGGREGATE_MEMBERS_PER_ADDRESS\); this address holds 8 and this selection matches 4 more/);
      expect(hub.stats()).toMatchObject({ aggregateGroups: 3, aggregateIdleGroups: 3 });
      // Its third token is still there: 2 more members fit its share.
      expect(await settle(poll(c, by("cpu"), 'ho.cpu{host="a"}'))).toBe("ok");
      expect(await settle(poll(c, by("host"), 'ho.cpu{host="b"}'))).toMatch(/LIVEDASH_AGGREGATE_CREATES_PER_MIN/);
      expect(refused(await (await fetch(`${server.url}/metrics`)).text())).toEqual(['livedash_aggregate_refused_total{limit="create_rate"} 1', 'livedash_aggregate_refused_total{limit="members_per_address"} 1']);
    } finally {
      await c.close();
      await server.close();
    }
  }, 60_000);
});

/**
 * Attack review (F1): four addresses at 16 each held the server's 64 aggregations for as long as they
 * re-polled each within a minute, and every other address's new aggregation was refused; eight at
 * their member share did the same to the member budget. Here: 2 addresses x 2 of a cap of 4, and 4
 * addresses x 4 members of a budget of 16.
 */
describe("a few addresses held every aggregation slot by re-polling, and everyone else's new aggregation was refused", () => {
  it("server cap: an address under its fair share evicts an idle aggregation held only by addresses over theirs; live ones and those within a share stay", async () => {
    let clock = Date.now();
    const server = await startTestServer({ LIVEDASH_MAX_AGGREGATE_GROUPS: "4", LIVEDASH_MAX_AGGREGATE_GROUPS_PER_ADDRESS: "4" }, { aggregation: { now: () => clock } });
    const attackers = [peer(server.url, "127.0.7.2"), peer(server.url, "127.0.7.3")];
    const victims = [peer(server.url, "127.0.7.4"), peer(server.url, "127.0.7.5")];
    const hub = server.services.hub;
    try {
      expect((await ingest(server.url, cpuPoints(1))).status).toBe(200);
      for (const [i, a] of attackers.entries()) for (let j = 0; j < 2; j++) expect(await settle(poll(a, by(`x${i}_${j}`)))).toBe("ok");
      // Three active addresses: a share of 1. Each attacker holds 2, over it; the victim 0.
      clock += 50_000;
      const first = await poll(victims[0]!, by("v0"));
      expect(hub.stats().aggregateGroups).toBe(4);
      // The attackers re-poll within the minute: the evicted one is a new aggregation now, refused (over their share).
      const kept = [];
      for (const [i, a] of attackers.entries()) for (let j = 0; j < 2; j++) kept.push(await settle(poll(a, by(`x${i}_${j}`))));
      expect(kept.filter((r) => r === "ok")).toHaveLength(3);
      expect(kept.find((r) => r !== "ok")).toMatch(/LIVEDASH_MAX_AGGREGATE_GROUPS\)/);
      // Now 1 + 2 + 1 held, four addresses (share 1): a second victim may evict only the attacker's
      // idle one over its share; it has one aggregation left, within its share, so a third is refused.
      expect(await settle(poll(victims[1]!, by("v1")))).toBe("ok");
      const third = peer(server.url, "127.0.7.6");
      expect(await settle(poll(third, by("v2")))).toMatch(/LIVEDASH_MAX_AGGREGATE_GROUPS\)/);
      await third.close();
      expect(hub.stats().aggregateGroups).toBe(4);
      // The first victim's aggregation was not evicted: its next poll resumes without a reset.
      expect((await ingest(server.url, cpuPoints(2))).status).toBe(200);
      const second = await victims[0]!.http.metrics.poll.query({ series: ["ho.cpu"], aggregate: by("v0"), cursor: first.cursor, waitMs: 5_000 });
      expect(second.events.map((e) => e.event.type)).toEqual(["points"]);
    } finally {
      await Promise.all([...attackers, ...victims].map((p) => p.close()));
      await server.close();
    }
  }, 60_000);

  it("member budget: an address under its fair share of members evicts an idle aggregation of an address that keeps its share without it", async () => {
    let clock = Date.now();
    // Four addresses with four 1-member aggregations each fill the 16 members.
    const server = await startTestServer({ LIVEDASH_MAX_AGGREGATE_MEMBERS: "16", LIVEDASH_MAX_AGGREGATE_MEMBERS_PER_ADDRESS: "4" }, { aggregation: { now: () => clock } });
    const attackers = Array.from({ length: 4 }, (_, n) => peer(server.url, `127.0.8.${n + 2}`));
    const victim = peer(server.url, "127.0.8.99");
    const hub = server.services.hub;
    const one = 'ho.cpu{host="a",cpu="0"}';
    try {
      expect((await ingest(server.url, cpuPoints(1))).status).toBe(200);
      for (const [i, a] of attackers.entries()) for (let j = 0; j < 4; j++) expect(await settle(poll(a, by(`m${i}_${j}`), one))).toBe("ok");
      expect(hub.stats().aggregateMembers).toBe(16);
      clock += 50_000;
      // Five active addresses: a fair share of 3 members; each attacker uses 4 (3 without one), the victim none.
      expect(await settle(poll(victim, by("v"), one))).toBe("ok");
      expect(hub.stats()).toMatchObject({ aggregateGroups: 16, aggregateMembers: 16 });
      // The evicted attacker's re-poll is a new aggregation now, and it is at its share: refused.
      const repolls = [];
      for (const [i, a] of attackers.entries()) for (let j = 0; j < 4; j++) repolls.push(await settle(poll(a, by(`m${i}_${j}`), one)));
      expect(repolls.filter((r) => r === "ok")).toHaveLength(15);
      expect(repolls.find((r) => r !== "ok")).toMatch(/LIVEDASH_MAX_AGGREGATE_MEMBERS\)/);
    } finally {
      await Promise.all([...attackers, victim].map((p) => p.close()));
      await server.close();
    }
  }, 60_000);
});
