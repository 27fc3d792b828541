import { compileSeriesMatcher, parseSelector } from "@livedash/events";
import { describe, expect, it } from "vitest";
import { explorerLabelsSelector, labelChoices } from "./explorer-labels";

describe("the explorer's metrics.labels selector", () => {
  it("matches names containing every term, case-insensitively, terms taken as text", () => {
    const selector = explorerLabelsSelector("  Test.REQ  eu ");
    expect(selector).not.toBeNull();
    expect(parseSelector(selector!).ok).toBe(true);
    const match = compileSeriesMatcher([selector!]);
    expect(match('test.req_eu{host="a"}')).toBe(true);
    expect(match('xtest.requests.eu{region="eu"}')).toBe(true);
    // "." is a dot, not any character; both terms are needed.
    expect(match("testXreq.eu")).toBe(false);
    expect(match("test.req")).toBe(false);
  });

  it("no terms: every series; regex characters in a term are escaped", () => {
    expect(explorerLabelsSelector("   ")).toBeNull();
    const parsed = parseSelector(explorerLabelsSelector("a(b)*[c]|d\\e")!);
    expect(parsed.ok && parsed.value.matchers).toEqual([{ label: "__name__", op: "=~", value: "(?i).*a\\(b\\)\\*\\[c\\]\\|d\\\\e.*" }]);
    // A term too long for one regex is left out rather than failing the whole query.
    expect(explorerLabelsSelector("x".repeat(600))).toBeNull();
  });

  it("labelChoices leaves __name__ out and keeps each label's count", () => {
    const choices = labelChoices({
      series: 3,
      truncated: false,
      labels: [
        { label: "__name__", values: ["test.req"], count: 1, truncated: false },
        { label: "region", values: ["eu", "us"], count: 2, truncated: false },
      ],
    });
    expect([...choices]).toEqual([["region", { values: ["eu", "us"], count: 2 }]]);
  });
});
