import { describe, expect, it } from "vitest";
import { formatChartQuery, parseChartQuery, splitChartList, withLabel } from "./chart-query";

describe("chart queries", () => {
  it("a selector is a chart, in canonical text", () => {
    expect(parseChartQuery('app.requests{status!="500",region="eu"}')).toEqual({ selector: 'app.requests{region="eu",status!="500"}' });
    expect(parseChartQuery("host.cpu.*")).toEqual({ selector: "host.cpu.*" });
    expect(formatChartQuery({ selector: "x" })).toBe("x");
  });

  it("refuses what is not a selector", () => {
    for (const text of ["x{a=1}", "bad name", "x{", ""]) expect(parseChartQuery(text)).toBeNull();
  });

  it("lists split on the commas outside braces, parentheses and quotes", () => {
    expect(splitChartList('a{x="1",y="2,3"},f (a,b),d')).toEqual(['a{x="1",y="2,3"}', "f (a,b)", "d"]);
    expect(splitChartList("")).toEqual([]);
  });

  it("scopes a selector to a host, whatever matchers it has", () => {
    expect(withLabel("host.*", "host", "web1")).toBe('host.*{host="web1"}');
    expect(withLabel('host.cpu.total{cpu!=""}', "host", 'we"b')).toBe('host.cpu.total{cpu!="",host="we\\"b"}');
  });
});
