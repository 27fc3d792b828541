import { describe, expect, it } from "vitest";
import { formatChartQuery, parseChartQuery, splitChartList, withAggregate, withLabel } from "./chart-query";

describe("chart queries", () => {
  it("a selector is a plain chart, in canonical text", () => {
    expect(parseChartQuery('app.requests{status!="500",region="eu"}')).toEqual({ selector: 'app.requests{region="eu",status!="500"}' });
    expect(parseChartQuery("host.cpu.*")).toEqual({ selector: "host.cpu.*" });
  });

  it("an aggregation is written as PromQL writes it and round-trips", () => {
    const query = parseChartQuery('avg by (cpu) (host.cpu.total{cpu!=""})');
    expect(query).toEqual({ selector: 'host.cpu.total{cpu!=""}', aggregate: { op: "avg", by: ["cpu"] } });
    expect(formatChartQuery(query!)).toBe('avg by (cpu) (host.cpu.total{cpu!=""})');
    expect(parseChartQuery("sum(app.requests)")).toEqual({ selector: "app.requests", aggregate: { op: "sum" } });
    expect(formatChartQuery({ selector: "app.requests", aggregate: { op: "sum" } })).toBe("sum (app.requests)");
    expect(parseChartQuery("max by (host, region) (x)")?.aggregate).toEqual({ op: "max", by: ["host", "region"] });
  });

  it("refuses unknown ops, bad label names, a repeated label and a bad selector", () => {
    for (const text of ["median (x)", "sum by (bad-label) (x)", "sum by (a,a) (x)", "sum (x{a=1})", "sum by (a) x", "sum by (a) ()", ""]) {
      expect(parseChartQuery(text)).toBeNull();
    }
  });

  it("grouping replaces the aggregation; no op makes it plain again", () => {
    const plain = { selector: "x" };
    expect(withAggregate(plain, "sum", ["region"])).toEqual({ selector: "x", aggregate: { op: "sum", by: ["region"] } });
    expect(withAggregate(plain, "count", [])).toEqual({ selector: "x", aggregate: { op: "count" } });
    expect(withAggregate({ selector: "x", aggregate: { op: "sum", by: ["a"] } }, null, [])).toEqual(plain);
  });

  it("lists split on the commas outside braces, parentheses and quotes", () => {
    expect(splitChartList('a{x="1",y="2,3"},sum by (a,b) (c),d')).toEqual(['a{x="1",y="2,3"}', "sum by (a,b) (c)", "d"]);
    expect(splitChartList("")).toEqual([]);
  });

  it("scopes a selector to a host, whatever matchers it has", () => {
    expect(withLabel("host.*", "host", "web1")).toBe('host.*{host="web1"}');
    expect(withLabel('host.cpu.total{cpu!=""}', "host", 'we"b')).toBe('host.cpu.total{cpu!="",host="we\\"b"}');
  });
});
