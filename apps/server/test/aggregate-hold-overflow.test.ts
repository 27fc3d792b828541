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

  it("long-poll: the victim resumes without a reset; the new aggregation is refused at the server cap; /metrics counts the forgotten holds", async () => {
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
      // Every aggregation still has a holder: a new one does not fit under the cap of 3.
      expect(await settle(poll(fillers[1]!, by("f2")))).toMatch(/LIVEDASH_MAX_AGGREGATE_GROUPS\)/);
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
