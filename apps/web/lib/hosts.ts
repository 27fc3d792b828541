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

/**
 * The characters of a host name outside printable ASCII, as `U+0435 е at 1` items, or null when there
 * are none. Ingest refuses invisible characters, but not look-alike letters (Cyrillic `е` in `wеb1`,
 * docs/ingest.md): the fleet view marks such names so two rows that read `web1` can be told apart.
 */
export function nonAsciiCharacters(host: string, max = 8): string | null {
  const found: string[] = [];
  let index = 0;
  for (const char of host) {
    const code = char.codePointAt(0)!;
    if ((code < 0x20 || code > 0x7e) && found.length < max) found.push(`U+${code.toString(16).toUpperCase().padStart(4, "0")} ${char} at ${index}`);
    index += char.length;
  }
  return found.length === 0 ? null : found.join(", ");
}
