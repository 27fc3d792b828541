import { describe, expect, it } from "vitest";
import { MAX_CUSTOM_CHARTS, parseViewState, serializeViewState } from "./view-state";

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

  it("caps the number of custom charts", () => {
    const many = Array.from({ length: 100 }, (_, i) => `s${i}`).join(",");
    expect(parseViewState({ charts: many }).charts).toHaveLength(MAX_CUSTOM_CHARTS);
  });
});
