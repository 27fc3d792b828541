import { ALERT_STATE_SERIES } from "@livedash/events";
import type { AlertRule, AlertState, AlertTransition, Point } from "@livedash/events";
import type { InstanceRow } from "./alert-db";
import type { SeriesSelector } from "./selector";

export interface CompiledRule {
  readonly rule: AlertRule;
  readonly match: SeriesSelector;
}

/** A transition as the evaluator sees it (silences are the service's business) and the row to keep. */
export interface Change {
  readonly transition: Omit<AlertTransition, "silenced">;
  /** The instance after the change; null when it went back to ok (a threshold rule forgets it). */
  readonly instance: InstanceRow | null;
}

export interface EvaluatorOptions {
  /**
   * Series one rule tracks at most; past it new series are not evaluated (counted in `dropped`), so a
   * cardinality burst cannot grow memory without bound.
   * @default 10_000
   */
  maxInstancesPerRule?: number;
  /** Distinct series keys whose matching rules are cached (the cache is emptied when full). @default 100_000 */
  maxCachedSeries?: number;
}

interface Instance extends InstanceRow {
  /** ts of the newest point seen: where a noData episode begins. */
  lastPointTs: number;
}

/**
 * The alert state machine, pure: points and the evaluation clock in, transitions out. No timers, no I/O,
 * so tests drive it with any clock.
 *
 * Threshold rules (above / below, `clear` defaulting to the threshold):
 * - ok or resolved -> pending when a value is past the threshold (`above`: value > above);
 * - pending holds while values stay past `clear`; one that falls back past it (`above`: value <= clear)
 *   returns to ok, and nothing was ever notified;
 * - pending -> firing once pending has lasted `for` by the clock (checked on each point and each tick);
 * - firing -> resolved when a value falls back past `clear`.
 * noData rules: a series that was seen and sends nothing for `noData` goes pending, fires after `for`
 * more, and any point returns it to ok (pending) or resolved (firing).
 *
 * Transition ids are `rule|series|episode|state`, where the episode is the ts of the point that began
 * it (the last point seen, for noData): every instance reading the same stream names a transition
 * alike, which is what the notification claim (claims.ts) needs.
 */
