import { writeFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import { startTestServer } from "../helpers/server";
import { startWithRules, useCleanups, writeRules } from "./helpers";

const cleanups = useCleanups();

// The evaluator's live subscription ("*") counted as a client subscription and cost a filter per
// batch on servers that have no rules at all; tests waiting for "one subscriber" saw it and pushed
// before their own subscriber was there.
describe("alert evaluation holds a live subscription only while there are rules", () => {
  it("a server without rules has no live subscription", async () => {
    const server = await startTestServer();
    cleanups.push(() => server.close());
    await new Promise((resolve) => setImmediate(resolve));
    expect(server.services.hub.stats().subscriptions).toBe(0);
  });

  it("subscribes when a rules file gains a rule and lets go when it has none", async () => {
    const server = await startWithRules(cleanups, "[]\n", {}, { alerts: { rulesPollMs: 20 } });
    await new Promise((resolve) => setImmediate(resolve));
    expect(server.services.hub.stats().subscriptions).toBe(0);
    const path = server.services.config.alerts.rulesFile;
    expect(path).toBeTruthy();
    writeFileSync(path!, "- { name: cpu-high, series: host.cpu.total, above: 90 }\n");
    await server.services.alerts.reloadRules();
    await vi.waitFor(() => expect(server.services.hub.stats().subscriptions).toBe(1));
    writeRules(path!.replace(/\/[^/]+$/, ""), "[]\n", path!.replace(/.*\//, ""));
    await server.services.alerts.reloadRules();
    await vi.waitFor(() => expect(server.services.hub.stats().subscriptions).toBe(0));
  });
});
