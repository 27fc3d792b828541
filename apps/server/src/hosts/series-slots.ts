import { AGENT_INTERVAL_SERIES, parseSeriesKey } from "@livedash/events";

/** What a series key says about its host: which host, and which of the fleet view's values it carries. */
export const HostMetric = {
  None: 0,
  /** `host.cpu.total` without a `cpu` label: all cores. */
  Cpu: 1,
  /** `host.mem.used_percent`. */
  Mem: 2,
  /** `host.load.1m`. */
  Load: 3,
  /** The agent's declared interval (AGENT_INTERVAL_SERIES). */
  Interval: 4,
} as const;
export type HostMetric = (typeof HostMetric)[keyof typeof HostMetric];

/** One series key, resolved once: its host and metric, and the host's entry once it has one. */
export interface SeriesSlot<Entry> {
  readonly host: string;
  readonly metric: HostMetric;
  /** The registry's entry for `host`; null when the registry was full or the host was forgotten. */
  entry: Entry | null;
  /** The registry's room version when it last refused this host (-1: never): see host-registry.ts. */
  refusedAt: number;
}

/** Classifies a series by name and labels: once per key, never per point. */
export function resolveSlot<Entry>(key: string): SeriesSlot<Entry> | null {
  // Cheap refusal first: a key without labels has no host.
  if (key.indexOf("{") === -1) return null;
  const parsed = parseSeriesKey(key);
  if (!parsed.ok) return null;
  const { name, labels } = parsed.value;
  const host = labels["host"];
  if (host === undefined || host === "") return null;
  let metric: HostMetric = HostMetric.None;
  if (name === "host.cpu.total") metric = labels["cpu"] === undefined ? HostMetric.Cpu : HostMetric.None;
  else if (name === "host.mem.used_percent") metric = HostMetric.Mem;
  else if (name === "host.load.1m") metric = HostMetric.Load;
  else if (name === AGENT_INTERVAL_SERIES) metric = HostMetric.Interval;
  return { host, metric, entry: null, refusedAt: -1 };
}

/**
 * Series key -> slot, so a batch costs one Map lookup per point. Bounded: past `maxKeys` it starts
 * over (the store's series cap bounds the keys in use, so this is rare and only costs re-parsing).
 */
export class SlotCache<Entry> {
  readonly #slots = new Map<string, SeriesSlot<Entry> | null>();

  constructor(private readonly maxKeys: number) {}

  get(key: string): SeriesSlot<Entry> | null {
    let slot = this.#slots.get(key);
    if (slot === undefined) {
      if (this.#slots.size >= this.maxKeys) this.#slots.clear();
      slot = resolveSlot<Entry>(key);
      this.#slots.set(key, slot);
    }
    return slot;
  }

  /** Drops every cached entry reference (a host was forgotten: its slots must look it up again). */
  clear(): void {
    this.#slots.clear();
  }

  get size(): number {
    return this.#slots.size;
  }
}
