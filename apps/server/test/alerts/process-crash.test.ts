import { describe, expect, it, vi } from "vitest";
import { tempDataDir } from "../helpers/data-dir";
import { mainUrl, startMain } from "../helpers/main-process";
import type { MainProcess } from "../helpers/main-process";
import { ingest } from "../helpers/server";
import { startReceiver, useCleanups, writeRules } from "./helpers";

/** A counter from the process's /metrics. */
async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.slice(name.length + 1));
}

describe("alert notifications across a crash (the real server process)", () => {
  const cleanups = useCleanups();

  function start(env: Record<string, string>): MainProcess {
    const proc = startMain(env);
    cleanups.push(() => {
      proc.child.kill("SIGKILL");
      return proc.exited;
    });
    return proc;
  }

  it("kill -9 while the receiver is down loses no notification; the next start sends it once", async () => {
    const data = tempDataDir();
    cleanups.push(data.remove);
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    receiver.down = true;
    const env = {
      PORT: "0",
      LIVEDASH_STORAGE: "disk",
      LIVEDASH_DATA_DIR: data.dir,
      LIVEDASH_ALERT_RULES: writeRules(data.dir, `- { name: cpu-high, series: host.cpu.total, above: 90, for: 0s, webhook: '${receiver.url}' }\n`),
    };
    const first = start(env);
    const url = await mainUrl(first);
    expect((await ingest(url, [{ series: "host.cpu.total", value: 99 }])).status).toBe(200);
    await vi.waitFor(() => expect(receiver.refused).toBeGreaterThanOrEqual(1), { timeout: 10_000 });
    expect(await metric(url, "livedash_alert_outbox")).toBe(1);
    first.child.kill("SIGKILL");
    await first.exited;

    receiver.down = false;
    const second = start(env);
    const url2 = await mainUrl(second);
    await vi.waitFor(() => expect(receiver.received).toHaveLength(1), { timeout: 10_000 });
    await vi.waitFor(async () => expect(await metric(url2, "livedash_alert_outbox")).toBe(0));
    expect(receiver.received[0]).toMatchObject({ rule: "cpu-high", series: "host.cpu.total", state: "firing", value: 99 });
    // Its state survived too: the alert is still firing after the crash, so no second pending/firing.
    const alerts = (await (await fetch(`${url2}/api/alerts`)).json()) as { rules: { instances: { state: string }[] }[]; recent: unknown[] };
    expect(alerts.rules[0]!.instances.map((i) => i.state)).toEqual(["firing"]);
    expect(alerts.recent).toHaveLength(2);
  });

  it("a rules file with an error refuses the start with exit code 2, naming the rule and field", async () => {
    const data = tempDataDir();
    cleanups.push(data.remove);
    const proc = start({ PORT: "0", LIVEDASH_ALERT_RULES: writeRules(data.dir, `- { name: disk-low, series: disk.free, below: 10, clear: 5 }\n`) });
    expect(await proc.exited).toBe(2);
    expect(proc.output()).toMatch(/livedash: invalid configuration: LIVEDASH_ALERT_RULES .*rules\[0\] "disk-low": clear: clear \(5\) must not be below/);
  });
});
