import type { SeriesUnit } from "@livedash/events";

export interface ChartSpec {
  id: string;
  title: string;
  /**
   * Series selectors (`host.cpu.total{cpu!=""}`), resolved against the catalog and the live data;
   * the overview adds the picked host to each. One line per matching key.
   */
  selectors: readonly string[];
  /** Overrides the unit the catalog gives the first series. */
  unit?: SeriesUnit;
}

export interface PanelSpec {
  id: string;
  title: string;
  charts: readonly ChartSpec[];
  /** Selectors shown as stat tiles with value and sparkline (a few keys per selector). */
  tiles: readonly string[];
}

/**
 * What the overview shows of one host: the host, the server process and Livedash's own traffic.
 * Selectors follow docs/collectors.md: a whole (all cores, all disks) has no label for its parts.
 */
export const OVERVIEW_PANELS: readonly PanelSpec[] = [
  {
    id: "cpu",
    title: "Host CPU",
    tiles: ['host.cpu.total{cpu=""}', 'host.cpu.user{cpu=""}', 'host.cpu.system{cpu=""}', 'host.cpu.iowait{cpu=""}'],
    charts: [
      { id: "cpu-usage", title: "CPU usage", selectors: ['host.cpu.user{cpu=""}', 'host.cpu.system{cpu=""}', 'host.cpu.iowait{cpu=""}', 'host.cpu.total{cpu=""}'], unit: "percent" },
      { id: "cpu-cores", title: "Per core", selectors: ['host.cpu.total{cpu!=""}'], unit: "percent" },
    ],
  },
  {
    id: "memory",
    title: "Memory",
    tiles: ["host.mem.used_percent", "host.mem.used_bytes", "host.mem.available_bytes", "host.mem.swap_used_bytes"],
    charts: [{ id: "mem", title: "Memory", selectors: ["host.mem.used_bytes", "host.mem.available_bytes", "host.mem.swap_used_bytes"], unit: "bytes" }],
  },
  {
    id: "load",
    title: "Load average",
    tiles: ["host.load.1m", "host.load.5m", "host.load.15m"],
    charts: [{ id: "load", title: "Load", selectors: ["host.load.1m", "host.load.5m", "host.load.15m"], unit: "none" }],
  },
  {
    id: "network",
    title: "Network",
    tiles: ["host.net.rx_bytes_per_s", "host.net.tx_bytes_per_s"],
    charts: [{ id: "net", title: "Throughput", selectors: ["host.net.rx_bytes_per_s", "host.net.tx_bytes_per_s"], unit: "bytes_per_second" }],
  },
  {
    id: "disk",
    title: "Disk",
    tiles: ['host.disk.read_bytes_per_s{device=""}', 'host.disk.write_bytes_per_s{device=""}'],
    charts: [
      { id: "disk", title: "Disk I/O", selectors: ['host.disk.read_bytes_per_s{device=""}', 'host.disk.write_bytes_per_s{device=""}'], unit: "bytes_per_second" },
      { id: "disk-devices", title: "Per disk", selectors: ['host.disk.*{device!=""}'], unit: "bytes_per_second" },
    ],
  },
  {
    id: "process",
    title: "Server process",
    tiles: ["process.cpu_percent", "process.rss_bytes", "process.event_loop_lag_p99_ms", "process.open_fds"],
    charts: [
      { id: "proc-mem", title: "Memory", selectors: ["process.rss_bytes", "process.heap_used_bytes", "process.heap_total_bytes"], unit: "bytes" },
      { id: "proc-cpu", title: "CPU", selectors: ["process.cpu_percent"], unit: "percent" },
      { id: "proc-lag", title: "Event loop and GC", selectors: ["process.event_loop_lag_p99_ms", "process.gc_pause_ms"], unit: "ms" },
    ],
  },
  {
    id: "livedash",
    title: "Livedash traffic",
    tiles: ["livedash.connections", "livedash.events_out_per_s", "livedash.bytes_out_per_s"],
    charts: [
      { id: "ld-conns", title: "Connections", selectors: ["livedash.connections", "livedash.subscriptions"], unit: "count" },
      { id: "ld-rate", title: "Events and points", selectors: ["livedash.events_out_per_s", "livedash.points_in_per_s"], unit: "per_second" },
      { id: "ld-bytes", title: "Bytes out", selectors: ["livedash.bytes_out_per_s"], unit: "bytes_per_second" },
    ],
  },
];

/** The overview's subscription before it is scoped to a host: everything the panels can show. */
export const OVERVIEW_PATTERNS: readonly string[] = ["host.*", "process.*", "livedash.*"];

/** Tiles per selector, so a host with 20 interfaces does not bury the panel. */
export const MAX_TILES_PER_PATTERN = 4;

/** The series the server's own collectors always publish: its `host` label is the overview's default host. */
export const SELF_SERIES = "livedash.subscriptions";
