import { describe, expect, it } from "vitest";
import { IngestInputSchema, formatIssuePath, formatZodIssues } from "../src";

describe("zod issue formatting", () => {
  it("names each field with its index path", () => {
    const result = IngestInputSchema.safeParse({ points: [{ series: "a", value: 1 }, { series: "b b", value: Number.NaN }] });
    expect(result.success).toBe(false);
    const text = formatZodIssues(result.error!);
    expect(text).toMatch(/^points\[1\]\.series: .+; points\[1\]\.value: /);
  });

  it("keeps at most maxIssues issues and leaves a root issue bare", () => {
    const issues = Array.from({ length: 50 }, (_, i) => ({ path: ["x", i], message: `bad ${i}` }));
    expect(formatZodIssues({ issues }, 2)).toBe("x[0]: bad 0; x[1]: bad 1");
    expect(formatZodIssues({ issues: [{ path: [], message: "expected an object" }] })).toBe("expected an object");
    expect(formatIssuePath(["meta", 0, "thresholds", "warn"])).toBe("meta[0].thresholds.warn");
  });
});
