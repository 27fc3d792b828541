import type { SeriesUnit } from "@livedash/events";

export interface ChartSpec {
  id: string;
  title: string;
  /** Series names or globs; resolved against the catalog and the live data. */
  patterns: readonly string[];
  /** Overrides the unit the catalog gives the first series. */
  unit?: SeriesUnit;
  /** Legend labels drop this prefix (host.cpu.user -> user). */
  labelPrefix?: string;
}

export interface PanelSpec {
  id: string;
  title: string;
  charts: readonly ChartSpec[];
  /** Series (names or globs) shown as stat tiles with value and sparkline. */
  tiles: readonly string[];
}

/** What the overview shows: host, the server process and Livedash's own traffic. */
export const OVERVIEW_PANELS: readonly PanelSpec[] = [
  {
    id: "cpu",
    title: "Host CPU",
    tiles: ["host.cpu.total", "host.cpu.user", "host.cpu.system", "host.cpu.iowait"],
    charts: [
      { id: "cpu-usage", title: "CPU usage", patterns: ["host.cpu.user", "host.cpu.system", "host.cpu.iowait", "host.cpu.total"], unit: "percent", labelPrefix: "host.cpu." },
      { id: "cpu-cores", title: "Per core", patterns: ["host.cpu.core*.total"], unit: "percent", labelPrefix: "host.cpu." },
    ],
  },
  {
    id: "memory",
    title: "Memory",
    tiles: ["host.mem.used_bytes", "host.mem.available_bytes", "host.mem.total_bytes", "host.mem.swap_used_bytes"],
    charts: [
      { id: "mem", title: "Memory", patterns: ["host.mem.used_bytes", "host.mem.available_bytes", "host.mem.swap_used_bytes"], unit: "bytes", labelPrefix: "host.mem." },
    ],
  },
  {
    id: "load",
    title: "Load average",
    tiles: ["host.load.1m", "host.load.5m", "host.load.15m"],
    charts: [{ id: "load", title: "Load", patterns: ["host.load.1m", "host.load.5m", "host.load.15m"], unit: "none", labelPrefix: "host.load." }],
  },
  {
    id: "network",
    title: "Network",
    tiles: ["host.net.*.rx_bytes_per_s", "host.net.*.tx_bytes_per_s"],
    charts: [{ id: "net", title: "Throughput", patterns: ["host.net.*.rx_bytes_per_s", "host.net.*.tx_bytes_per_s"], unit: "bytes_per_second", labelPrefix: "host.net." }],
  },
  {
    id: "disk",
    title: "Disk",
    tiles: ["host.disk.read_bytes_per_s", "host.disk.write_bytes_per_s"],
    charts: [{ id: "disk", title: "Disk I/O", patterns: ["host.disk.read_bytes_per_s", "host.disk.write_bytes_per_s"], unit: "bytes_per_second", labelPrefix: "host.disk." }],
  },
  {
    id: "process",
    title: "Server process",
    tiles: ["process.cpu_percent", "process.rss_bytes", "process.event_loop_lag_p99_ms", "process.open_fds"],
    charts: [
      { id: "proc-mem", title: "Memory", patterns: ["process.rss_bytes", "process.heap_used_bytes", "process.heap_total_bytes"], unit: "bytes", labelPrefix: "process." },
      { id: "proc-cpu", title: "CPU", patterns: ["process.cpu_percent"], unit: "percent", labelPrefix: "process." },
      { id: "proc-lag", title: "Event loop and GC", patterns: ["process.event_loop_lag_p99_ms", "process.gc_pause_ms"], unit: "ms", labelPrefix: "process." },
    ],
  },
  {
    id: "livedash",
    title: "Livedash traffic",
    tiles: ["livedash.connections.ws", "livedash.connections.sse", "livedash.events_out_per_s", "livedash.bytes_out_per_s"],
    charts: [
      { id: "ld-conns", title: "Connections", patterns: ["livedash.connections.*", "livedash.subscriptions"], unit: "count", labelPrefix: "livedash." },
      { id: "ld-rate", title: "Events and points", patterns: ["livedash.events_out_per_s", "livedash.points_in_per_s"], unit: "per_second", labelPrefix: "livedash." },
      { id: "ld-bytes", title: "Bytes out", patterns: ["livedash.bytes_out_per_s"], unit: "bytes_per_second", labelPrefix: "livedash." },
    ],
  },
];

/** The overview's subscription: everything the panels can show. */
export const OVERVIEW_PATTERNS: readonly string[] = ["host.*", "process.*", "livedash.*"];

/** Tiles per glob, so a host with 20 interfaces does not bury the panel. */
export const MAX_TILES_PER_PATTERN = 4;
