import { describe, expect, it } from "vitest";
import { HistoryInputSchema, IngestInputSchema, LiveEventSchema, PointSchema, PollInputSchema } from "../src";

describe("wire schemas", () => {
  it("rejects non-finite values and bad names in points", () => {
    expect(PointSchema.safeParse({ series: "a.b", ts: 1, value: Number.NaN }).success).toBe(false);
    expect(PointSchema.safeParse({ series: "a.b", ts: 1, value: Number.POSITIVE_INFINITY }).success).toBe(false);
    expect(PointSchema.safeParse({ series: "a b", ts: 1, value: 1 }).success).toBe(false);
    expect(PointSchema.safeParse({ series: "a.b", ts: -1, value: 1 }).success).toBe(false);
    expect(PointSchema.safeParse({ series: "a.b", ts: 1, value: 1, extra: true }).success).toBe(false);
    expect(PointSchema.parse({ series: "a.b", ts: 1, value: 1 })).toEqual({ series: "a.b", ts: 1, value: 1 });
  });

  it("lets ingested points omit ts", () => {
    expect(IngestInputSchema.parse({ points: [{ series: "a", value: 2 }] }).points[0]).toEqual({ series: "a", value: 2 });
  });

  it("checks history ranges", () => {
    const bad = HistoryInputSchema.safeParse({ series: ["a"], from: 5, to: 1 });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(["from"]);
    expect(HistoryInputSchema.parse({ series: ["a"] }).maxPoints).toBe(600);
  });

  it("defaults the long-poll wait and bounds it", () => {
    expect(PollInputSchema.parse({ series: ["a"] }).waitMs).toBe(25_000);
    expect(PollInputSchema.safeParse({ series: ["a"], waitMs: 600_000 }).success).toBe(false);
  });

  it("marks coalesced points events, and still parses events without the marker", () => {
    const point = { series: "a.b", ts: 1, value: 1 };
    expect(LiveEventSchema.parse({ type: "points", points: [point], coalesced: true })).toEqual({
      type: "points",
      points: [point],
      coalesced: true,
    });
    expect(LiveEventSchema.parse({ type: "points", points: [point] })).toEqual({ type: "points", points: [point] });
    expect(LiveEventSchema.safeParse({ type: "points", points: [point], coalesced: false }).success).toBe(false);
  });

  it("knows both live event kinds", () => {
    expect(LiveEventSchema.parse({ type: "reset", reason: "too-old" })).toEqual({ type: "reset", reason: "too-old" });
    expect(LiveEventSchema.safeParse({ type: "reset", reason: "because" }).success).toBe(false);
  });
});
