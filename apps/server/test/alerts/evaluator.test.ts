import { describe, expect, it } from "vitest";
import { AlertRuleInputSchema } from "@livedash/events";
import type { AlertRuleInput } from "@livedash/events";
import { createEvaluator } from "../../src/alerts/evaluator";
import type { Change } from "../../src/alerts/evaluator";
import { compileRuleSelector } from "../../src/alerts/selector";

function compiled(input: AlertRuleInput) {
  const selector = compileRuleSelector(input.series);
  if (!selector.ok) throw new Error(selector.message);
  return { rule: AlertRuleInputSchema.parse(input), match: selector.match };
}

/** Feeds [ms, value] points of one series at clock = ms, collecting the states entered. */
function run(rule: AlertRuleInput, points: [number, number][], series = "host.cpu.total") {
  const evaluator = createEvaluator();
  evaluator.setRules([compiled(rule)]);
  const changes: Change[] = [];
  for (const [ts, value] of points) changes.push(...evaluator.observe([{ series, ts, value }], ts));
  return { evaluator, changes, states: changes.map((c) => c.transition.to) };
}

describe("alert evaluator", () => {
  it("flapping input produces exactly one firing and one resolved (hysteresis and for)", () => {
    const rule = { name: "cpu-high", series: "host.cpu.*", above: 90, clear: 70, for: "5s" };
    // Crosses 90 again and again, but never falls back past 70 until 9 s: one episode.
    const { states, changes } = run(rule, [
      [0, 95], [1_000, 85], [2_000, 92], [3_000, 75], [4_000, 91], [5_000, 88],
      [6_000, 95], [7_000, 72], [8_000, 91], [9_000, 60],
      // Below the threshold afterwards, wobbling around clear: nothing new.
      [10_000, 85], [11_000, 65], [12_000, 89], [13_000, 69],
    ]);
    expect(states).toEqual(["pending", "firing", "resolved"]);
    expect(states.filter((s) => s === "firing")).toHaveLength(1);
    expect(states.filter((s) => s === "resolved")).toHaveLength(1);
    expect(changes[1]!.transition).toMatchObject({ from: "pending", to: "firing", ts: 5_000, value: 88 });
    expect(changes[2]!.transition).toMatchObject({ from: "firing", to: "resolved", ts: 9_000, value: 60 });
  });

  it("without hysteresis the same input would flap: clear defaults to the threshold", () => {
    const { states } = run({ name: "cpu-high", series: "host.cpu.*", above: 90, for: "0s" }, [[0, 95], [1_000, 85], [2_000, 92], [3_000, 75]]);
    expect(states).toEqual(["pending", "firing", "resolved", "pending", "firing", "resolved"]);
  });

  it("a pending that falls back past clear before `for` returns to ok and never fires", () => {
    const { states } = run({ name: "cpu-high", series: "host.cpu.*", above: 90, clear: 70, for: "5s" }, [[0, 95], [4_000, 96], [4_500, 50], [20_000, 50]]);
    expect(states).toEqual(["pending", "ok"]);
  });

  it("fires on the clock when `for` elapses with no new point", () => {
    const { evaluator, states } = run({ name: "cpu-high", series: "host.cpu.*", above: 90, for: "5s" }, [[0, 95]]);
    expect(states).toEqual(["pending"]);
    expect(evaluator.tick(4_999)).toEqual([]);
    expect(evaluator.tick(5_000).map((c) => c.transition.to)).toEqual(["firing"]);
    expect(evaluator.tick(60_000)).toEqual([]);
  });

  it("below rules mirror above rules", () => {
    const { states } = run({ name: "disk-low", series: "disk.free", below: 10, clear: 20, for: 0 }, [[0, 50], [1, 5], [2, 15], [3, 9], [4, 25]], "disk.free");
    expect(states).toEqual(["pending", "firing", "resolved"]);
  });

  it("noData: a seen series silent for the duration fires; its next point resolves it", () => {
    const { evaluator } = run({ name: "agent-gone", series: "agent.heartbeat", noData: "10s" }, [[0, 1]], "agent.heartbeat");
    expect(evaluator.tick(9_999)).toEqual([]);
    const fired = evaluator.tick(10_000).map((c) => c.transition);
    expect(fired.map((t) => t.to)).toEqual(["pending", "firing"]);
    expect(fired[1]).toMatchObject({ value: null, series: "agent.heartbeat" });
    const back = evaluator.observe([{ series: "agent.heartbeat", ts: 12_000, value: 1 }], 12_000);
    expect(back.map((c) => c.transition.to)).toEqual(["resolved"]);
  });

  it("transition ids depend on the points, not on the evaluation clock, so instances agree", () => {
    const rule = { name: "cpu-high", series: "host.cpu.*", above: 90, for: "5s" } as const;
    const a = createEvaluator();
    const b = createEvaluator();
    a.setRules([compiled(rule)]);
    b.setRules([compiled(rule)]);
    const idsA = [...a.observe([{ series: "host.cpu.total", ts: 1_000, value: 99 }], 1_000), ...a.tick(6_000)].map((c) => c.transition.id);
    const idsB = [...b.observe([{ series: "host.cpu.total", ts: 1_000, value: 99 }], 1_350), ...b.tick(7_200)].map((c) => c.transition.id);
    expect(idsA).toEqual(idsB);
    expect(new Set(idsA).size).toBe(2);
  });

  it("selects series by name glob and labels; each series has its own state", () => {
    const evaluator = createEvaluator();
    evaluator.setRules([compiled({ name: "web-cpu", series: 'host.cpu.*{host=~"web.*",cpu!="0"}', above: 50 })]);
    const changes = evaluator.observe(
      [
        { series: 'host.cpu.total{host="web1"}', ts: 0, value: 60 },
        { series: 'host.cpu.total{host="db1"}', ts: 0, value: 99 },
        { series: "host.cpu.total", ts: 0, value: 99 },
        { series: 'host.cpu.total{cpu="0",host="web2"}', ts: 0, value: 99 },
        { series: 'host.mem.used{host="web1"}', ts: 0, value: 99 },
      ],
      0,
    );
    expect(changes.map((c) => [c.transition.series, c.transition.to])).toEqual([
      ['host.cpu.total{host="web1"}', "pending"],
      ['host.cpu.total{host="web1"}', "firing"],
    ]);
  });

  it("never evaluates its own transition series", () => {
    const evaluator = createEvaluator();
    evaluator.setRules([compiled({ name: "everything", series: "*", above: 0 })]);
    expect(evaluator.observe([{ series: 'livedash.alert.state{rule="x",series="y"}', ts: 0, value: 2 }], 0)).toEqual([]);
  });

  it("bounds the series one rule tracks", () => {
    const evaluator = createEvaluator({ maxInstancesPerRule: 3 });
    evaluator.setRules([compiled({ name: "any", series: "s.*", above: 0 })]);
    evaluator.observe(Array.from({ length: 10 }, (_, i) => ({ series: `s.${i}`, ts: 0, value: 1 })), 0);
    expect(evaluator.stats()).toEqual({ tracked: 3, dropped: 7 });
  });
});