export function createEvaluator(options: EvaluatorOptions = {}) {
  const maxInstances = options.maxInstancesPerRule ?? 10_000;
  const maxCached = options.maxCachedSeries ?? 100_000;
  let rules: CompiledRule[] = [];
  const instances = new Map<string, Map<string, Instance>>();
  let matchCache = new Map<string, CompiledRule[]>();
  let dropped = 0;

  function rulesFor(series: string): CompiledRule[] {
    let matched = matchCache.get(series);
    if (matched === undefined) {
      matched = rules.filter((r) => r.match(series));
      if (matchCache.size >= maxCached) matchCache = new Map();
      matchCache.set(series, matched);
    }
    return matched;
  }

  function instanceOf(rule: AlertRule, series: string, create: boolean, now: number, pointTs: number): Instance | null {
    let byRule = instances.get(rule.name);
    if (!byRule) instances.set(rule.name, (byRule = new Map<string, Instance>()));
    let inst = byRule.get(series) ?? null;
    if (inst === null && create) {
      if (byRule.size >= maxInstances) {
        dropped++;
        return null;
      }
      inst = { rule: rule.name, series, state: "ok", since: now, episode: pointTs, pendingSince: now, value: null, lastSeen: now, lastPointTs: pointTs };
      byRule.set(series, inst);
    }
    return inst;
  }

  function move(rule: AlertRule, inst: Instance, to: AlertState, now: number, out: Change[]) {
    const from = inst.state;
    inst.state = to;
    inst.since = now;
    const forget = to === "ok" && rule.noData === undefined;
    if (forget) instances.get(rule.name)?.delete(inst.series);
    out.push({
      transition: {
        id: `${rule.name}|${inst.series}|${inst.episode}|${to}`,
        rule: rule.name,
        series: inst.series,
        from,
        to,
        ts: now,
        value: rule.noData === undefined ? inst.value : null,
        severity: rule.severity,
        description: rule.description,
      },
      instance: forget ? null : rowOf(inst),
    });
  }

  function startPending(rule: AlertRule, inst: Instance, episode: number, now: number, out: Change[]) {
    inst.episode = episode;
    inst.pendingSince = now;
    move(rule, inst, "pending", now, out);
    maybeFire(rule, inst, now, out);
  }

  function maybeFire(rule: AlertRule, inst: Instance, now: number, out: Change[]) {
    if (inst.state === "pending" && now - inst.pendingSince >= rule.for) move(rule, inst, "firing", now, out);
  }

  function observeThreshold(rule: AlertRule, point: Point, now: number, out: Change[]) {
    const up = rule.above !== undefined;
    const threshold = (up ? rule.above : rule.below) as number;
    const clear = rule.clear ?? threshold;
    const v = point.value;
    const breach = up ? v > threshold : v < threshold;
    const bad = up ? v > clear : v < clear;
    // Series at ok are not kept: a threshold rule only holds the series that are not fine.
    const inst = instanceOf(rule, point.series, breach, now, point.ts);
    if (inst === null) return;
    inst.value = v;
    inst.lastSeen = now;
    inst.lastPointTs = point.ts;
    if (inst.state === "ok" || inst.state === "resolved") {
      if (breach) startPending(rule, inst, point.ts, now, out);
    } else if (inst.state === "pending") {
      if (!bad) move(rule, inst, "ok", now, out);
      else maybeFire(rule, inst, now, out);
    } else if (!bad) move(rule, inst, "resolved", now, out);
  }

  function observeNoData(rule: AlertRule, point: Point, now: number, out: Change[]) {
    const inst = instanceOf(rule, point.series, true, now, point.ts);
    if (inst === null) return;
    inst.value = point.value;
    inst.lastSeen = now;
    inst.lastPointTs = point.ts;
    if (inst.state === "pending") move(rule, inst, "ok", now, out);
    else if (inst.state === "firing") move(rule, inst, "resolved", now, out);
  }

  return {
    /** Replaces the rules; returns the names of rules that are gone (their state is dropped). */
    setRules(next: readonly CompiledRule[]): string[] {
      const names = new Set(next.map((r) => r.rule.name));
      const gone = [...instances.keys()].filter((name) => !names.has(name));
      for (const name of gone) instances.delete(name);
      rules = [...next];
      matchCache = new Map();
      return gone;
    },

    /** Puts back what the data directory kept (states of the previous run). */
    restore(rows: readonly InstanceRow[]) {
      for (const row of rows) {
        let byRule = instances.get(row.rule);
        if (!byRule) instances.set(row.rule, (byRule = new Map<string, Instance>()));
        byRule.set(row.series, { ...row, lastPointTs: row.episode });
      }
    },

    /**
     * noData rules watch series that exist before any point arrives (after a restart, from the store's
     * catalog): each starts as last seen at its last point.
     */
    seed(series: readonly { key: string; lastTs: number }[]) {
      for (const rule of rules) {
        if (rule.rule.noData === undefined) continue;
        for (const { key, lastTs } of series) {
          if (!rule.match(key) || key.startsWith(ALERT_STATE_SERIES)) continue;
          const byRule = instances.get(rule.rule.name);
          if (byRule?.has(key)) continue;
          const inst = instanceOf(rule.rule, key, true, lastTs, lastTs);
          if (inst) inst.lastSeen = lastTs;
        }
      }
    },

    observe(points: readonly Point[], now: number): Change[] {
      const out: Change[] = [];
      if (rules.length === 0) return out;
      for (const point of points) {
        // Alerts on alert transitions would feed themselves.
        if (point.series.startsWith(ALERT_STATE_SERIES)) continue;
        for (const { rule } of rulesFor(point.series)) {
          if (rule.noData === undefined) observeThreshold(rule, point, now, out);
          else observeNoData(rule, point, now, out);
        }
      }
      return out;
    },

    /** What the clock alone changes: `for` elapsed while pending, silence past noData. */
    tick(now: number): Change[] {
      const out: Change[] = [];
      for (const { rule } of rules) {
        const byRule = instances.get(rule.name);
        if (!byRule) continue;
        for (const inst of [...byRule.values()]) {
          if (rule.noData !== undefined && (inst.state === "ok" || inst.state === "resolved") && now - inst.lastSeen >= rule.noData) {
            startPending(rule, inst, inst.lastPointTs, now, out);
          } else maybeFire(rule, inst, now, out);
        }
      }
      return out;
    },

    /** Every tracked instance of a rule. */
    instances(rule: string): InstanceRow[] {
      return [...(instances.get(rule)?.values() ?? [])].map(rowOf);
    },

    stats() {
      let tracked = 0;
      for (const byRule of instances.values()) tracked += byRule.size;
      return { tracked, dropped };
    },
  };
}

function rowOf(inst: Instance): InstanceRow {
  return { rule: inst.rule, series: inst.series, state: inst.state, since: inst.since, episode: inst.episode, pendingSince: inst.pendingSince, value: inst.value, lastSeen: inst.lastSeen };
}

export type Evaluator = ReturnType<typeof createEvaluator>;
