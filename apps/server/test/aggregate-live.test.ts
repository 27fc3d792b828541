import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AGGREGATE_OPS, parseSeriesKey, seriesKey } from "@livedash/events";
import type { Aggregate, AggregateOp, Point } from "@livedash/events";
import { createLiveAggregator } from "../src/aggregate/live-aggregator";
import { outputKeyOf } from "../src/aggregate/output-key";

const p = (series: string, ts: number, value: number): Point => ({ series, ts, value });

/** Straight from the definition: every member's whole history, recomputed from scratch per batch. */
function reference(aggregate: Aggregate, staleMs: number) {
  const seen = new Map<string, { ts: number; value: number }[]>();
  return (points: readonly Point[], now: number): Point[] => {
    const touched = new Map<string, number>();
    for (const point of points) {
      const list = seen.get(point.series) ?? [];
      if (list.length > 0 && point.ts <= list[list.length - 1]!.ts) continue;
      list.push({ ts: point.ts, value: point.value });
      seen.set(point.series, list);
      const key = outputKeyOf(point.series, aggregate.by ?? [])!;
      touched.set(key, Math.max(touched.get(key) ?? -Infinity, point.ts));
    }
    const out: Point[] = [];
    for (const [key, ts] of touched) {
      const values: number[] = [];
      for (const [series, list] of seen) {
        if (outputKeyOf(series, aggregate.by ?? []) !== key) continue;
        const last = list[list.length - 1]!;
        if (last.ts < now - staleMs) continue;
        if (aggregate.op !== "rate") values.push(last.value);
        else if (list.length >= 2 && list[list.length - 2]!.ts >= now - staleMs) {
          const prev = list[list.length - 2]!;
          const increase = last.value >= prev.value ? last.value - prev.value : last.value;
          values.push(increase / ((last.ts - prev.ts) / 1000));
        }
      }
      if (values.length === 0) continue;
      const op: Record<AggregateOp, () => number> = {
        sum: () => values.reduce((a, b) => a + b, 0),
        rate: () => values.reduce((a, b) => a + b, 0),
        avg: () => values.reduce((a, b) => a + b, 0) / values.length,
        min: () => Math.min(...values),
        max: () => Math.max(...values),
        count: () => values.length,
      };
      out.push({ series: key, ts, value: op[aggregate.op]() });
    }
    return out;
  };
}

function sorted(points: readonly Point[]) {
  return [...points].sort((a, b) => (a.series < b.series ? -1 : a.series > b.series ? 1 : 0));
}

