import { describe, expect, it, vi } from "vitest";
import { MAX_LISTED_INSTANCES } from "@livedash/events";
import { ingest } from "../helpers/server";
import { getAlerts, startWithRules, stateOf, useCleanups } from "./helpers";

describe("alert evaluation on the server's injected clock", () => {
  const cleanups = useCleanups();

  async function start(rules: string) {
    let clock = 1_000_000;
    // The ticker never runs on its own here: the test moves the clock and ticks.
    const server = await startWithRules(cleanups, rules, {}, { alerts: { now: () => clock, tickMs: 3_600_000 } });
    return { server, advance: (ms: number) => ((clock += ms), server.services.alerts.tick()) };
  }

  it("`for` counts on the clock: pending until it has lasted, then firing with no new point", async () => {
    const { server, advance } = await start(`- { name: cpu-high, series: host.cpu.total, above: 90, for: 5s }\n`);
    await ingest(server.url, [{ series: "host.cpu.total", value: 95 }]);
    await vi.waitFor(async () => expect(await stateOf(server.url, "cpu-high", "host.cpu.total")).toBe("pending"));
    advance(4_999);
    expect(await stateOf(server.url, "cpu-high", "host.cpu.total")).toBe("pending");
    advance(1);
    expect(await stateOf(server.url, "cpu-high", "host.cpu.total")).toBe("firing");
    const firing = (await getAlerts(server.url)).recent[0]!;
    expect(firing).toMatchObject({ from: "pending", to: "firing", ts: 1_005_000, value: 95 });
  });

  it("noData fires for a series gone quiet and resolves on its next point; silences expire on the clock", async () => {
    const { server, advance } = await start(`- { name: agent-gone, series: 'agent.*', noData: 30s }\n`);
    await ingest(server.url, [{ series: "agent.heartbeat", value: 1 }]);
    await vi.waitFor(async () => expect(await stateOf(server.url, "agent-gone", "agent.heartbeat")).toBe("ok"));
    const silence = await server.services.alerts.silence({ rule: "agent-gone", reason: "agent upgrade", duration: 60_000 });
    expect(silence.ok).toBe(true);
    advance(30_000);
    const list = await getAlerts(server.url);
    expect(list.rules[0]!.instances[0]).toMatchObject({ state: "firing", value: 1 });
    expect(list.rules[0]!.instances[0]!.silencedBy).toHaveLength(1);
    expect(list.recent[0]).toMatchObject({ to: "firing", silenced: true, value: null });
    advance(30_000);
    expect((await getAlerts(server.url)).silences).toEqual([]);
    expect((await getAlerts(server.url)).firing).toBe(1);
    await ingest(server.url, [{ series: "agent.heartbeat", value: 1 }]);
    await vi.waitFor(async () => expect(await stateOf(server.url, "agent-gone", "agent.heartbeat")).toBe("resolved"));
  });

  it("GET /api/alerts lists at most MAX_LISTED_INSTANCES series per rule and counts them all", async () => {
    const { server } = await start(`- { name: any-high, series: 'load.*', above: 0 }\n`);
    const points = Array.from({ length: MAX_LISTED_INSTANCES + 50 }, (_, i) => ({ series: `load.s${i}`, value: 1 }));
    await ingest(server.url, points);
    await vi.waitFor(async () => expect((await getAlerts(server.url)).rules[0]!.instanceCount).toBe(MAX_LISTED_INSTANCES + 50));
    const list = await getAlerts(server.url);
    expect(list.rules[0]!.instances).toHaveLength(MAX_LISTED_INSTANCES);
    expect(list.firing).toBe(MAX_LISTED_INSTANCES + 50);
  });
});
