import { MAX_LISTED_INSTANCES } from "@livedash/events";
import type { AlertInstance, AlertRuleStatus, AlertsList, AlertState, AlertTransition } from "@livedash/events";
import type { InstanceRow } from "./alert-db";
import type { CompiledRule } from "./evaluator";
import type { createSilences } from "./silences";

const WORST: Record<AlertState, number> = { ok: 0, resolved: 1, pending: 2, firing: 3 };

/** What GET /api/alerts and alerts.list answer: every rule with its series' states, silences marked. */
export function alertsList(input: {
  rules: readonly CompiledRule[];
  fileNames: ReadonlySet<string>;
  instances(rule: string): InstanceRow[];
  silences: ReturnType<typeof createSilences>;
  recent: AlertTransition[];
  now: number;
  rulesFile: AlertsList["rulesFile"];
}): AlertsList {
  let firing = 0;
  const rules: AlertRuleStatus[] = input.rules.map(({ rule }) => {
    let state: AlertState = "ok";
    const instances: AlertInstance[] = input.instances(rule.name).map((row) => {
      const silencedBy = input.silences.matching(rule.name, row.series, input.now);
      if (WORST[row.state] > WORST[state]) state = row.state;
      // The bell counts what needs someone: firing and not silenced.
      if (row.state === "firing" && silencedBy.length === 0) firing++;
      return { series: row.series, state: row.state, since: row.since, value: row.value, silencedBy };
    });
    instances.sort((a, b) => WORST[b.state] - WORST[a.state] || a.series.localeCompare(b.series));
    return {
      rule,
      name: rule.name,
      source: input.fileNames.has(rule.name) ? "file" : "api",
      severity: rule.severity,
      state,
      instances: instances.slice(0, MAX_LISTED_INSTANCES),
      instanceCount: instances.length,
    };
  });
  return { rules, firing, silences: input.silences.list(input.now), recent: input.recent, rulesFile: input.rulesFile };
}
