import type { AlertRule } from "@livedash/events";
import type { Logger } from "../logger";
import type { AlertDb } from "./alert-db";
import type { CompiledRule } from "./evaluator";
import { compileRule } from "./rules-file";
import type { SharedRules } from "./shared-writes";

/** Rules most saved from the dashboard. */
export const MAX_SAVED_RULES = 1_000;

/**
 * Rules saved from the dashboard. Alone, they are kept in alerts.db. With Redis they are kept there
 * only (any instance may take the write, every instance must run the rule): each instance re-reads
 * them every tick and at once after its own change, and keeps running the last set read while Redis
 * does not answer. Rules a data directory held from before it ran with Redis are moved into Redis
 * at start (where no rule of that name exists yet) and leave alerts.db: a copy left there would bring
 * back a rule deleted on another instance the next time this one starts.
 */
export function createSavedRules(db: AlertDb, shared: SharedRules | undefined, log: Logger, onChange: () => void) {
  const rules = new Map<string, CompiledRule>();
  let signature = "";

  function replace(list: readonly AlertRule[]) {
    rules.clear();
    for (const rule of list) {
      const compiled = compileRule(rule, "saved rule");
      if (compiled.ok) rules.set(rule.name, compiled.rule);
      else log.error({ rule: rule.name }, `saved alert rule no longer valid, not evaluated: ${compiled.message}`);
    }
    signature = JSON.stringify(list);
  }
  replace(db.savedRules());

  /** Numbered per load; an answer older than one applied already is dropped (see refresh). */
  let loads = 0;
  let applied = 0;

  async function refresh(): Promise<void> {
    if (!shared) return;
    // A tick's re-read may still be on its way when a save re-reads: its older answer must not undo
    // the newer one (the evaluator would drop the rule's state, then start it over). One connection
    // answers in order, so a load started later holds a newer set. (Not "only the last started":
    // with Redis slower than a tick, every answer would be superseded and none applied.)
    const mine = ++loads;
    let list: AlertRule[];
    try {
      list = await shared.load();
    } catch (error) {
      // The last set read keeps running until Redis answers again.
      log.warn({ err: error }, "saved alert rules not refreshed from redis");
      return;
    }
    if (mine < applied) return;
    applied = mine;
    if (JSON.stringify(list) === signature) return;
    replace(list);
    onChange();
  }

  return {
    values: (): CompiledRule[] => [...rules.values()],
    has: (name: string) => rules.has(name),
    get size() {
      return rules.size;
    },
    refresh,
    async start(): Promise<void> {
      if (!shared) return;
      try {
        const local = db.savedRules();
        if (local.length > 0) {
          const added = await shared.seed(local);
          db.replaceRules([]);
          log.info({ rules: local.length, added }, "saved alert rules of this data directory moved into redis");
        }
      } catch (error) {
        log.warn({ err: error }, "saved alert rules not carried into redis; they run here until it answers");
      }
      await refresh();
    },
    /** Throws when Redis does not answer (the caller reports it); nothing changes then. */
    async save(rule: CompiledRule): Promise<void> {
      if (shared) {
        await shared.put(rule.rule);
        await refresh();
        return;
      }
      db.saveRule(rule.rule);
      rules.set(rule.rule.name, rule);
      onChange();
    },
    async remove(name: string): Promise<boolean> {
      if (shared) {
        const removed = await shared.remove(name);
        await refresh();
        return removed;
      }
      if (!db.deleteRule(name)) return false;
      rules.delete(name);
      onChange();
      return true;
    },
  };
}
