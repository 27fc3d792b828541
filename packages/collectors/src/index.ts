import { hostname as osHostname } from "node:os";
import type { Labels, Point, SeriesMeta } from "@livedash/events";
import { hostValueProblem, seriesKey } from "@livedash/events";
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
import type { CollectorContext, CollectorLog, Collectors } from "./types";

export type { CollectorContext, CollectorLog, Collectors, TrafficStats } from "./types";

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
  /**
   * Where the default onError reports (the server hands its pino logger, the agent its own).
   * @default one line on stderr per first failure
   */
  log?: CollectorLog;
  /**
   * The `host` label every collector series carries (`host.cpu.total{host="web1"}`), as agents label
   * theirs, so this server's own host sits beside the others in one selector.
   * @default os.hostname(), or "localhost" when the system has none
   */
  hostname?: string;
}

const IntervalSchema = z
  .number()
  .int("intervalMs must be an integer")
  .min(10, "intervalMs must be at least 10")
  .max(3_600_000, "intervalMs must be at most 3600000");

const HostnameSchema = z
  .string()
  .min(1, "hostname must not be empty")
  .superRefine((value, ctx) => {
    const problem = hostValueProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: `hostname: ${problem}` });
  });

/** Without a logger: one plain line on stderr, the way a CLI reports. */
const stderrLog: CollectorLog = {
  warn({ err, collector }, message) {
    process.stderr.write(`${collector}: ${message}: ${err instanceof Error ? err.message : String(err)}\n`);
  },
};

function defaultOnError(log: CollectorLog): (error: unknown, collector: string) => void {
  const logged = new Set<string>();
  return (error, collector) => {
    if (logged.has(collector)) return;
    logged.add(collector);
    log.warn({ err: error, collector }, "collector failed; its series are skipped (further failures not logged)");
  };
}

/**
 * Series keys of readings with the host label added, built once per name and label set: collectors
 * reuse their label objects (one per core, interface, disk), so a tick costs map lookups, not sorts.
 */
function createKeyCache(host: string): { keyOf(reading: Reading): string } {
  const hostOnly: Labels = { host };
  const unlabelled = new Map<string, string>();
  const labelled = new WeakMap<Labels, Map<string, string>>();
  return {
    keyOf({ series, labels }) {
      let byName = unlabelled;
      if (labels !== undefined) {
        let forLabels = labelled.get(labels);
        if (forLabels === undefined) {
          forLabels = new Map<string, string>();
          labelled.set(labels, forLabels);
        }
        byName = forLabels;
      }
      let key = byName.get(series);
      if (key === undefined) {
        // The collector's own host label, if it ever set one, loses: every series here is this host's.
        key = seriesKey(series, labels === undefined ? hostOnly : { ...labels, host });
        byName.set(series, key);
      }
      return key;
    },
  };
}

/**
 * Starts every built-in collector. Every ctx.intervalMs, all collectors sample concurrently and
 * their readings go out as ONE ctx.publish call (one event per tick), all stamped with the tick's
 * slot on the interval grid (tick-clock.ts), every key with the `host` label. Metadata (per series
 * name) of every series known at start goes out in one ctx.describe call before the first tick; names
 * that appear later (a disk file that was missing at start) are described before the tick that first
 * carries them. Nothing escapes the timer: a failing collector is reported and skipped.
 */
/** The `host` label the collectors stamp: the given name, else the machine's (the fleet view needs it too). */
export function collectorHostname(given?: string): string {
  return given ?? (osHostname() || "localhost");
}

export function startCollectors(ctx: CollectorContext, options: CollectorOptions = {}): Collectors {
  const intervalMs = IntervalSchema.parse(ctx.intervalMs);
  const keys = createKeyCache(HostnameSchema.parse(collectorHostname(options.hostname)));
  const now = ctx.now ?? Date.now;
  const onError = options.onError ?? defaultOnError(options.log ?? stderrLog);
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
  ];
  // Only a Livedash server has traffic of its own; an agent starts without it.
  const traffic = ctx.traffic;
  if (traffic !== undefined) factories.push(["self", () => createSelfCollector(env, traffic)]);
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
        for (const r of out) if (Number.isFinite(r.value)) points.push({ series: keys.keyOf(r), ts, value: r.value });
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
