import { ALERT_STATE_SERIES } from "@livedash/events";
import type { AlertSeverity, AlertState, AlertsList } from "@livedash/events";

/** One (rule, series) the server evaluates, as the alerts page lists it. */
export interface AlertRow {
  rule: string;
  severity: AlertSeverity;
  description: string;
  series: string;
  state: AlertState;
  since: number;
  value: number | null;
  /** Ids of the silences covering it; non-empty: listed, marked silenced (never hidden). */
  silencedBy: string[];
}

/** How a chart or panel is marked: the worst state of its series, and whether silences cover all of that. */
export interface SeriesAlert {
  state: "firing" | "pending";
  /** Every series in this state is silenced: still outlined, drawn as silenced. */
  silenced: boolean;
}

const RANK: Record<AlertState, number> = { firing: 3, pending: 2, resolved: 1, ok: 0 };

/** Firing and pending series of every rule, worst and newest first. */
export function activeAlerts(list: AlertsList): { firing: AlertRow[]; pending: AlertRow[] } {
  const firing: AlertRow[] = [];
  const pending: AlertRow[] = [];
  for (const status of list.rules) {
    for (const instance of status.instances) {
      if (instance.state !== "firing" && instance.state !== "pending") continue;
      const row: AlertRow = { rule: status.name, severity: status.severity, description: status.rule.description ?? "", ...instance };
      (instance.state === "firing" ? firing : pending).push(row);
    }
  }
  const order = (a: AlertRow, b: AlertRow) => severityRank(b.severity) - severityRank(a.severity) || b.since - a.since || a.rule.localeCompare(b.rule);
  return { firing: firing.sort(order), pending: pending.sort(order) };
}

function severityRank(severity: AlertSeverity): number {
  return severity === "critical" ? 2 : severity === "warning" ? 1 : 0;
}

/** Per series key: its worst active state over every rule (firing over pending), silenced only if every such rule's instance is. */
export function seriesAlerts(list: AlertsList): Map<string, SeriesAlert> {
  const out = new Map<string, SeriesAlert>();
  for (const status of list.rules) {
    for (const instance of status.instances) {
      if (instance.state !== "firing" && instance.state !== "pending") continue;
      const silenced = instance.silencedBy.length > 0;
      const held = out.get(instance.series);
      if (held === undefined || RANK[instance.state] > RANK[held.state]) out.set(instance.series, { state: instance.state, silenced });
      else if (held.state === instance.state) held.silenced &&= silenced;
    }
  }
  return out;
}

/** The mark of a chart (or panel) showing `series`: the worst of theirs; null when none is pending or firing. */
export function alertOf(alerts: ReadonlyMap<string, SeriesAlert>, series: Iterable<string>): SeriesAlert | null {
  let worst: SeriesAlert | null = null;
  for (const key of series) {
    const alert = alerts.get(key);
    if (alert === undefined) continue;
    if (worst === null || RANK[alert.state] > RANK[worst.state]) worst = { ...alert };
    else if (worst.state === alert.state) worst.silenced &&= alert.silenced;
  }
  return worst;
}

/** A stream point of a transition (`livedash.alert.state{rule=…,series=…}`): the alert list changed. */
export function isAlertStateKey(series: string): boolean {
  return series === ALERT_STATE_SERIES || series.startsWith(`${ALERT_STATE_SERIES}{`);
}
