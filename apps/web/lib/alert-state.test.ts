import type { AlertInstance, AlertRuleStatus, AlertsList, AlertState } from "@livedash/events";
import { describe, expect, it } from "vitest";
import { activeAlerts, alertOf, isAlertStateKey, seriesAlerts } from "./alert-state";

const instance = (series: string, state: AlertState, since = 1, silencedBy: string[] = []): AlertInstance => ({ series, state, since, value: 1, silencedBy });

function status(name: string, severity: "info" | "warning" | "critical", instances: AlertInstance[]): AlertRuleStatus {
  return {
    name,
    severity,
    source: "api",
    state: "ok",
    instances,
    instanceCount: instances.length,
    rule: { name, series: "x", for: 0, severity, description: `${name} desc`, format: "json", above: 1 },
  };
}

const list = (rules: AlertRuleStatus[]): AlertsList => ({ rules, firing: 0, silences: [], recent: [], rulesFile: { path: null, loadedAt: null, error: null } });

describe("alert state derivation", () => {
  const data = list([
    status("cpu", "warning", [instance('cpu{host="a"}', "firing", 10), instance('cpu{host="b"}', "pending", 20), instance('cpu{host="c"}', "ok")]),
    status("cpu-crit", "critical", [instance('cpu{host="a"}', "firing", 5, ["s1"]), instance('cpu{host="d"}', "resolved")]),
    status("mem", "info", [instance("mem", "pending", 30, ["s2"])]),
  ]);

  it("lists firing and pending series, worst severity first; silenced ones stay listed with their silences", () => {
    const { firing, pending } = activeAlerts(data);
    expect(firing.map((r) => [r.rule, r.series, r.silencedBy])).toEqual([
      ["cpu-crit", 'cpu{host="a"}', ["s1"]],
      ["cpu", 'cpu{host="a"}', []],
    ]);
    expect(pending.map((r) => [r.rule, r.series])).toEqual([["cpu", 'cpu{host="b"}'], ["mem", "mem"]]);
    expect(firing[1]?.description).toBe("cpu desc");
  });

  it("marks a series by its worst state; silenced only when every rule firing on it is silenced", () => {
    const by = seriesAlerts(data);
    expect(by.get('cpu{host="a"}')).toEqual({ state: "firing", silenced: false });
    expect(by.get('cpu{host="b"}')).toEqual({ state: "pending", silenced: false });
    expect(by.get("mem")).toEqual({ state: "pending", silenced: true });
    expect(by.has('cpu{host="c"}')).toBe(false);
    expect(by.has('cpu{host="d"}')).toBe(false);
  });

  it("marks a chart by the worst of its series, firing over pending, silenced only if all of that state are", () => {
    const by = seriesAlerts(data);
    expect(alertOf(by, ["mem", 'cpu{host="b"}'])).toEqual({ state: "pending", silenced: false });
    expect(alertOf(by, ["mem", 'cpu{host="a"}'])).toEqual({ state: "firing", silenced: false });
    expect(alertOf(by, ["mem"])).toEqual({ state: "pending", silenced: true });
    expect(alertOf(by, ['cpu{host="c"}', "other"])).toBeNull();
    // alertOf never changes the shared map's entries.
    expect(by.get("mem")).toEqual({ state: "pending", silenced: true });
  });

  it("recognises the transition series on the stream", () => {
    expect(isAlertStateKey('livedash.alert.state{rule="cpu",series="cpu"}')).toBe(true);
    expect(isAlertStateKey("livedash.alert.state")).toBe(true);
    expect(isAlertStateKey("livedash.alert.states")).toBe(false);
    expect(isAlertStateKey("livedash.connections")).toBe(false);
  });
});
