import { describe, expect, it, vi } from "vitest";
import { ALERT_STATE_SERIES, alertStateFromPoint } from "@livedash/events";
import { parseConfig } from "../../src/config";
import { createServer } from "../../src/server";
import type { LivedashServer } from "../../src/server";
import { tempDataDir } from "../helpers/data-dir";
import { ingest } from "../helpers/server";
import { startReceiver, useCleanups, useRedis, writeRules } from "./helpers";

describe("alerts on three Redis-backed instances", () => {
  const redis = useRedis();
  const cleanups = useCleanups();

  /** Three instances on one stream running the same rules file. */
  async function startInstances(stream: string, rulesPath: string, tickMs: number): Promise<LivedashServer[]> {
    const servers: LivedashServer[] = [];
    for (let i = 0; i < 3; i++) {
      const server = await createServer(
        parseConfig({ PORT: "0", LIVEDASH_COLLECTORS: "off", LIVEDASH_LOG: "silent", LIVEDASH_STORAGE: "memory", REDIS_URL: redis.url, LIVEDASH_REDIS_STREAM: stream, LIVEDASH_ALERT_RULES: rulesPath }),
        // A short lease, so the instances that lost a claim look again (and drop it) within the test.
        { alerts: { tickMs, notifier: { retryBaseMs: 20, retryMaxMs: 100, leaseMs: 300 } } },
      );
      cleanups.push(() => server.close());
      servers.push(server);
    }
    return servers;
  }

  it("every instance evaluates every transition; exactly one sends each notification", async () => {
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    const data = tempDataDir();
    cleanups.push(data.remove);
    const rulesPath = writeRules(data.dir, `- { name: cpu-high, series: 'host.cpu.*', above: 90, clear: 70, for: 0s, webhook: '${receiver.url}' }\n`);
    const servers = await startInstances("alerts-test", rulesPath, 60_000);
    const [a, b, c] = servers as [LivedashServer, LivedashServer, LivedashServer];
    // Points arrive at different instances; each instance reads them all from the stream.
    await ingest(a.url, [{ series: "host.cpu.total", value: 97 }]);
    await vi.waitFor(() => {
      for (const server of servers) expect(server.services.alerts.metrics().counters.transitions.firing).toBe(1);
    });
    await ingest(b.url, [{ series: "host.cpu.total", value: 80 }]);
    await ingest(c.url, [{ series: "host.cpu.total", value: 30 }]);
    await vi.waitFor(() => {
      for (const server of servers) expect(server.services.alerts.metrics().counters.transitions.resolved).toBe(1);
    });
    // Every outbox empties: one instance sent each, the others found it done.
    await vi.waitFor(() => {
      for (const server of servers) expect(server.services.alerts.metrics().outbox).toBe(0);
    }, { timeout: 10_000 });
    expect(receiver.received.map((n) => n.state)).toEqual(["firing", "resolved"]);
    const stats = servers.map((s) => s.services.alerts.metrics().notifier);
    expect(stats.reduce((sum, s) => sum + s.sent, 0)).toBe(2);
    expect(stats.reduce((sum, s) => sum + s.handedOff, 0)).toBe(4);
    // Each transition is on the shared stream once, not once per instance.
    await vi.waitFor(async () => {
      const { events } = await c.services.live.poll({ series: [ALERT_STATE_SERIES], cursor: c.services.engine.startId(), waitMs: 0 }, undefined);
      const states = events.flatMap((e) => (e.event.type === "points" ? e.event.points : [])).map((p) => alertStateFromPoint(p)?.state);
      expect(states).toEqual(["pending", "firing", "resolved"]);
    });
  });

  it("a silence made on one instance holds back the notification whichever instance sends it", async () => {
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    const data = tempDataDir();
    cleanups.push(data.remove);
    const rulesPath = writeRules(data.dir, `- { name: cpu-high, series: 'host.cpu.*', above: 90, for: 0s, webhook: '${receiver.url}' }\n`);
    const servers = await startInstances("alerts-silence-test", rulesPath, 50);
    const [a, b] = servers as [LivedashServer, LivedashServer, LivedashServer];
    const made = await a.services.alerts.silence({ labels: { host: "web1" }, reason: "maintenance on web1", duration: 3_600_000 });
    expect(made.ok).toBe(true);
    // Every instance holds it within a tick.
    await vi.waitFor(() => {
      for (const server of servers) expect(server.services.alerts.list().silences.map((s) => s.reason)).toEqual(["maintenance on web1"]);
    });
    await ingest(b.url, [{ series: "host.cpu.total", labels: { host: "web1" }, value: 99 } as never, { series: "host.cpu.total", labels: { host: "web2" }, value: 99 } as never]);
    await vi.waitFor(() => {
      for (const server of servers) expect(server.services.alerts.metrics().counters.transitions.firing).toBe(2);
    });
    await vi.waitFor(() => {
      for (const server of servers) expect(server.services.alerts.metrics().outbox).toBe(0);
    }, { timeout: 10_000 });
    expect(receiver.received.map((n) => [n.series, n.state])).toEqual([['host.cpu.total{host="web2"}', "firing"]]);
    for (const server of servers) expect(server.services.alerts.list().recent.filter((t) => t.to === "firing").map((t) => t.silenced).sort()).toEqual([false, true]);
    // Ended on another instance: gone everywhere.
    expect(await b.services.alerts.unsilence(made.ok ? made.silence.id : "")).toBe(true);
    await vi.waitFor(() => {
      for (const server of servers) expect(server.services.alerts.list().silences).toEqual([]);
    });
  });
});
