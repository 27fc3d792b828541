import { readFileSync } from "node:fs";

/** Clock ticks per second for /proc/<pid>/stat; 100 on every Linux/x86 build we target. */
const CLOCK_TICKS_PER_S = 100;

/** User+system CPU time of a process in ms, from /proc/<pid>/stat (fields 14 and 15). */
export function readCpuMs(/** @type {number} */ pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may contain spaces, so split after its closing paren.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / CLOCK_TICKS_PER_S;
}

/** Resident set size in bytes, from VmRSS in /proc/<pid>/status. */
export function readRssBytes(/** @type {number} */ pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/**
 * Busy CPU time of the whole machine in ms (user+nice+system+irq+softirq+steal of the `cpu` line of
 * /proc/stat). Minus our own processes, it shows how much else ran during a step: other work on a
 * shared box skews every figure, so the report prints it beside them.
 */
export function readMachineBusyMs() {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
  const busyTicks = [0, 1, 2, 5, 6, 7].reduce((sum, i) => sum + (fields[i] ?? 0), 0);
  return (busyTicks * 1000) / CLOCK_TICKS_PER_S;
}

/** Soft limit on open files of this process (children inherit it). */
export function readOpenFilesLimit() {
  const limits = readFileSync("/proc/self/limits", "utf8");
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
  if (!match) return null;
  return match[1] === "unlimited" ? Infinity : Number(match[1]);
}

/** nproc, CPU model, memory, node version: the "machine" line of every report. */
export function describeMachine() {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? "unknown";
  const cpus = (cpuinfo.match(/^processor\s*:/gm) ?? []).length;
  const memKb = Number(/^MemTotal:\s+(\d+)/m.exec(readFileSync("/proc/meminfo", "utf8"))?.[1] ?? 0);
  return { cpus, cpuModel: model, memTotalMb: Math.round(memKb / 1024), node: process.version, openFilesLimit: readOpenFilesLimit() };
}
