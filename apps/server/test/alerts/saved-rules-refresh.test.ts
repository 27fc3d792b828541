import type { AlertRule } from "@livedash/events";
import { describe, expect, it } from "vitest";
import { openAlertDb } from "../../src/alerts/alert-db";
import { createSavedRules } from "../../src/alerts/saved-rules";
import type { SharedRules } from "../../src/alerts/shared-writes";
import { createLogger } from "../../src/logger";

const rule = (name: string): AlertRule => ({ name, series: "x", above: 1, for: 0, severity: "warning", description: "", format: "json" });

/** Redis' rules hash, with each load answered when the test says so (in any order). */
function deferredShared() {
  const stored = new Map<string, AlertRule>();
  const loads: { resolve: () => void; snapshot: AlertRule[] }[] = [];
  const shared: SharedRules = {
    load: () =>
      new Promise((resolve) => {
        const snapshot = [...stored.values()];
        loads.push({ snapshot, resolve: () => resolve(snapshot) });
      }),
    put: async (r) => void stored.set(r.name, r),
    remove: async (name) => stored.delete(name),
    seed: async () => 0,
  };
  return { shared, loads };
}

describe("rules saved from the dashboard, shared in Redis", () => {
  it("a slow periodic re-read answered after a newer one does not bring back the older set", async () => {
    const db = openAlertDb(null);
    const { shared, loads } = deferredShared();
    let changes = 0;
    const saved = createSavedRules(db, shared, createLogger({ level: "silent" }), () => changes++);
    // The tick's re-read starts, before the save: it reads the hash without the new rule...
    const slow = saved.refresh();
    // ...the save writes and re-reads; that newer read answers first.
    const save = saved.save({ rule: rule("fresh"), match: () => true });
    await Promise.resolve();
    await Promise.resolve();
    expect(loads).toHaveLength(2);
    loads[1]!.resolve();
    await save;
    expect(saved.values().map((r) => r.rule.name)).toEqual(["fresh"]);
    // The stale answer arrives last: the newer set stays, and nothing was applied twice.
    loads[0]!.resolve();
    await slow;
    expect(saved.values().map((r) => r.rule.name)).toEqual(["fresh"]);
    expect(changes).toBe(1);
    db.close();
  });
});
