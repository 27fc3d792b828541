import type { Labels, SeriesMeta } from "@livedash/events";
import type { Collector, CollectorEnv, Reading } from "./collector";
import { declareOnce } from "./collector";
import { readText, readTextSync } from "./proc-files";

/** Cumulative jiffies of one `cpu` line of /proc/stat (guest time is already inside user/nice). */
export interface CpuTimes {
  readonly user: number;
  readonly nice: number;
  readonly system: number;
  readonly idle: number;
  readonly iowait: number;
  readonly irq: number;
  readonly softirq: number;
  readonly steal: number;
}

export interface ProcStat {
  /** The aggregate `cpu` line, null when absent. */
  readonly total: CpuTimes | null;
  /** `cpu<N>` lines by N; offline cores have no line. */
  readonly cores: ReadonlyMap<number, CpuTimes>;
}

export interface CpuPercents {
  readonly user: number;
  readonly system: number;
  readonly iowait: number;
  readonly idle: number;
  /** Busy share: everything but idle and iowait (includes steal). */
  readonly total: number;
}

const CPU_LINE = /^cpu(\d*)\s+(.*)$/;

/** Parses the cpu lines of /proc/stat (see proc(5)); lines with fewer than 4 numbers are ignored. */
export function parseProcStat(text: string): ProcStat {
  let total: CpuTimes | null = null;
  const cores = new Map<number, CpuTimes>();
  for (const line of text.split("\n")) {
    const match = CPU_LINE.exec(line);
    if (match === null) continue;
    const f = (match[2] ?? "").trim().split(/\s+/).map(Number);
    if (f.length < 4 || f.some((n) => !Number.isFinite(n))) continue;
    // Fields after the 4th appeared in later kernels (iowait 2.5.41, irq/softirq 2.6.0, steal 2.6.11).
    const times: CpuTimes = {
      user: f[0] ?? 0,
      nice: f[1] ?? 0,
      system: f[2] ?? 0,
      idle: f[3] ?? 0,
      iowait: f[4] ?? 0,
      irq: f[5] ?? 0,
      softirq: f[6] ?? 0,
      steal: f[7] ?? 0,
    };
    if (match[1] === "") total = times;
    else cores.set(Number(match[1]), times);
  }
  return { total, cores };
}

/** Shares of the time between two samples, or null when no tick passed or a counter went back. */
export function cpuPercents(prev: CpuTimes, cur: CpuTimes): CpuPercents | null {
  const d = {
    user: cur.user - prev.user,
    nice: cur.nice - prev.nice,
    system: cur.system - prev.system,
    idle: cur.idle - prev.idle,
    iowait: cur.iowait - prev.iowait,
    irq: cur.irq - prev.irq,
    softirq: cur.softirq - prev.softirq,
    steal: cur.steal - prev.steal,
  };
  const values = Object.values(d);
  if (values.some((v) => v < 0)) return null;
  const sum = values.reduce((a, b) => a + b, 0);
  if (sum <= 0) return null;
  const pct = (v: number): number => Math.min(100, Math.max(0, (v * 100) / sum));
  return {
    user: pct(d.user + d.nice),
    system: pct(d.system + d.irq + d.softirq),
    iowait: pct(d.iowait),
    idle: pct(d.idle),
    total: pct(sum - d.idle - d.iowait),
  };
}

const PARTS = ["user", "system", "iowait", "idle", "total"] as const;

const DESCRIPTIONS: Record<(typeof PARTS)[number], string> = {
  user: "CPU time in user mode (incl. nice)",
  system: "CPU time in kernel mode (incl. irq/softirq)",
  iowait: "CPU idle while waiting for I/O",
  idle: "CPU idle",
  total: "CPU busy (100 - idle - iowait)",
};

/** One name per part, for every core and for the whole host: `cpu="N"` is one core, no `cpu` label all of them. */
const META: SeriesMeta[] = PARTS.map((part) => ({
  series: `host.cpu.${part}`,
  unit: "percent",
  kind: "gauge",
  description: `${DESCRIPTIONS[part]}; label cpu: one core, none: all cores`,
  ...(part === "total" ? { thresholds: { warn: 80, crit: 95 } } : {}),
}));

function push(out: Reading[], p: CpuPercents, labels?: Labels): void {
  for (const part of PARTS) out.push({ series: `host.cpu.${part}`, ...(labels ? { labels } : {}), value: p[part] });
}

/**
 * host.cpu.{user,system,iowait,idle,total}: percent of the real time since the previous sample, for
 * all cores (no cpu label, as Telegraf's cpu-total and Netdata's system.cpu) and per core (`cpu="0"`,
 * as node_exporter's node_cpu_seconds_total).
 */
export function createHostCpuCollector(env: CollectorEnv): Collector {
  const path = `${env.procRoot}/stat`;
  /** Label sets per core number, built once: cores rarely change. */
  const coreLabels = new Map<number, Labels>();
  const labelsOf = (core: number): Labels => {
    let labels = coreLabels.get(core);
    if (labels === undefined) {
      labels = { cpu: String(core) };
      coreLabels.set(core, labels);
    }
    return labels;
  };
  let prev: ProcStat | null = null;
  const declare = declareOnce(env, META);

  const first = readTextSync(path);
  if (first !== null) {
    prev = parseProcStat(first);
    declare();
  }

  return {
    name: "host-cpu",
    async sample(out) {
      const text = await readText(path);
      if (text === null) return;
      const cur = parseProcStat(text);
      declare();
      // Percentages are ratios of jiffy deltas over the same window, so no elapsed time is needed.
      if (prev !== null) {
        if (prev.total !== null && cur.total !== null) {
          const p = cpuPercents(prev.total, cur.total);
          if (p !== null) push(out, p);
        }
        for (const [core, times] of cur.cores) {
          const before = prev.cores.get(core);
          const p = before === undefined ? null : cpuPercents(before, times);
          if (p !== null) push(out, p, labelsOf(core));
        }
      }
      prev = cur;
    },
  };
}
