import { freemem, totalmem } from "node:os";
import type { SeriesMeta } from "@livedash/events";
import type { Collector, CollectorEnv, Reading } from "./collector";
import { readText, readTextSync } from "./proc-files";

/** Fields of /proc/meminfo in bytes (the file says kB, which the kernel means as KiB). */
export function parseMeminfo(text: string): Map<string, number> {
  const fields = new Map<string, number>();
  for (const line of text.split("\n")) {
    const match = /^([A-Za-z0-9_()]+):\s+(\d+)(?:\s+kB)?\s*$/.exec(line);
    if (match === null) continue;
    const value = Number(match[2]);
    fields.set(match[1] as string, line.trimEnd().endsWith("kB") ? value * 1024 : value);
  }
  return fields;
}

export interface MemoryFigures {
  readonly totalBytes: number;
  readonly availableBytes: number;
  /** total - available: memory that cannot be reclaimed without swapping. */
  readonly usedBytes: number;
  /** null when the kernel reports no swap fields. */
  readonly swapUsedBytes: number | null;
}

/**
 * Derives the published figures. MemAvailable (Linux 3.14+) is the kernel's own estimate; older
 * kernels lack it, where free + buffers + page cache is the usual approximation.
 */
export function memoryFigures(fields: ReadonlyMap<string, number>): MemoryFigures | null {
  const total = fields.get("MemTotal");
  if (total === undefined) return null;
  const available =
    fields.get("MemAvailable") ??
    (fields.get("MemFree") ?? 0) + (fields.get("Buffers") ?? 0) + (fields.get("Cached") ?? 0);
  const swapTotal = fields.get("SwapTotal");
  const swapFree = fields.get("SwapFree");
  return {
    totalBytes: total,
    availableBytes: available,
    usedBytes: Math.max(0, total - available),
    swapUsedBytes: swapTotal === undefined || swapFree === undefined ? null : Math.max(0, swapTotal - swapFree),
  };
}

function readFigures(text: string | null): MemoryFigures | null {
  if (text !== null) return memoryFigures(parseMeminfo(text));
  // Without /proc (non-Linux, locked-down container) node:os still knows total and free memory.
  const total = totalmem();
  const available = freemem();
  return { totalBytes: total, availableBytes: available, usedBytes: Math.max(0, total - available), swapUsedBytes: null };
}

/** host.mem.*: levels from /proc/meminfo, no deltas. */
export function createHostMemoryCollector(env: CollectorEnv): Collector {
  const path = `${env.procRoot}/meminfo`;
  const first = readFigures(readTextSync(path));
  const meta: SeriesMeta[] = [
    { series: "host.mem.used_bytes", unit: "bytes", kind: "gauge", description: "Memory in use (total - available)" },
    {
      series: "host.mem.used_percent",
      unit: "percent",
      kind: "gauge",
      description: "Memory in use as a share of total",
      // On the share, not the bytes: meta is per name, and hosts differ in RAM.
      thresholds: { warn: 80, crit: 95 },
    },
    { series: "host.mem.available_bytes", unit: "bytes", kind: "gauge", description: "Memory available for new work without swapping" },
    { series: "host.mem.total_bytes", unit: "bytes", kind: "gauge", description: "Physical memory" },
  ];
  if (first !== null && first.swapUsedBytes !== null) {
    meta.push({ series: "host.mem.swap_used_bytes", unit: "bytes", kind: "gauge", description: "Swap in use" });
  }
  env.declare(meta);

  return {
    name: "host-memory",
    async sample(out: Reading[]) {
      const figures = readFigures(await readText(path));
      if (figures === null) return;
      out.push(
        { series: "host.mem.used_bytes", value: figures.usedBytes },
        { series: "host.mem.used_percent", value: figures.totalBytes > 0 ? (figures.usedBytes * 100) / figures.totalBytes : Number.NaN },
        { series: "host.mem.available_bytes", value: figures.availableBytes },
        { series: "host.mem.total_bytes", value: figures.totalBytes },
      );
      if (figures.swapUsedBytes !== null) out.push({ series: "host.mem.swap_used_bytes", value: figures.swapUsedBytes });
    },
  };
}
