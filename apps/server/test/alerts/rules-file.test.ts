import { describe, expect, it, vi } from "vitest";
import { writeFileSync } from "node:fs";
import { parseConfig } from "../../src/config";
import { createServer } from "../../src/server";
import type { LivedashServer } from "../../src/server";
import { parseRulesText } from "../../src/alerts/rules-file";
import { tempDataDir } from "../helpers/data-dir";
import { ingest } from "../helpers/server";
import { getAlerts, stateOf, useCleanups, writeRules } from "./helpers";

const GOOD = `
rules:
  - name: cpu-high
    series: "host.cpu.*"
    above: 90
    clear: 70
    for: 0s
    severity: critical
`;

describe("alert rules file", () => {
  const cleanups = useCleanups();

  async function start(rulesPath: string): Promise<LivedashServer> {
    const server = await createServer(
      parseConfig({ PORT: "0", LIVEDASH_COLLECTORS: "off", LIVEDASH_LOG: "silent", LIVEDASH_STORAGE: "memory", LIVEDASH_ALERT_RULES: rulesPath }),
      { alerts: { rulesPollMs: 60_000, tickMs: 60_000 } },
    );
    cleanups.push(() => server.close());
    return server;
  }

  it("errors name the rule and the field", () => {
    const result = parseRulesText(`- name: ok-rule\n  series: a\n  above: 1\n- name: bad-rule\n  series: b\n  above: 1\n  for: soon\n`);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toMatch(/^rules\[1\] "bad-rule": for: must be a duration/);
    const two = parseRulesText(`[{"name":"x","series":"a","above":1,"below":2}]`);
    expect(!two.ok && two.message).toMatch(/rules\[0\] "x": above: a rule needs exactly one of above, below or noData/);
    const clear = parseRulesText(`[{"name":"x","series":"a","above":1,"clear":5}]`);
    expect(!clear.ok && clear.message).toMatch(/rules\[0\] "x": clear: clear \(5\) must not be above/);
    const unknown = parseRulesText(`[{"name":"x","series":"a","above":1,"treshold":5}]`);
    expect(!unknown.ok && unknown.message).toMatch(/rules\[0\] "x": .*treshold/);
    const dup = parseRulesText(`[{"name":"x","series":"a","above":1},{"name":"x","series":"b","above":1}]`);
    expect(!dup.ok && dup.message).toBe('rules[1] "x": name: another rule has this name');
    expect(parseRulesText("rules: [").ok).toBe(false);
  });

  it("a broken start file refuses the start, naming the rule and field", async () => {
    const dir = tempDataDir();
    cleanups.push(dir.remove);
    const path = writeRules(dir.dir, `- name: cpu\n  series: host.cpu.*\n  above: high\n`);
    await expect(start(path)).rejects.toThrow(/LIVEDASH_ALERT_RULES .*rules\[0\] "cpu": above/);
  });

  it("a rules file edited with an error keeps the old rules running and says why; a fixed one applies", async () => {
    const dir = tempDataDir();
    cleanups.push(dir.remove);
    const path = writeRules(dir.dir, GOOD);
    const server = await start(path);
    expect((await getAlerts(server.url)).rules.map((r) => [r.name, r.source, r.severity])).toEqual([["cpu-high", "file", "critical"]]);

    writeFileSync(path, GOOD.replace("above: 90", "above: ninety"));
    await server.services.alerts.reloadRules();
    const broken = await getAlerts(server.url);
    expect(broken.rulesFile.error).toMatch(/rules\[0\] "cpu-high": above/);
    expect(broken.rules.map((r) => r.name)).toEqual(["cpu-high"]);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^livedash_alert_rules_file_error 1$/m);

    // The old rule still evaluates.
    await ingest(server.url, [{ series: "host.cpu.total", value: 95 }]);
    await vi.waitFor(async () => expect(await stateOf(server.url, "cpu-high", "host.cpu.total")).toBe("firing"));

    writeFileSync(path, `${GOOD}\n  - name: mem-high\n    series: host.mem.used\n    above: 1\n`);
    await server.services.alerts.reloadRules();
    const fixed = await getAlerts(server.url);
    expect(fixed.rulesFile.error).toBeNull();
    expect(fixed.rules.map((r) => r.name)).toEqual(["cpu-high", "mem-high"]);
    // Reloading keeps the state of a rule that stays.
    expect(await stateOf(server.url, "cpu-high", "host.cpu.total")).toBe("firing");
  });

  it("the poller picks up an edit without being asked", async () => {
    const dir = tempDataDir();
    cleanups.push(dir.remove);
    const path = writeRules(dir.dir, GOOD);
    const server = await createServer(
      parseConfig({ PORT: "0", LIVEDASH_COLLECTORS: "off", LIVEDASH_LOG: "silent", LIVEDASH_STORAGE: "memory", LIVEDASH_ALERT_RULES: path }),
      { alerts: { rulesPollMs: 50 } },
    );
    cleanups.push(() => server.close());
    writeFileSync(path, GOOD.replace("cpu-high", "cpu-very-high"));
    await vi.waitFor(async () => expect((await getAlerts(server.url)).rules.map((r) => r.name)).toEqual(["cpu-very-high"]));
  });
});
