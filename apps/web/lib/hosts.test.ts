import { describe, expect, it } from "vitest";
import { fleetCounts, fleetKey, formatAgo, nonAsciiCharacters, overviewHref } from "./hosts";

describe("fleet view helpers", () => {
  it("keys a column's series the way the store does", () => {
    expect(fleetKey("host.cpu.total", "web1")).toBe('host.cpu.total{host="web1"}');
    expect(fleetKey("host.load.1m", 'we"ird')).toBe('host.load.1m{host="we\\"ird"}');
  });

  // Attack review (F4): `w\u0435b1` (Cyrillic е) rendered exactly as `web1` in the fleet view.
  it("names a host's non-ASCII characters with their code points, so look-alike names differ", () => {
    expect(nonAsciiCharacters("web1")).toBeNull();
    expect(nonAsciiCharacters("w\u0435b1")).toBe("U+0435 \u0435 at 1");
    expect(nonAsciiCharacters("\u{1f5a5}\ufe0f-a\u00e9")).toBe("U+1F5A5 \u{1f5a5} at 0, U+FE0F \ufe0f at 2, U+00E9 \u00e9 at 5");
  });

  it("links a host to its overview, escaped", () => {
    expect(overviewHref("web 1&x")).toBe("/?host=web%201%26x");
  });

  it("says how long ago", () => {
    expect(formatAgo(-50)).toBe("just now");
    expect(formatAgo(4_500)).toBe("4 s ago");
    expect(formatAgo(185_000)).toBe("3 min ago");
    expect(formatAgo(7_200_000)).toBe("2 h ago");
    expect(formatAgo(5 * 86_400_000)).toBe("5 d ago");
    expect(formatAgo(Number.NEGATIVE_INFINITY)).toBe("never");
  });

  it("counts up and down hosts", () => {
    const host = (state: "up" | "down") => ({ host: "h", state, lastSeenAt: 0, lastPointAt: 0, intervalMs: 1000, intervalSource: "inferred" as const, since: 0, cpuPercent: null, memPercent: null, load1: null });
    expect(fleetCounts([host("up"), host("down"), host("up")])).toEqual({ up: 2, down: 1 });
  });
});
