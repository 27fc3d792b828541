import { describe, expect, it } from "vitest";
import { historyPoints } from "@livedash/events";
import { reduceRows as reduceColumns, type AggregateRows } from "../src/store/downsample";

/** The buckets as points, so each assertion reads bucket 0 as before. */
const reduceRows = (...args: Parameters<typeof reduceColumns>) => historyPoints(reduceColumns(...args));

const BIG = 1.797e308;

function rowsOf(values: readonly number[]): AggregateRows {
  const column = Float64Array.from(values);
  return { ts: Float64Array.from(values, (_, i) => 1_000 + i), min: column, max: column, sum: column, count: null };
}

/** Rollup rows whose stored sum already overflowed (the disk store's 1-minute rows of huge values). */
function overflowedRollup(sum: number, min: number, max: number): AggregateRows {
  return { ts: Float64Array.of(1_000), min: Float64Array.of(min), max: Float64Array.of(max), sum: Float64Array.of(sum), count: Float64Array.of(2) };
}

describe("history means of values near the double limit (review R2 F11: two 1.797e308 in one minute answered value null)", () => {
  it("a bucket of two huge values has a finite mean", () => {
    const [point] = reduceRows(rowsOf([BIG, BIG]), 0, 2, 1_000, 1_001, 1);
    expect(point!.value).toBe(BIG);
    expect(Number.isFinite(point!.value)).toBe(true);
  });

  it("a rollup row whose sum overflowed stays inside its min and max", () => {
    expect(reduceRows(overflowedRollup(Infinity, BIG, BIG), 0, 1, 1_000, 1_000, 10)[0]!.value).toBe(BIG);
    expect(reduceRows(overflowedRollup(-Infinity, -BIG, -BIG), 0, 1, 1_000, 1_000, 10)[0]!.value).toBe(-BIG);
    const mixed = reduceRows(overflowedRollup(NaN, -BIG, BIG), 0, 1, 1_000, 1_000, 10)[0]!.value;
    expect(Number.isFinite(mixed)).toBe(true);
  });

  it("ordinary means are untouched", () => {
    expect(reduceRows(rowsOf([1, 2, 6]), 0, 3, 1_000, 1_002, 1)[0]!.value).toBe(3);
  });
});
