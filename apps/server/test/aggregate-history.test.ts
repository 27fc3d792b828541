import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AGGREGATE_OPS } from "@livedash/events";
import type { HistoryPoint } from "@livedash/events";
import { aggregateHistory, ratePoints } from "../src/aggregate/history-aggregate";
import { bucketIndex } from "../src/store/downsample";

const raw = (ts: number, value: number): HistoryPoint => ({ ts, value, min: value, max: value });
const range = { from: 0, to: 10_000, maxPoints: 10 };

describe("history aggregation", () => {
  it("sum: per bucket, sum of means, of mins and of maxes; grouped by name + by labels", () => {
    const out = aggregateHistory(
      [
        { series: 'cpu{cpu="0",host="a"}', points: [{ ts: 500, value: 2, min: 1, max: 3 }, { ts: 1500, value: 4, min: 4, max: 4 }] },
        { series: 'cpu{cpu="1",host="a"}', points: [{ ts: 700, value: 10, min: 5, max: 20 }] },
        { series: 'cpu{cpu="0",host="b"}', points: [raw(500, 100)] },
        { series: 'mem{host="a"}', points: [raw(500, 7)] },
      ],
      { op: "sum", by: ["host"] },
      range,
    );
    expect(out).toEqual([
      { series: 'cpu{host="a"}', points: [{ ts: 600, value: 12, min: 6, max: 23 }, { ts: 1500, value: 4, min: 4, max: 4 }] },
      { series: 'cpu{host="b"}', points: [raw(500, 100)] },
      { series: 'mem{host="a"}', points: [raw(500, 7)] },
    ]);
  });

  it("min, max, avg apply the op to each field; count counts members with data in the bucket", () => {
    const members = [
      { series: 'x{i="1"}', points: [{ ts: 100, value: 2, min: 1, max: 3 }] },
      { series: 'x{i="2"}', points: [{ ts: 300, value: 6, min: 0, max: 9 }] },
    ];
    expect(aggregateHistory(members, { op: "min" }, range)[0]!.points).toEqual([{ ts: 200, value: 2, min: 0, max: 3 }]);
    expect(aggregateHistory(members, { op: "max" }, range)[0]!.points).toEqual([{ ts: 200, value: 6, min: 1, max: 9 }]);
    expect(aggregateHistory(members, { op: "avg" }, range)[0]!.points).toEqual([{ ts: 200, value: 4, min: 0.5, max: 6 }]);
    expect(aggregateHistory(members, { op: "count" }, range)[0]!.points).toEqual([{ ts: 200, value: 2, min: 2, max: 2 }]);
  });

  it("rate: per-second rate of each member's counter with resets, summed per bucket", () => {
    expect(ratePoints([raw(0, 10), raw(1_000, 20), raw(2_000, 5), raw(2_000, 9), raw(4_000, 9)])).toEqual([raw(1_000, 10), raw(2_000, 5), raw(4_000, 2)]);
    const out = aggregateHistory(
      [
        { series: 'req{host="a"}', points: [raw(0, 0), raw(1_000, 50), raw(2_000, 100)] },
        { series: 'req{host="b"}', points: [raw(0, 500), raw(1_000, 510), raw(2_000, 3)] },
      ],
      { op: "rate" },
      range,
    );
    expect(out).toEqual([{ series: "req", points: [raw(1_000, 60), raw(2_000, 53)] }]);
  });

  it("stays finite where sums of finite values overflow", () => {
    const out = aggregateHistory([{ series: 'a{i="1"}', points: [raw(0, 1.7e308)] }, { series: 'a{i="2"}', points: [raw(0, 1.7e308)] }], { op: "sum" }, range);
    expect(out[0]!.points[0]!.value).toBe(Number.MAX_VALUE);
    const avg = aggregateHistory([{ series: 'a{i="1"}', points: [raw(0, 1.7e308)] }, { series: 'a{i="2"}', points: [raw(0, 1.5e308)] }], { op: "avg" }, range);
    expect(avg[0]!.points[0]!.value).toBeCloseTo(1.6e308, -300);
  });

  it("matches the definition over random members and ops, and min <= value <= max (property)", () => {
    const cell = fc.record({ ts: fc.integer({ min: 0, max: 10_000 }), value: fc.integer({ min: -100, max: 100 }), spread: fc.integer({ min: 0, max: 50 }) });
    const member = fc.record({ host: fc.constantFrom("a", "b"), i: fc.integer({ min: 0, max: 5 }), cells: fc.array(cell, { maxLength: 15 }) });
    fc.assert(
      fc.property(fc.constantFrom(...AGGREGATE_OPS.filter((op) => op !== "rate")), fc.boolean(), fc.uniqueArray(member, { selector: (m) => `${m.host}${m.i}` }), (op, byHost, members) => {
        const input = members.map((m) => ({
          series: `s{host="${m.host}",i="${m.i}"}`,
          host: m.host,
          points: [...m.cells].sort((x, y) => x.ts - y.ts).map((c) => ({ ts: c.ts, value: c.value, min: c.value - c.spread, max: c.value + c.spread })),
        }));
        const out = aggregateHistory(input, { op, by: byHost ? ["host"] : [] }, range);
        // Reference: per output key and bucket, each member's cells folded (mean, min, max), then op.
        for (const series of out) {
          const mine = input.filter((m) => !byHost || series.series === `s{host="${m.host}"}`);
          for (const point of series.points) {
            const b = bucketIndex(point.ts, range.from, range.to, range.maxPoints);
            const per = mine
              .map((m) => m.points.filter((p) => bucketIndex(p.ts, range.from, range.to, range.maxPoints) === b))
              .filter((ps) => ps.length > 0)
              .map((ps) => ({ value: ps.reduce((a, p) => a + p.value, 0) / ps.length, min: Math.min(...ps.map((p) => p.min)), max: Math.max(...ps.map((p) => p.max)) }));
            const f = (xs: number[]) =>
              op === "sum" ? xs.reduce((a, x) => a + x, 0) : op === "avg" ? xs.reduce((a, x) => a + x, 0) / xs.length : op === "min" ? Math.min(...xs) : op === "max" ? Math.max(...xs) : xs.length;
            expect(point.value).toBeCloseTo(f(per.map((c) => c.value)), 6);
            expect(point.min).toBeCloseTo(f(per.map((c) => c.min)), 6);
            expect(point.max).toBeCloseTo(f(per.map((c) => c.max)), 6);
            expect(point.min).toBeLessThanOrEqual(point.value + 1e-9);
            expect(point.value).toBeLessThanOrEqual(point.max + 1e-9);
          }
          const ts = series.points.map((p) => p.ts);
          expect(ts).toEqual([...ts].sort((x, y) => x - y));
        }
        const members2 = new Set(input.filter((m) => m.points.length > 0).map((m) => (byHost ? `s{host="${m.host}"}` : "s")));
        expect(out.map((s) => s.series).sort()).toEqual([...members2].sort());
      }),
      { numRuns: 300 },
    );
  });
});
