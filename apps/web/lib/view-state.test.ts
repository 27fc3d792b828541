import { describe, expect, it } from "vitest";
import { MAX_CUSTOM_CHARTS, MAX_ZOOM_MS, MIN_ZOOM_MS, WINDOWS, normalizeZoom, parseViewState, parseZoom, serializeViewState, visibleRange } from "./view-state";

describe("view state in the URL", () => {
  it("round-trips a view", () => {
    const view = { window: "15m" as const, paused: true, charts: ["app.requests", "host.cpu.total"], transport: "sse" as const };
    const query = serializeViewState(view);
    expect(query).toBe("?window=15m&paused=1&charts=app.requests,host.cpu.total&transport=sse");
    expect(parseViewState(Object.fromEntries(new URLSearchParams(query)))).toEqual(view);
  });

  it("the default view is an empty query", () => {
    expect(serializeViewState(parseViewState({}))).toBe("");
  });

  it("drops invalid values instead of failing the page", () => {
    const view = parseViewState({ window: "constructor", paused: "yes", transport: "carrier-pigeon", charts: "ok.series,bad name!,ok.series" });
    expect(view).toEqual({ window: "5m", paused: false, transport: "auto", charts: ["ok.series"] });
  });

  it("keeps selectors and aggregations whole, commas inside braces and parentheses included", () => {
    const charts = ['app.requests{region="eu",status!="500"}', "sum by (host,region) (app.requests)", 'avg (host.cpu.total{cpu!=""})'];
    const view = { window: "5m" as const, paused: false, charts, transport: "auto" as const, host: "web1" };
    const query = serializeViewState(view);
    expect(query).toContain("charts=app.requests{region");
    expect(query).toContain("&host=web1");
    expect(parseViewState(Object.fromEntries(new URLSearchParams(query)))).toEqual(view);
    // Written by hand in another order or spacing: the same canonical chart.
    expect(parseViewState({ charts: 'app.requests{status!="500", region="eu"},sum  by(region, host)(app.requests)' }).charts).toEqual([
      'app.requests{region="eu",status!="500"}',
      "sum by (region,host) (app.requests)",
    ]);
  });

  it("drops a chart that is not a selector or an aggregation of one, and a host that cannot be a label value", () => {
    const view = parseViewState({ charts: 'ok{a="1"},bad{a=1},median (ok),sum by (bad-label) (ok),ok', host: "web\u00071" });
    expect(view.charts).toEqual(['ok{a="1"}', "ok"]);
    expect(view.host).toBeUndefined();
  });

  it("caps the number of custom charts", () => {
    const many = Array.from({ length: 100 }, (_, i) => `s${i}`).join(",");
    expect(parseViewState({ charts: many }).charts).toHaveLength(MAX_CUSTOM_CHARTS);
  });
});

describe("overview group-by in the URL", () => {
  it("round-trips per-chart labels, in overview order", () => {
    const view = { ...parseViewState({}), groupBy: { "disk-devices": "device", "cpu-cores": "host" } };
    const query = serializeViewState(view);
    expect(query).toBe("?by=cpu-cores:host,disk-devices:device");
    expect(parseViewState(Object.fromEntries(new URLSearchParams(query)))).toEqual({ ...view, groupBy: { "cpu-cores": "host", "disk-devices": "device" } });
  });

  it("drops unknown charts, labels that cannot be labels, and a second entry for a chart", () => {
    expect(parseViewState({ by: "nope:host,cpu-cores:9x,cpu-cores:__name__,mem:a:b,cpu-usage:host,cpu-usage:cpu" }).groupBy).toEqual({ "cpu-usage": "host" });
    expect(parseViewState({ by: "nope:host" }).groupBy).toBeUndefined();
    expect(serializeViewState({ ...parseViewState({}), groupBy: {} })).toBe("");
  });
});

describe("long windows and zoom in the URL", () => {
  it("accepts the long windows", () => {
    for (const key of ["6h", "24h", "7d", "30d"] as const) {
      expect(parseViewState({ window: key }).window).toBe(key);
      expect(serializeViewState({ ...parseViewState({}), window: key })).toBe(`?window=${key}`);
    }
    expect(WINDOWS["24h"]).toBe(86_400_000);
    expect(WINDOWS["30d"]).toBe(30 * 86_400_000);
  });

  it("round-trips a zoom", () => {
    const view = { window: "24h" as const, paused: false, charts: [], transport: "auto" as const, zoom: { from: 1_700_000_000_000, to: 1_700_000_600_000 } };
    const query = serializeViewState(view);
    expect(query).toBe("?window=24h&from=1700000000000&to=1700000600000");
    expect(parseViewState(Object.fromEntries(new URLSearchParams(query)))).toEqual(view);
  });

  it("a missing, reversed, too short, too long or non-numeric zoom is no zoom", () => {
    expect(parseZoom("1000", undefined)).toBeUndefined();
    expect(parseZoom("5000", "2000")).toBeUndefined();
    expect(parseZoom("1000", "1500")).toBeUndefined();
    expect(parseZoom("0", String(MAX_ZOOM_MS + 1))).toBeUndefined();
    expect(parseZoom("1e12", "2e12")).toBeUndefined();
    expect(parseZoom("-5", "5000")).toBeUndefined();
    expect(parseZoom("1000", String(1000 + MIN_ZOOM_MS))).toEqual({ from: 1000, to: 1000 + MIN_ZOOM_MS });
    expect(parseViewState({ from: "abc", to: "def" }).zoom).toBeUndefined();
  });

  it("a drag in either direction becomes whole ms, from < to", () => {
    expect(normalizeZoom(5000.6, 1000.2)).toEqual({ from: 1000, to: 5001 });
    expect(normalizeZoom(1000, 1400)).toBeUndefined();
    expect(normalizeZoom(Number.NaN, 5000)).toBeUndefined();
  });

  it("the visible range is the zoom, else the window ending now", () => {
    expect(visibleRange({ window: "6h" }, 100_000_000)).toEqual({ from: 100_000_000 - 6 * 3_600_000, to: 100_000_000 });
    expect(visibleRange({ window: "6h", zoom: { from: 1, to: 2000 } }, 100_000_000)).toEqual({ from: 1, to: 2000 });
  });
});
