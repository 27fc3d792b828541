import { describe, expect, it } from "vitest";
import { compileSeriesMatcher, SeriesPatternSchema } from "../src";

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
});

describe("SeriesPatternSchema", () => {
  it.each(["", "a b", "a/b", "x".repeat(201), "a?"])("rejects %j", (pattern) => {
    expect(SeriesPatternSchema.safeParse(pattern).success).toBe(false);
  });
  it.each(["a", "host.cpu.*", "*", "x".repeat(200)])("accepts %j", (pattern) => {
    expect(SeriesPatternSchema.safeParse(pattern).success).toBe(true);
  });
});
