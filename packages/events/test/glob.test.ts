import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileSeriesMatcher, seriesPatternKey, SeriesPatternSchema } from "../src";

// Test-side oracle written from the spec: `*` is any run, everything else literal (small inputs only).
function oracle(pattern: string, name: string): boolean {
  const source = pattern.split("*").map((part) => part.replace(/[.\\^$+?()[\]{}|-]/g, "\\$&")).join(".*");
  return new RegExp(`^${source}$`).test(name);
}

describe("compileSeriesMatcher", () => {
  it.each([
    [["host.cpu.*"], "host.cpu.user", true],
    [["host.cpu.*"], "host.cpu.core0.user", true],
    [["host.cpu.*"], "host.cpux", false],
    [["host.cpu.*"], "host.mem.used_bytes", false],
    [["*"], "anything.at:all", true],
    [["a.b"], "a.b", true],
    [["a.b"], "axb", false],
    [["*.rx_bytes_per_s"], "host.net.eth0.rx_bytes_per_s", true],
    [["host.*.user", "process.*"], "process.rss_bytes", true],
    [["host.*.user", "process.*"], "host.cpu.system", false],
    [["a-b:c*"], "a-b:cd", true],
  ])("%o matches %s: %s", (patterns, series, expected) => {
    expect(compileSeriesMatcher(patterns)(series)).toBe(expected);
  });

  it("treats every non-glob character literally", () => {
    const matches = compileSeriesMatcher(["a.b-c:d_e"]);
    expect(matches("a.b-c:d_e")).toBe(true);
    expect(matches("aXb-c:d_e")).toBe(false);
  });

  it("agrees with the spec on generated patterns and names", () => {
    // A tiny alphabet makes near-misses and repeated segments (the KMP fallback paths) common.
    const chars = fc.constantFrom("a", "b", ".", "*");
    const pattern = fc.array(chars, { minLength: 1, maxLength: 12 }).map((cs) => cs.join(""));
    const name = fc.array(fc.constantFrom("a", "b", "."), { minLength: 1, maxLength: 16 }).map((cs) => cs.join(""));
    fc.assert(
      fc.property(fc.array(pattern, { minLength: 1, maxLength: 3 }), name, (patterns, series) => {
        const expected = patterns.some((p) => oracle(p, series));
        expect(compileSeriesMatcher(patterns)(series)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ["a 26-star pattern that misses on its last character", `${"*".repeat(26)}Q`, "a".repeat(200), false],
    ["alternating stars and letters", "a*".repeat(99) + "b", "a".repeat(200), false],
    ["the same, matching", "a*".repeat(99) + "b", `${"a".repeat(199)}b`, true],
    ["repeated segments that almost match", "*aab*".repeat(33), "aaba".repeat(16) + "a".repeat(136), false],
    ["the same, matching", "*aab*".repeat(33), "aaba".repeat(50), true],
    ["a suffix that overlaps the prefix", "aa*aa", "aaa", false],
  ])("answers at once on an adversarial pattern: %s", (_label, pattern, name, expected) => {
    expect(SeriesPatternSchema.safeParse(pattern).success).toBe(true);
    expect(compileSeriesMatcher([pattern])(name)).toBe(expected);
  });
});

describe("seriesPatternKey", () => {
  it("keys a pattern set by its members, whatever their order and repeats", () => {
    expect(seriesPatternKey(["b.*", "a", "b.*"])).toBe(seriesPatternKey(["a", "b.*"]));
    expect(seriesPatternKey(["a"])).not.toBe(seriesPatternKey(["a", "b.*"]));
  });
});

describe("SeriesPatternSchema", () => {
  it.each(["", "a b", "a/b", "x".repeat(201), "a?"])("rejects %j", (pattern) => {
    expect(SeriesPatternSchema.safeParse(pattern).success).toBe(false);
  });
  it.each(["a", "host.cpu.*", "*", "x".repeat(200)])("accepts %j", (pattern) => {
    expect(SeriesPatternSchema.safeParse(pattern).success).toBe(true);
  });
});
