import type { AggregateOp } from "@livedash/events";

const SCALE_DOWN = 2 ** -64;
const SCALE_UP = 2 ** 64;

/**
 * A running sum of finite values that stays finite: near the double limit a plain sum overflows to
 * ±Infinity (or NaN when both signs do) and JSON would carry null. A scaled sum runs beside it and
 * answers then; a true sum past the limit answers the limit with its sign.
 */
export class FiniteSum {
  #plain = 0;
  #scaled = 0;

  add(value: number): void {
    this.#plain += value;
    this.#scaled += value * SCALE_DOWN;
  }

  get value(): number {
    if (Number.isFinite(this.#plain)) return this.#plain;
    if (Math.abs(this.#scaled) <= Number.MAX_VALUE * SCALE_DOWN) return this.#scaled * SCALE_UP;
    return this.#scaled > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE;
  }

  /** The mean of `count` added values; finite whenever they were (it lies between their min and max). */
  mean(count: number): number {
    if (Number.isFinite(this.#plain)) return this.#plain / count;
    return (this.#scaled / count) * SCALE_UP;
  }
}

/**
 * One aggregate folded value by value, in O(1) memory: `sum`, `avg`, `min`, `max`, `count`, and
 * `rate`, whose values are already per-member per-second rates, summed (`sum by (...) (rate(...))`).
 * The live aggregator and the history aggregation share it, so both compute the same thing.
 */
export class Fold {
  #n = 0;
  #sum = new FiniteSum();
  #extreme = 0;

  constructor(readonly op: AggregateOp) {}

  add(value: number): void {
    this.#n++;
    if (this.op === "min") this.#extreme = this.#n === 1 || value < this.#extreme ? value : this.#extreme;
    else if (this.op === "max") this.#extreme = this.#n === 1 || value > this.#extreme ? value : this.#extreme;
    else if (this.op !== "count") this.#sum.add(value);
  }

  get count(): number {
    return this.#n;
  }

  /** The aggregate of what was added (at least one value). */
  get value(): number {
    switch (this.op) {
      case "sum":
      case "rate":
        return this.#sum.value;
      case "avg":
        return this.#sum.mean(this.#n);
      case "min":
      case "max":
        return this.#extreme;
      case "count":
        return this.#n;
    }
  }
}

/** The aggregate of `values` (non-empty). */
export function reduceValues(op: AggregateOp, values: Iterable<number>): number {
  const fold = new Fold(op);
  for (const v of values) fold.add(v);
  return fold.value;
}

/**
 * How much a counter grew from `prev` to `next`. A drop is a reset (the process restarted and counts
 * from zero again), so the growth since the reset is `next` itself, as Prometheus' rate() and
 * increase() take it; never negative.
 */
export function counterIncrease(prev: number, next: number): number {
  if (next < prev) return next;
  const delta = next - prev;
  return Number.isFinite(delta) ? delta : Number.MAX_VALUE;
}

/** Per-second rate of a counter between two samples (`nextTs > prevTs`, epoch ms), resets handled. */
export function perSecondRate(prevTs: number, prev: number, nextTs: number, next: number): number {
  const rate = counterIncrease(prev, next) / ((nextTs - prevTs) / 1000);
  return Number.isFinite(rate) ? rate : Number.MAX_VALUE;
}
