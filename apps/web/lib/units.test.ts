import { describe, expect, it } from "vitest";
import { formatValue, levelOf } from "./units";

describe("formatValue", () => {
  it.each([
    [1536, "bytes", "1.5 KiB"],
    [3 * 1024 ** 3, "bytes", "3 GiB"],
    [2.5 * 1024 ** 2, "bytes_per_second", "2.5 MiB/s"],
    [42.345, "percent", "42.3 %"],
    [12.5, "ms", "12.5 ms"],
    [2500, "ms", "2.5 s"],
    [1234, "per_second", "1.23k/s"],
    [7, "count", "7"],
    [0, "bytes", "0 B"],
  ] as const)("%s %s -> %s", (value, unit, text) => {
    expect(formatValue(value, unit)).toBe(text);
  });

  it("shows a dash for missing and non-finite values", () => {
    expect(formatValue(null, "bytes")).toBe("–");
    expect(formatValue(Number.NaN, "percent")).toBe("–");
  });
});

describe("levelOf", () => {
  it("colors at or above warn and crit", () => {
    const t = { warn: 80, crit: 95 };
    expect(levelOf(79.9, t)).toBe("ok");
    expect(levelOf(80, t)).toBe("warn");
    expect(levelOf(95, t)).toBe("crit");
    expect(levelOf(99, undefined)).toBe("ok");
  });
});
