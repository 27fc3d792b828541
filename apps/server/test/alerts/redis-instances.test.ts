import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ALERT_STATE_SERIES, alertStateFromPoint } from "@livedash/events";
import { parseConfig } from "../../src/config";
import { createServer } from "../../src/server";
import type { LivedashServer } from "../../src/server";
import { tempDataDir } from "../helpers/data-dir";
import { startRedis } from "../helpers/redis-server";
import type { TestRedis } from "../helpers/redis-server";
import { ingest } from "../helpers/server";
import { startReceiver, useCleanups, writeRules } from "./helpers";

describe("alerts on three Redis-backed instances", () => {
  let redis: TestRedis;
  const cleanups = useCleanups();
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it("every instance evaluates every transition; exactly one sends each notification", async () => {
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    const data = tempDataDir();
    cleanups.push(data.remove);
    const rulesPath = writeRules(data.dir, `- { name: cpu-high, series: 'host.cpu.*', above: 90, clear: 70, for: 0s, webhook: '${receiver.url}' }\n`);
    const servers: LivedashServer[] = [];
    for (let i = 0; i < 3; i++) {
      const server = await createServer(
        parseConfig({ PORT: "0", LIVEDASH_COLLECTORS: "off", LIVEDASH_LOG: "silent", LIVEDASH_STORAGE: "memory", REDIS_URL: redis.url, LIVEDASH_REDIS_STREAM: "alerts-test", LIVEDASH_ALERT_RULES: rulesPath }),
        // A short lease, so the instances that lost a claim look again (and drop it) within the test.
        { alerts: { tickMs: 60_000, notifier: { retryBaseMs: 20, retryMaxMs: 100, leaseMs: 300 } } },
      );
      cleanups.push(() => server.close());
      servers.push(server);
    }
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
});
