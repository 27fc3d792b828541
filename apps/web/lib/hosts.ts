import { seriesKey } from "@livedash/events";
import type { HostSummary } from "@livedash/events";

/** What the fleet view subscribes to for its sparklines: every host's whole-machine CPU, memory and load. */
export const FLEET_PATTERNS: readonly string[] = ['host.cpu.total{cpu=""}', "host.mem.used_percent", "host.load.1m"];

/** The columns with a sparkline: the series name each reads (per host), its unit and heading. */
export const FLEET_COLUMNS = [
  { name: "host.cpu.total", unit: "percent", title: "CPU" },
  { name: "host.mem.used_percent", unit: "percent", title: "Memory" },
  { name: "host.load.1m", unit: "none", title: "Load 1m" },
] as const;

/** The series key of one column for one host (`host.cpu.total{host="web1"}`), as the store holds it. */
export function fleetKey(name: string, host: string): string {
  return seriesKey(name, { host });
}

/** The overview of one host: the overview page with its host picker set. */
export function overviewHref(host: string): string {
  return `/?host=${encodeURIComponent(host)}`;
}

/** "4 s ago", "3 min ago", "2 h ago", "5 d ago"; "just now" under a second (or a clock a little ahead). */
export function formatAgo(ms: number): string {
  if (!Number.isFinite(ms)) return "never";
  if (ms < 1000) return "just now";
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.floor(h / 24)} d ago`;
}

/** Counts for the heading. */
export function fleetCounts(hosts: readonly HostSummary[]): { up: number; down: number } {
  let up = 0;
  for (const host of hosts) if (host.state === "up") up++;
  return { up, down: hosts.length - up };
}