describe("live aggregator", () => {
  it("sums by host across cpus, one point per group per batch, named by name + by labels", () => {
    const agg = createLiveAggregator({ op: "sum", by: ["host"] }, { now: () => 10_000 });
    const cpu = (host: string, c: string) => seriesKey("host.cpu.user", { host, cpu: c });
    const out = agg.apply([p(cpu("web1", "0"), 1000, 10), p(cpu("web1", "1"), 1001, 20), p(cpu("web2", "0"), 1000, 5)]);
    expect(sorted(out)).toEqual([p('host.cpu.user{host="web1"}', 1001, 30), p('host.cpu.user{host="web2"}', 1000, 5)]);
    // Only web1 changes: web2 emits nothing; web1 keeps cpu 1's latest value.
    expect(agg.apply([p(cpu("web1", "0"), 2000, 1)])).toEqual([p('host.cpu.user{host="web1"}', 2000, 21)]);
  });

  it("never merges series of different names, and with no by gives one series per name", () => {
    const agg = createLiveAggregator({ op: "max" }, { now: () => 10_000 });
    const out = agg.apply([p('a{host="x"}', 1, 3), p('a{host="y"}', 1, 4), p('b{host="x"}', 1, 9), p("a", 1, 1)]);
    expect(sorted(out)).toEqual([p("a", 1, 4), p("b", 1, 9)]);
  });

  it("ignores a point not newer than its member's latest (out of order), as Prometheus refuses it", () => {
    const agg = createLiveAggregator({ op: "sum" }, { now: () => 10_000 });
    agg.apply([p('a{h="1"}', 100, 1), p('a{h="2"}', 100, 2)]);
    expect(agg.apply([p('a{h="1"}', 50, 100)])).toEqual([]);
    expect(agg.apply([p('a{h="1"}', 100, 100)])).toEqual([]);
  });

  it("drops a member after staleMs without a point (its group value no longer counts it), and frees its state", () => {
    let now = 1_000;
    const agg = createLiveAggregator({ op: "count" }, { now: () => now, staleMs: 5_000 });
    agg.apply([p('a{h="1"}', 1_000, 1), p('a{h="2"}', 1_000, 1)]);
    now = 4_000;
    expect(agg.apply([p('a{h="1"}', 4_000, 1)])).toEqual([p("a", 4_000, 2)]);
    now = 7_000;
    expect(agg.apply([p('a{h="1"}', 7_000, 1)])).toEqual([p("a", 7_000, 1)]);
    expect(agg.stats().members).toBe(1);
    // A group nobody touches is swept too.
    agg.apply([p("b", 7_000, 1)]);
    now = 20_000;
    agg.apply([p("c", 20_000, 1)]);
    expect(agg.stats()).toMatchObject({ groups: 1, members: 1 });
  });

  it("rate: per-second rate per member, a counter drop is a reset (the new value is the increase), summed", () => {
    const agg = createLiveAggregator({ op: "rate", by: ["host"] }, { now: () => 100_000 });
    expect(agg.apply([p('req{host="a",path="/"}', 10_000, 100), p('req{host="a",path="/x"}', 10_000, 0)])).toEqual([]);
    // 100 -> 150 in 5 s: 10/s; 0 -> 20 in 5 s: 4/s.
    expect(agg.apply([p('req{host="a",path="/"}', 15_000, 150), p('req{host="a",path="/x"}', 15_000, 20)])).toEqual([p('req{host="a"}', 15_000, 14)]);
    // The process restarted: 150 -> 30 counts as 30 in 10 s = 3/s, never negative.
    expect(agg.apply([p('req{host="a",path="/"}', 25_000, 30)])).toEqual([p('req{host="a"}', 25_000, 7)]);
  });

  it("caps its members: past maxMembers a new series is refused and counted, never grows memory", () => {
    const agg = createLiveAggregator({ op: "sum" }, { now: () => 10, maxMembers: 3 });
    agg.apply(Array.from({ length: 10 }, (_, i) => p(`a{i="${i}"}`, 1, 1)));
    expect(agg.stats()).toEqual({ groups: 1, members: 3, refused: 7 });
  });

  it("stays finite where a plain sum of finite values overflows", () => {
    const agg = createLiveAggregator({ op: "sum" }, { now: () => 10 });
    expect(agg.apply([p('a{i="1"}', 1, 1.7e308), p('a{i="2"}', 1, 1.7e308)])[0]!.value).toBe(Number.MAX_VALUE);
    const avg = createLiveAggregator({ op: "avg" }, { now: () => 10 });
    expect(avg.apply([p('a{i="1"}', 1, 1.7e308), p('a{i="2"}', 1, 1.5e308)])[0]!.value).toBeCloseTo(1.6e308, -300);
  });

  it("matches the definition over random batches, ops, by lists and staleness (property)", () => {
    const member = fc.record({ name: fc.constantFrom("m.a", "m.b"), host: fc.constantFrom("h1", "h2", "h3", ""), cpu: fc.constantFrom("0", "1") });
    const point = fc.record({ member, dt: fc.integer({ min: -500, max: 3_000 }), value: fc.integer({ min: 0, max: 1000 }) });
    fc.assert(
      fc.property(
        fc.constantFrom(...AGGREGATE_OPS),
        fc.subarray(["host", "cpu", "dc"]),
        fc.array(fc.array(point, { maxLength: 8 }), { maxLength: 25 }),
        (op, by, batches) => {
          const staleMs = 4_000;
          let now = 0;
          const agg = createLiveAggregator({ op, by }, { now: () => now, staleMs });
          const ref = reference({ op, by }, staleMs);
          for (const batch of batches) {
            const points = batch.map(({ member: m, dt, value }) => p(seriesKey(m.name, { host: m.host, cpu: m.cpu }), now + dt, value));
            now += 1_000;
            const got = sorted(agg.apply(points));
            const want = sorted(ref(points, now));
            expect(got.map((x) => [x.series, x.ts])).toEqual(want.map((x) => [x.series, x.ts]));
            got.forEach((x, i) => expect(x.value).toBeCloseTo(want[i]!.value, 6));
            for (const x of got) expect(parseSeriesKey(x.series).ok).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
