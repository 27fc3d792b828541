import { readdir } from "node:fs/promises";
import { monitorEventLoopDelay, performance, PerformanceObserver } from "node:perf_hooks";
import type { SeriesMeta } from "@livedash/events";
import type { Collector, CollectorEnv, Reading } from "./collector";

export interface ProcessCollectorOptions {
  /**
   * Sampling resolution of the event-loop delay histogram.
   * @default 10
   */
  eventLoopResolutionMs?: number;
}

const META: SeriesMeta[] = [
  { series: "process.rss_bytes", unit: "bytes", kind: "gauge", description: "Resident set size of this process (the server, or the agent)" },
  { series: "process.heap_used_bytes", unit: "bytes", kind: "gauge", description: "V8 heap in use" },
  { series: "process.heap_total_bytes", unit: "bytes", kind: "gauge", description: "V8 heap reserved" },
  {
    series: "process.cpu_percent",
    unit: "percent",
    kind: "gauge",
    // Counts every thread (GC, libuv pool), so it can pass 100 on a multi-core host.
    description: "CPU time of this process (the server, or the agent; user + system) as a percent of one core",
  },
  {
    series: "process.event_loop_lag_p99_ms",
    unit: "ms",
    kind: "gauge",
    description: "99th percentile event-loop delay during the last tick",
    thresholds: { warn: 50, crit: 200 },
  },
  { series: "process.gc_pause_ms", unit: "ms", kind: "gauge", description: "Total GC pause during the last tick" },
  { series: "process.open_fds", unit: "count", kind: "gauge", description: "Open file descriptors (sockets included)" },
];

/**
 * process.*: memory, CPU (from process.cpuUsage deltas over real elapsed time), event-loop lag
 * (histogram reset every tick, so each value covers one tick), GC pauses and open descriptors.
 */
export function createProcessCollector(env: CollectorEnv, options: ProcessCollectorOptions = {}): Collector {
  env.declare(META);
  const resolutionMs = options.eventLoopResolutionMs ?? 10;
  const loopDelay = monitorEventLoopDelay({ resolution: resolutionMs });
  loopDelay.enable();
  let gcPauseMs = 0;
  // Entries arrive batched after the GC, so a pause near a tick boundary is counted in the next tick;
  // none is lost or counted twice.
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcPauseMs += entry.duration;
  });
  gcObserver.observe({ entryTypes: ["gc"] });

  let prevCpu = process.cpuUsage();
  let prevAtMs = performance.now();
  const fdDir = `${env.procRoot}/self/fd`;

  return {
    name: "process",
    async sample(out: Reading[]) {
      const mem = process.memoryUsage();
      out.push(
        { series: "process.rss_bytes", value: mem.rss },
        { series: "process.heap_used_bytes", value: mem.heapUsed },
        { series: "process.heap_total_bytes", value: mem.heapTotal },
      );

      const nowMs = performance.now();
      const cpu = process.cpuUsage();
      const elapsedMs = nowMs - prevAtMs;
      if (elapsedMs > 0) {
        const usedMicros = cpu.user - prevCpu.user + (cpu.system - prevCpu.system);
        out.push({ series: "process.cpu_percent", value: Math.max(0, (usedMicros / 1000 / elapsedMs) * 100) });
      }
      prevCpu = cpu;
      prevAtMs = nowMs;

      // The histogram records the time between its own timer callbacks, so an idle loop reads
      // `resolutionMs` (nodejs/node#25378): the lag is what exceeds it. An empty histogram (no
      // callback yet in this tick) reports garbage percentiles: skip.
      if (loopDelay.count > 0) {
        const lagMs = Math.max(0, loopDelay.percentile(99) / 1e6 - resolutionMs);
        out.push({ series: "process.event_loop_lag_p99_ms", value: lagMs });
      }
      loopDelay.reset();

      out.push({ series: "process.gc_pause_ms", value: gcPauseMs });
      gcPauseMs = 0;

      try {
        // readdir opens the directory itself, so its own descriptor is in the listing: minus one.
        const fds = await readdir(fdDir);
        out.push({ series: "process.open_fds", value: Math.max(0, fds.length - 1) });
      } catch {
        // No /proc/self/fd (non-Linux, restricted procfs): skip the series, as for any absent source.
      }
    },
    stop() {
      loopDelay.disable();
      gcObserver.disconnect();
    },
  };
}
