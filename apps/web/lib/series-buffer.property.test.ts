import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SeriesBuffer } from "./series-buffer";

const contents = (b: SeriesBuffer) => Array.from(b.ts.subarray(b.start, b.end));
const valuesOf = (b: SeriesBuffer) => Array.from(b.values.subarray(b.start, b.end));

type Op = { kind: "push"; ts: number; value: number } | { kind: "drop"; t: number } | { kind: "merge"; ts: number[]; spacing: number };

const push = fc.record({ kind: fc.constant("push" as const), ts: fc.integer({ min: 0, max: 2000 }), value: fc.integer({ min: -1000, max: 1000 }) });
const drop = fc.record({ kind: fc.constant("drop" as const), t: fc.integer({ min: 0, max: 2000 }) });
const merge = fc.record({
  kind: fc.constant("merge" as const),
  ts: fc.uniqueArray(fc.integer({ min: 0, max: 2000 }), { maxLength: 40 }).map((a) => a.sort((x, y) => x - y)),
  spacing: fc.integer({ min: 1, max: 20 }),
});

/** The reference: a sorted map of ts -> value that keeps the newest `maxPoints` points. */
function model(ops: readonly Op[], maxPoints: number): [number, number][] {
  const m = new Map<number, number>();
  for (const op of ops) {
    if (op.kind === "push") m.set(op.ts, op.value);
    else if (op.kind === "drop") for (const ts of [...m.keys()]) if (ts < op.t) m.delete(ts);
    const sorted = [...m.keys()].sort((a, b) => a - b);
    for (const ts of sorted.slice(0, Math.max(0, sorted.length - maxPoints))) m.delete(ts);
  }
  return [...m.entries()].sort((a, b) => a[0] - b[0]);
}

function apply(b: SeriesBuffer, op: Op): void {
  if (op.kind === "push") b.push(op.ts, op.value);
  else if (op.kind === "drop") b.dropBefore(op.t);
  else b.mergeHistory(op.ts, op.ts.map((t) => -t), op.spacing);
}

describe("SeriesBuffer properties (fast-check)", () => {
  it("any sequence of inserts and trims holds exactly the newest points of a sorted map, within the cap", () => {
    fc.assert(
      fc.property(fc.integer({ min: 16, max: 80 }), fc.array(fc.oneof({ weight: 4, arbitrary: push }, { weight: 1, arbitrary: drop }), { maxLength: 400 }), (cap, ops) => {
        const b = new SeriesBuffer(16, cap);
        for (const op of ops) apply(b, op);
        const expected = model(ops, b.maxPoints);
        expect(contents(b)).toEqual(expected.map(([ts]) => ts));
        expect(valuesOf(b)).toEqual(expected.map(([, v]) => v));
        expect(b.ts.length).toBeLessThanOrEqual(cap);
      }),
      { numRuns: 300 },
    );
  });

  it("with history merges too, it stays sorted, unique and within the cap after every step", () => {
    fc.assert(
      fc.property(fc.integer({ min: 16, max: 80 }), fc.array(fc.oneof({ weight: 4, arbitrary: push }, { weight: 1, arbitrary: drop }, { weight: 1, arbitrary: merge }), { maxLength: 200 }), (cap, ops) => {
        const b = new SeriesBuffer(16, cap);
        for (const op of ops) {
          apply(b, op);
          const ts = contents(b);
          expect(ts.every((t, i) => i === 0 || t > (ts[i - 1] as number))).toBe(true);
          expect(b.length).toBeLessThanOrEqual(b.maxPoints);
          expect(b.ts.length).toBeLessThanOrEqual(cap);
          expect(b.values.length).toBe(b.ts.length);
        }
      }),
      { numRuns: 200 },
    );
  });
});
