import { loadavg } from "node:os";
import type { Collector, CollectorEnv, Reading } from "./collector";

const WINDOWS = ["1m", "5m", "15m"] as const;

/**
 * host.load.*: node:os reads the same numbers as /proc/loadavg (sysinfo(2)) and is simpler. On
 * platforms without load averages it returns zeros, which would be made-up values: skip those.
 */
export function createHostLoadCollector(env: CollectorEnv): Collector {
  env.declare(
    WINDOWS.map((w) => ({
      series: `host.load.${w}`,
      unit: "none",
      kind: "gauge",
      description: `Load average over ${w.replace("m", " minute")}${w === "1m" ? "" : "s"} (runnable + uninterruptible tasks)`,
    })),
  );
  return {
    name: "host-load",
    sample(out: Reading[]) {
      if (process.platform === "win32") return;
      const loads = loadavg();
      WINDOWS.forEach((w, i) => out.push({ series: `host.load.${w}`, value: loads[i] ?? 0 }));
    },
  };
}
