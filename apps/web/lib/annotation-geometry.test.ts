import type { Annotation } from "@livedash/events";
import { describe, expect, it } from "vitest";
import { annotationMarks, toneOf } from "./annotation-geometry";

const note = (id: number, ts: number, endTs: number | null = null, extra: Partial<Annotation> = {}): Annotation => ({ id, ts, endTs, text: `note ${id}`, tags: [], source: "user", ...extra });

describe("annotation marker geometry", () => {
  it("places a point as a line at its time, proportionally across the plot", () => {
    const [mark] = annotationMarks([note(1, 1_500)], 1_000, 2_000, 400);
    expect(mark).toMatchObject({ key: "user:1", kind: "line", left: 200, width: 0, text: "note 1" });
  });

  it("leaves out points outside the window, keeps those on its edges", () => {
    const marks = annotationMarks([note(1, 999), note(2, 1_000), note(3, 2_000), note(4, 2_001)], 1_000, 2_000, 100);
    expect(marks.map((m) => [m.key, m.left])).toEqual([["user:2", 0], ["user:3", 100]]);
  });

  it("draws a range as a band clipped to the window, shown when it only overlaps it", () => {
    const marks = annotationMarks([note(1, 500, 1_250), note(2, 1_750, 3_000), note(3, 0, 5_000), note(4, 100, 900)], 1_000, 2_000, 400);
    expect(marks.map((m) => [m.key, m.kind, m.left, m.width])).toEqual([
      ["user:3", "band", 0, 400],
      ["user:1", "band", 0, 100],
      ["user:2", "band", 300, 100],
    ]);
  });

  it("gives a very short range at least one pixel, and a zero-length range is a line", () => {
    const marks = annotationMarks([note(1, 1_000, 1_001), note(2, 1_500, 1_500)], 1_000, 2_000, 100);
    expect(marks.map((m) => [m.kind, m.width])).toEqual([["band", 1], ["line", 0]]);
  });

  it("keys by source and id: a user note and an alert transition with the same id are two marks", () => {
    const marks = annotationMarks([note(7, 1_200), note(7, 1_300, null, { source: "alert", tags: ["alert", "cpu", "firing", "critical"] })], 1_000, 2_000, 100);
    expect(marks.map((m) => [m.key, m.tone])).toEqual([["user:7", "user"], ["alert:7", "firing"]]);
  });

  it("keeps the newest marks past the cap and nothing for an empty window or plot", () => {
    const many = Array.from({ length: 10 }, (_, i) => note(i, 1_000 + i * 10));
    expect(annotationMarks(many, 1_000, 2_000, 100, 3).map((m) => m.key)).toEqual(["user:7", "user:8", "user:9"]);
    expect(annotationMarks(many, 2_000, 2_000, 100)).toEqual([]);
    expect(annotationMarks(many, 1_000, 2_000, 0)).toEqual([]);
  });

  it("colours alert transitions by the state they went to", () => {
    expect(toneOf({ source: "alert", tags: ["alert", "r", "resolved", "warning"] })).toBe("resolved");
    expect(toneOf({ source: "alert", tags: ["alert"] })).toBe("alert");
    expect(toneOf({ source: "user", tags: ["firing"] })).toBe("user");
  });
});
