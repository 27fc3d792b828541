import { describe, expect, it } from "vitest";
import { AGGREGATE_LIMITS, HistoryInputSchema, LiveInputSchema, PollInputSchema, aggregateKey, formatZodIssues, parseAggregateParams } from "../src";

function problem(input: unknown): string {
  const parsed = LiveInputSchema.safeParse({ series: ["host.cpu.*"], aggregate: input });
  expect(parsed.success).toBe(false);
  return parsed.success ? "" : formatZodIssues(parsed.error);
}

describe("aggregate in procedure inputs", () => {
  it("takes every op with or without by, in live, poll and history", () => {
    for (const op of ["sum", "avg", "min", "max", "count", "rate"]) {
      expect(LiveInputSchema.parse({ series: ["a"], aggregate: { op, by: ["host"] } }).aggregate).toEqual({ op, by: ["host"] });
      expect(PollInputSchema.parse({ series: ["a"], aggregate: { op } }).aggregate).toEqual({ op });
      expect(HistoryInputSchema.parse({ series: ["a"], aggregate: { op, by: [] } }).aggregate).toEqual({ op, by: [] });
    }
    expect(LiveInputSchema.parse({ series: ["a"] }).aggregate).toBeUndefined();
  });

  it("names the field: unknown op, bad label name, too many by-labels, a label twice, unknown keys", () => {
    expect(problem({ op: "median" })).toBe('aggregate.op: unknown op "median" (known: sum, avg, min, max, count, rate)');
    expect(problem({ op: "sum", by: ["host", "9lives"] })).toBe('aggregate.by[1]: "9lives": label name must match [a-zA-Z_][a-zA-Z0-9_]*');
    expect(problem({ op: "sum", by: ["__name__"] })).toBe('aggregate.by[0]: "__name__": label names starting with __ are reserved');
    const many = Array.from({ length: AGGREGATE_LIMITS.byLabels + 1 }, (_, i) => `l${i}`);
    expect(problem({ op: "sum", by: many })).toBe(`aggregate.by: by must have at most ${AGGREGATE_LIMITS.byLabels} labels`);
    expect(problem({ op: "sum", by: ["host", "host"] })).toBe("aggregate.by[1]: label host appears twice");
    expect(problem({ op: "sum", without: ["host"] })).toContain("aggregate");
    expect(problem({ by: ["host"] })).toContain("aggregate.op");
  });

  it("keys the same aggregation the same way whatever the by order", () => {
    expect(aggregateKey({ op: "sum", by: ["host", "cpu"] })).toBe(aggregateKey({ op: "sum", by: ["cpu", "host"] }));
    expect(aggregateKey({ op: "sum" })).toBe(aggregateKey({ op: "sum", by: [] }));
    expect(aggregateKey({ op: "sum" })).not.toBe(aggregateKey({ op: "avg" }));
  });
});

describe("/sse aggregate=&by= parameters", () => {
  it("parses op and a comma-separated by list", () => {
    expect(parseAggregateParams("sum", "host,cpu")).toEqual({ ok: true, value: { op: "sum", by: ["host", "cpu"] } });
    expect(parseAggregateParams("rate", null)).toEqual({ ok: true, value: { op: "rate" } });
    expect(parseAggregateParams("max", "")).toEqual({ ok: true, value: { op: "max" } });
    expect(parseAggregateParams(null, null)).toEqual({ ok: true, value: undefined });
  });

  it("names the parameter of each problem", () => {
    expect(parseAggregateParams("mean", null)).toEqual({ ok: false, field: "aggregate", message: 'aggregate: unknown op "mean" (known: sum, avg, min, max, count, rate)' });
    expect(parseAggregateParams("sum", "host,a-b")).toEqual({ ok: false, field: "by", message: 'by[1]: "a-b": label name must match [a-zA-Z_][a-zA-Z0-9_]*' });
    expect(parseAggregateParams(null, "host")).toEqual({ ok: false, field: "by", message: "by: needs aggregate=<op> beside it" });
    const many = Array.from({ length: 11 }, (_, i) => `l${i}`).join(",");
    expect(parseAggregateParams("sum", many)).toMatchObject({ ok: false, field: "by", message: "by: by must have at most 10 labels" });
  });
});
