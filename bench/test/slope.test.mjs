import { describe, expect, it } from "vitest";
import { linearFit } from "../lib/slope.mjs";

describe("linearFit", () => {
  it("recovers slope and intercept of a line exactly", () => {
    const fit = linearFit([[0, 100], [1, 103], [2, 106], [3, 109]]);
    expect(fit?.slope).toBeCloseTo(3);
    expect(fit?.intercept).toBeCloseTo(100);
    expect(fit?.r2).toBeCloseTo(1);
  });

  it("a flat sawtooth has a slope near 0 and a poor fit", () => {
    const fit = linearFit(Array.from({ length: 40 }, (_, i) => [i, 100 + (i % 4) * 5]));
    expect(Math.abs(fit?.slope ?? 1)).toBeLessThan(0.2);
    expect(fit?.r2).toBeLessThan(0.1);
  });

  it("needs two distinct x values", () => {
    expect(linearFit([[1, 5]])).toBeNull();
    expect(linearFit([[1, 5], [1, 6]])).toBeNull();
  });
});
