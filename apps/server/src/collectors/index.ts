import type { Point, SeriesMeta } from "@livedash/events";
import { z } from "zod";
import type { Collector, CollectorEnv, Reading } from "./collector";
import { createHostCpuCollector } from "./host-cpu";
import { createHostDiskCollector } from "./host-disk";
import { createHostLoadCollector } from "./host-load";
import { createHostMemoryCollector } from "./host-memory";
import { createHostNetCollector } from "./host-net";
import { createProcessCollector } from "./process";
import { createSelfCollector } from "./self";
import { startTickClock } from "./tick-clock";
import type { CollectorContext, Collectors } from "./types";
import { createLogger } from "../logger";
import type { Logger } from "../logger";

export type { CollectorContext, Collectors, TrafficStats } from "./types";

export interface CollectorOptions {
  /**
   * Root of procfs; tests point it at fixtures.
   * @default "/proc"
   */
  procRoot?: string;
  /**
   * Root of sysfs (used to tell whole disks from partitions).
   * @default "/sys"
   */
  sysRoot?: string;
  /**
   * Sampling resolution of the event-loop delay histogram.
   * @default 10
   */
  eventLoopResolutionMs?: number;
  /**
   * Called when a collector fails (a bug, or traffic() throwing); the tick goes on without it.
   * @default logs the first failure of each collector as a warning on `log`, so a persistent
   *   fault does not print once per second
   */
  onError?: (error: unknown, collector: string) => void;
  /** Where the default onError reports. @default a logger at info level on stdout */
  log?: Logger;
}

const IntervalSchema = z
  .number()
  .int("intervalMs must be an integer")
  .min(10, "intervalMs must be at least 10")
  .max(3_600_000, "intervalMs must be at most 3600000");

function defaultOnError(log: Logger): (error: unknown, collector: string) => void {
  const logged = new Set<string>();
  return (error, collector) => {
    if (logged.has(collector)) return;
    logged.add(collector);
    log.warn({ err: error, collector }, "collector failed; its series are skipped (further failures not logged)");
  };
}

/**
 * Starts every built-in collector. Every ctx.intervalMs, all collectors sample concurrently and
 * their readings go out as ONE ctx.publish call (one event per tick), all stamped with the tick's
 * slot on the interval grid (tick-clock.ts). Metadata of every series known at start goes out in one ctx.describe call before the first
 * tick; series that appear later (a new interface) are described before the tick that first
 * carries them. Nothing escapes the timer: a failing collector is reported and skipped.
 */
export function startCollectors(ctx: CollectorContext, options: CollectorOptions = {}): Collectors {
  const intervalMs = IntervalSchema.parse(ctx.intervalMs);
  const now = ctx.now ?? Date.now;
  const onError = options.onError ?? defaultOnError(options.log ?? createLogger());
  const described = new Set<string>();
  let pendingMeta: SeriesMeta[] = [];

  const env: CollectorEnv = {
    procRoot: options.procRoot ?? "/proc",
    sysRoot: options.sysRoot ?? "/sys",
    declare(meta) {
      for (const m of meta) {
        if (described.has(m.series)) continue;
        described.add(m.series);
        pendingMeta.push(m);
      }
    },
  };
  const flushMeta = (): void => {
    if (pendingMeta.length === 0) return;
    const meta = pendingMeta;
    pendingMeta = [];
    ctx.describe(meta);
  };

  const factories: Array<[string, () => Collector]> = [
    ["host-cpu", () => createHostCpuCollector(env)],
    ["host-memory", () => createHostMemoryCollector(env)],
    ["host-load", () => createHostLoadCollector(env)],
    ["host-net", () => createHostNetCollector(env)],
    ["host-disk", () => createHostDiskCollector(env)],
    ["process", () => createProcessCollector(env, { eventLoopResolutionMs: options.eventLoopResolutionMs })],
    ["self", () => createSelfCollector(env, ctx.traffic)],
  ];
  const collectors: Collector[] = [];
  for (const [name, create] of factories) {
    try {
      collectors.push(create());
    } catch (error) {
      onError(error, name);
    }
  }
  try {
    flushMeta();
  } catch (error) {
    onError(error, "describe");
  }

  let stopped = false;
  let running = false;
  const tick = async (ts: number): Promise<void> => {
    // A slow tick (a stalled /proc read) makes the next one skip rather than pile up; rates use the
    // real elapsed time, so a skipped tick only widens the next window.
    if (running || stopped) return;
    running = true;
    try {
      const outs = collectors.map((): Reading[] => []);
      const results = await Promise.allSettled(
        // async wrapper: a synchronous throw inside sample() becomes a rejection like any other.
        collectors.map(async (collector, i) => collector.sample(outs[i] as Reading[])),
      );
      results.forEach((result, i) => {
        if (result.status === "rejected") onError(result.reason, (collectors[i] as Collector).name);
      });
      if (stopped) return;
      const points: Point[] = [];
      for (const out of outs) {
        for (const r of out) if (Number.isFinite(r.value)) points.push({ series: r.series, ts, value: r.value });
      }
      flushMeta();
      if (points.length > 0) ctx.publish(points);
    } catch (error) {
      onError(error, "publish");
    } finally {
      running = false;
    }
  };
  // Points are stamped with the tick's slot on the interval grid, not Date.now() (tick-clock.ts).
  const clock = startTickClock(intervalMs, now, (ts) => void tick(ts));

  return {
    stop() {
      if (stopped) return;
      stopped = true;
      clock.stop();
      for (const collector of collectors) collector.stop?.();
    },
  };
}
