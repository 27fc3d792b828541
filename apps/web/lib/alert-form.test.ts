import { describe, expect, it } from "vitest";
import { fieldOfMessage } from "./action-result";
import { EMPTY_RULE, EMPTY_SILENCE, checkRule, checkSilence, formatDuration, parseLabelList, ruleFieldsOf } from "./alert-form";
import { RULE_FIELDS } from "./alert-fields";

describe("rule and silence forms", () => {
  it("turns the form into the saveRule input and back, durations shown as typed", () => {
    const checked = checkRule({ ...EMPTY_RULE, name: "cpu-high", series: "host.cpu.total", threshold: "90", clear: "70", for: "5s", severity: "critical" });
    expect(checked).toEqual({ ok: true, value: { name: "cpu-high", series: "host.cpu.total", above: 90, clear: 70, for: "5s", severity: "critical", format: "json" } });
    const fields = ruleFieldsOf({ name: "cpu-high", series: "host.cpu.total", above: 90, clear: 70, for: 5_000, severity: "critical", description: "", format: "json" });
    expect(fields).toMatchObject({ condition: "above", threshold: "90", clear: "70", for: "5s" });
    expect(ruleFieldsOf({ name: "quiet", series: "agent.heartbeat", noData: 90_000, for: 0, severity: "warning", description: "", format: "json" })).toMatchObject({ condition: "noData", threshold: "90s", for: "0ms" });
  });

  it("names the field of each error, from the same schema the server uses", () => {
    expect(checkRule({ ...EMPTY_RULE, name: "r", series: "s", threshold: "90", for: "soon" })).toMatchObject({ ok: false, field: "for" });
    expect(checkRule({ ...EMPTY_RULE, name: "r", series: "s", threshold: "lots" })).toMatchObject({ ok: false, field: "above" });
    expect(checkRule({ ...EMPTY_RULE, name: "bad name", series: "s", threshold: "1" })).toMatchObject({ ok: false, field: "name" });
    expect(checkRule({ ...EMPTY_RULE, name: "r", series: "s", threshold: "90", clear: "95" })).toMatchObject({ ok: false, field: "clear" });
    const failure = checkRule({ ...EMPTY_RULE, name: "r", series: "s", threshold: "90", webhook: "ftp://x" });
    expect(failure.ok ? "" : failure.message).toMatch(/^webhook: /);
  });

  it("parses silence labels and names the field of a malformed entry", () => {
    expect(parseLabelList('host=web1, cpu="0"')).toEqual({ ok: true, value: { host: "web1", cpu: "0" } });
    expect(parseLabelList(" ")).toEqual({ ok: true, value: undefined });
    expect(parseLabelList("host")).toMatchObject({ ok: false, field: "labels" });
    expect(checkSilence({ ...EMPTY_SILENCE, rule: "cpu", reason: "maintenance" })).toEqual({ ok: true, value: { rule: "cpu", reason: "maintenance", duration: "1h" } });
    expect(checkSilence({ ...EMPTY_SILENCE, reason: "x" })).toMatchObject({ ok: false, field: "rule" });
    expect(checkSilence({ ...EMPTY_SILENCE, rule: "cpu", reason: "" })).toMatchObject({ ok: false, field: "reason" });
    expect(checkSilence({ ...EMPTY_SILENCE, rule: "cpu", reason: "x", duration: "forever" })).toMatchObject({ ok: false, field: "duration" });
  });

  it("finds the field a server message names", () => {
    expect(fieldOfMessage('rule "cpu": series: bad regex in =~', RULE_FIELDS)).toBe("series");
    expect(fieldOfMessage("for: must be a duration", RULE_FIELDS)).toBe("for");
    expect(fieldOfMessage('rule "cpu" is defined in the rules file; edit it there', RULE_FIELDS)).toBeNull();
    expect(fieldOfMessage("expiresAt: the silence would already be over", ["expiresAt"])).toBe("expiresAt");
    expect(fieldOfMessage("something: else", RULE_FIELDS)).toBeNull();
  });

  it("formats milliseconds in the largest whole unit", () => {
    expect([formatDuration(0), formatDuration(1_500), formatDuration(60_000), formatDuration(86_400_000 * 2)]).toEqual(["0ms", "1500ms", "1m", "2d"]);
  });
});
