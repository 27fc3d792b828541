import { describe, expect, it, vi } from "vitest";
import { parseConfig } from "../../src/config";
import { createServer } from "../../src/server";
import type { LivedashServer } from "../../src/server";
import { tempDataDir } from "../helpers/data-dir";
import { ingest } from "../helpers/server";
import { startReceiver, useCleanups, writeRules } from "./helpers";
import type { Receiver } from "./helpers";

const FAST = { retryBaseMs: 20, retryMaxMs: 100 };

describe("alert webhooks", () => {
  const cleanups = useCleanups();

  function rules(dir: string, webhook: string, format = "json") {
    return writeRules(dir, `- { name: cpu-high, series: 'host.cpu.*', above: 90, clear: 70, for: 0s, severity: critical, webhook: '${webhook}', format: ${format} }\n`);
  }

  async function start(env: Record<string, string>): Promise<LivedashServer> {
    const server = await createServer(parseConfig({ PORT: "0", LIVEDASH_COLLECTORS: "off", LIVEDASH_LOG: "silent", ...env }), { alerts: { notifier: FAST, tickMs: 60_000 } });
    cleanups.push(() => server.close());
    return server;
  }

  it("each transition reaches the receiver exactly once across a receiver outage and a server restart", async () => {
    const data = tempDataDir();
    cleanups.push(data.remove);
    // The receiver's port is known, then it goes away: every attempt is refused (ECONNREFUSED).
    const first = await startReceiver();
    const port = Number(new URL(first.url).port);
    await first.close();
    const env = { LIVEDASH_STORAGE: "disk", LIVEDASH_DATA_DIR: data.dir, LIVEDASH_ALERT_RULES: rules(data.dir, first.url) };

    const server = await start(env);
    await ingest(server.url, [{ series: "host.cpu.total", value: 95 }]);
    await vi.waitFor(() => expect(server.services.alerts.metrics().notifier.failedAttempts).toBeGreaterThanOrEqual(2));
    await ingest(server.url, [{ series: "host.cpu.total", value: 40 }]);
    await vi.waitFor(() => expect(server.services.alerts.metrics().counters.transitions.resolved).toBe(1));
    expect(server.services.alerts.metrics().outbox).toBe(2);
    expect(server.services.alerts.metrics().notifier.sent).toBe(0);
    await server.close();

    // Back up, and a new process on the same data directory: what was unsent goes out, once each.
    const receiver: Receiver = await startReceiver(port);
    cleanups.push(() => receiver.close());
    const again = await start(env);
    await vi.waitFor(() => expect(again.services.alerts.metrics().outbox).toBe(0));
    expect(receiver.received.map((n) => [n.rule, n.series, n.previous, n.state, n.value])).toEqual([
      ["cpu-high", "host.cpu.total", "pending", "firing", 95],
      ["cpu-high", "host.cpu.total", "firing", "resolved", 40],
    ]);
    expect(new Set(receiver.received.map((n) => n.id)).size).toBe(2);
    // Built when the transition happened, by the first process.
    expect(receiver.received[0]!.links.alerts).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/alerts$/);
    // The state survived too: the series is resolved, so the same value again is not a new transition.
    await ingest(again.url, [{ series: "host.cpu.total", value: 50 }]);
    await again.close();

    // A third start sends nothing more.
    const third = await start(env);
    await ingest(third.url, [{ series: "host.cpu.total", value: 96 }]);
    await vi.waitFor(() => expect(third.services.alerts.metrics().notifier.sent).toBe(1));
    expect(receiver.received.map((n) => n.state)).toEqual(["firing", "resolved", "firing"]);
  });

  it("a receiver that answers 503 gets the notification once it recovers; slack format is Slack's body", async () => {
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    receiver.down = true;
    const data = tempDataDir();
    cleanups.push(data.remove);
    const server = await start({ LIVEDASH_STORAGE: "memory", LIVEDASH_ALERT_RULES: rules(data.dir, receiver.url, "slack") });
    await ingest(server.url, [{ series: "host.cpu.total", value: 99 }]);
    await vi.waitFor(() => expect(receiver.refused).toBeGreaterThanOrEqual(3));
    receiver.down = false;
    await vi.waitFor(() => expect(receiver.received).toHaveLength(1));
    const body = receiver.received[0] as unknown as { text: string; blocks: unknown[]; livedash: { state: string } };
    expect(body.text).toBe("[FIRING] cpu-high on host.cpu.total: 99 (critical)");
    expect(body.blocks.length).toBeGreaterThan(0);
    expect(body.livedash.state).toBe("firing");
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^livedash_alert_notifications_sent_total 1$/m);
    expect(metrics).toMatch(/^livedash_alert_outbox 0$/m);
  });
});
