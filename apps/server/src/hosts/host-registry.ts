import { HOST_DOWN_AFTER_INTERVALS } from "@livedash/events";
import type { HostsSnapshot, HostState, HostSummary, Point } from "@livedash/events";
import { HostMetric, SlotCache } from "./series-slots";

/** Tunables of the host registry (config.ts maps the LIVEDASH_HOST* variables onto them). */
export interface HostRegistryOptions {
  /**
   * Hosts tracked at once. A new host past it takes the place of the down host seen longest ago; with
   * every host up it is not tracked, and that is logged with the limit. @default 1000
   */
  maxHosts?: number;
  /** A host not seen for this long is forgotten (leaves the list). @default 7 days */
  forgetAfterMs?: number;
  /** Floor of an inferred interval: a burst of points must not make a host "down" after 3 ms. @default 1000 */
  minIntervalMs?: number;
  /** Ceiling of any interval, declared or inferred. @default 3_600_000 */
  maxIntervalMs?: number;
  /** The interval of a host before its spacing is known (one report so far). @default 15_000 */
  initialIntervalMs?: number;
  /** Series keys whose host is remembered; past it the cache starts over. @default 100_000 */
  maxCachedKeys?: number;
  /** A host whose interval is known without a declaration: the server's own collectors (LIVEDASH_TICK_MS). */
  knownHost?: { host: string; intervalMs: number };
  /** Server time. Tests pass a fake clock. @default Date.now */
  now?: () => number;
  /** Where "registry full" goes (at most once a minute). */
  warn?: (message: string) => void;
}

/** Gaps between a host's newest point timestamps kept for the inferred interval (median of them). */
const GAP_SAMPLES = 5;
const FULL_WARNING_EVERY_MS = 60_000;

interface HostEntry {
  readonly host: string;
  state: HostState;
  since: number;
  lastSeenAt: number;
  lastPointAt: number;
  declaredIntervalMs: number | null;
  /**
   * A declaration from the host's first report, trusted from its second on: one write of made-up hosts
   * each declaring 1 h used to fill maxHosts for 3 h (attack review F8).
   */
  pendingDeclaredMs: number | null;
  /** Gaps between successive newest point timestamps, a ring of GAP_SAMPLES (NaN: not measured yet). */
  readonly gaps: Float64Array;
  gapNext: number;
  inferredIntervalMs: number;
  cpuPercent: number | null;
  cpuAt: number;
  memPercent: number | null;
  memAt: number;
  load1: number | null;
  loadAt: number;
  /** Newest point timestamp of the batch being observed (NaN: not touched by it). */
  batchNewest: number;
  /** Forgotten: slots holding this entry must look the host up again. */
  gone: boolean;
}

/** What changed: "state" (a host appeared, went up or down, or was forgotten) or only "values". */
export type HostsChange = "state" | "values";

export interface HostRegistry {
  /** One batch from the engine (every ingest path, every instance); `receivedAt` is server time. */
  observe(points: readonly Point[], receivedAt: number): void;
  /**
   * Rebuilds from the store's last points at startup. `seenAt` is when the store last received the
   * series (server time; the disk store keeps it); without it the point's time stands in.
   */
  restore(points: Iterable<Point>, seenAt?: (series: string) => number | null): void;
  /** Marks hosts down past 3 missed intervals and forgets old ones; the timer calls it. */
  sweep(): void;
  snapshot(): HostsSnapshot;
  /** Bumped on every change; snapshots of one version are equal. */
  readonly version: number;
  onChange(listener: (change: HostsChange) => void): () => void;
  readonly size: number;
  /**
   * Points whose host was not tracked because the registry was full with every host up, since start
   * (/metrics: livedash_hosts_refused_points_total; the snapshot's `refused`).
   */
  readonly refusedPoints: number;
}

export function createHostRegistry(options: HostRegistryOptions = {}): HostRegistry {
  const maxHosts = options.maxHosts ?? 1000;
  const forgetAfterMs = options.forgetAfterMs ?? 7 * 24 * 3_600_000;
  const minIntervalMs = options.minIntervalMs ?? 1000;
  const maxIntervalMs = options.maxIntervalMs ?? 3_600_000;
  const initialIntervalMs = Math.min(maxIntervalMs, Math.max(minIntervalMs, options.initialIntervalMs ?? 15_000));
  const now = options.now ?? Date.now;
  const warn = options.warn ?? (() => {});

  const hosts = new Map<string, HostEntry>();
  const slots = new SlotCache<HostEntry>(options.maxCachedKeys ?? 100_000);
  const listeners = new Set<(change: HostsChange) => void>();
  /** Entries touched by the batch being observed: reused, so a batch allocates nothing once warm. */
  const touched: HostEntry[] = [];
  let version = 0;
  let refusedPoints = 0;
  /** The host refused last (the snapshot names it: which machine is missing from the fleet view). */
  let lastRefusedHost: string | null = null;
  /**
   * Bumped whenever room may have appeared (a host went down or was forgotten). A slot refused at the
   * current value is refused again without a look through the registry: a full registry must not cost
   * O(hosts) per point of every host it keeps out.
   */
  let roomVersion = 0;
  let lastFullWarningAt = Number.NEGATIVE_INFINITY;
  let cachedSnapshot: { version: number; snapshot: HostsSnapshot } | null = null;

  const intervalOf = (entry: HostEntry) => entry.declaredIntervalMs ?? entry.inferredIntervalMs;
  const isOverdue = (entry: HostEntry, at: number) => at - entry.lastSeenAt > HOST_DOWN_AFTER_INTERVALS * intervalOf(entry);

  function changed(change: HostsChange) {
    version++;
    for (const listener of listeners) listener(change);
  }

  /**
   * Room for a new host in a full registry: forgets the down host seen longest ago (junk names that
   * filled the registry must not keep a real host out for LIVEDASH_HOST_FORGET_MS). O(hosts), only
   * when a new name arrives at a full registry. False when every tracked host is up.
   */
  function forgetLongestDown(): boolean {
    let oldest: HostEntry | null = null;
    for (const entry of hosts.values()) {
      if (entry.state === "down" && (oldest === null || entry.lastSeenAt < oldest.lastSeenAt)) oldest = entry;
    }
    if (oldest === null) return false;
    hosts.delete(oldest.host);
    oldest.gone = true;
    return true;
  }

  /** Counts one point of an untracked host (observe() publishes the change once per batch). */
  function refuse(host: string) {
    refusedPoints++;
    lastRefusedHost = host;
  }

  function entryFor(host: string): HostEntry | null {
    const existing = hosts.get(host);
    if (existing) return existing;
    if (hosts.size >= maxHosts && !forgetLongestDown()) {
      refuse(host);
      const at = now();
      if (at - lastFullWarningAt >= FULL_WARNING_EVERY_MS) {
        lastFullWarningAt = at;
        warn(`host registry full: ${maxHosts} hosts tracked, every one up (LIVEDASH_MAX_HOSTS); host "${host.slice(0, 100)}" is not tracked (${refusedPoints} points refused so far)`);
      }
      return null;
    }
    const entry: HostEntry = {
      host,
      state: "up",
      since: 0,
      lastSeenAt: Number.NEGATIVE_INFINITY,
      lastPointAt: Number.NEGATIVE_INFINITY,
      declaredIntervalMs: host === options.knownHost?.host ? options.knownHost.intervalMs : null,
      pendingDeclaredMs: null,
      gaps: new Float64Array(GAP_SAMPLES).fill(Number.NaN),
      gapNext: 0,
      inferredIntervalMs: initialIntervalMs,
      cpuPercent: null,
      cpuAt: Number.NEGATIVE_INFINITY,
      memPercent: null,
      memAt: Number.NEGATIVE_INFINITY,
      load1: null,
      loadAt: Number.NEGATIVE_INFINITY,
      batchNewest: Number.NaN,
      gone: false,
    };
    hosts.set(host, entry);
    return entry;
  }

  /** Reused by inferInterval: the median is found without allocating, once per host per batch. */
  const scratch = new Float64Array(GAP_SAMPLES);

  /** Median of the measured gaps, within [minIntervalMs, maxIntervalMs]. */
  function inferInterval(entry: HostEntry) {
    let n = 0;
    for (const gap of entry.gaps) if (!Number.isNaN(gap)) scratch[n++] = gap;
    if (n === 0) return;
    const measured = scratch.subarray(0, n).sort();
    const median = measured[n >> 1]!;
    entry.inferredIntervalMs = Math.min(maxIntervalMs, Math.max(minIntervalMs, median));
  }

  /** Per point: the slot (one Map lookup), then plain field writes. */
  function takePoint(point: Point) {
    const slot = slots.get(point.series);
    if (slot === null) return;
    let entry = slot.entry;
    if (entry === null || entry.gone) {
      if (entry === null && slot.refusedAt === roomVersion) return refuse(slot.host);
      entry = entryFor(slot.host);
      slot.entry = entry;
      if (entry === null) {
        slot.refusedAt = roomVersion;
        return;
      }
    }
    const { ts, value } = point;
    if (Number.isNaN(entry.batchNewest)) {
      entry.batchNewest = ts;
      touched.push(entry);
    } else if (ts > entry.batchNewest) entry.batchNewest = ts;
    switch (slot.metric) {
      case HostMetric.Cpu:
        if (ts >= entry.cpuAt) {
          entry.cpuPercent = value;
          entry.cpuAt = ts;
        }
        break;
      case HostMetric.Mem:
        if (ts >= entry.memAt) {
          entry.memPercent = value;
          entry.memAt = ts;
        }
        break;
      case HostMetric.Load:
        if (ts >= entry.loadAt) {
          entry.load1 = value;
          entry.loadAt = ts;
        }
        break;
      case HostMetric.Interval:
        // Seconds on the wire (the agent's --interval); a floor of 100 ms keeps a typo from a flapping host.
        if (value > 0) {
          const ms = Math.min(maxIntervalMs, Math.max(100, value * 1000));
          if (entry.lastSeenAt === Number.NEGATIVE_INFINITY) entry.pendingDeclaredMs = ms;
          else entry.declaredIntervalMs = ms;
        }
        break;
      default:
        break;
    }
  }

  /** Per touched host, once per batch: last seen, spacing, and back up. */
  function settle(receivedAt: number, infer: boolean): HostsChange | null {
    let change: HostsChange | null = null;
    const at = Math.max(now(), receivedAt);
    for (const entry of touched) {
      const newest = entry.batchNewest;
      entry.batchNewest = Number.NaN;
      const isNew = entry.lastSeenAt === Number.NEGATIVE_INFINITY;
      if (!isNew && entry.pendingDeclaredMs !== null) {
        entry.declaredIntervalMs ??= entry.pendingDeclaredMs;
        entry.pendingDeclaredMs = null;
      }
      // Spacing of the host's own timestamps, not of arrivals: a buffer flushed after an outage
      // arrives at once but keeps its spacing. The gap across an outage (a down host) is not one.
      if (infer && !isNew && entry.state === "up" && newest > entry.lastPointAt) {
        entry.gaps[entry.gapNext] = newest - entry.lastPointAt;
        entry.gapNext = (entry.gapNext + 1) % GAP_SAMPLES;
        inferInterval(entry);
      }
      if (newest > entry.lastPointAt) entry.lastPointAt = newest;
      if (receivedAt > entry.lastSeenAt) entry.lastSeenAt = receivedAt;
      // A batch read late (a Redis warm-up, a restore) may be too old to make its host up.
      const state: HostState = isOverdue(entry, at) ? "down" : "up";
      if (isNew || state !== entry.state) {
        if (state === "down") roomVersion++;
        entry.state = state;
        entry.since = isNew ? entry.lastSeenAt : at;
        change = "state";
      } else change ??= "values";
    }
    touched.length = 0;
    return change;
  }

  function summary(entry: HostEntry): HostSummary {
    return {
      host: entry.host,
      state: entry.state,
      lastSeenAt: entry.lastSeenAt,
      lastPointAt: entry.lastPointAt,
      intervalMs: intervalOf(entry),
      intervalSource: entry.declaredIntervalMs === null ? "inferred" : "declared",
      since: entry.since,
      cpuPercent: entry.cpuPercent,
      memPercent: entry.memPercent,
      load1: entry.load1,
    };
  }

  return {
    observe(points, receivedAt) {
      const refusedBefore = refusedPoints;
      for (let i = 0; i < points.length; i++) takePoint(points[i]!);
      const change = settle(receivedAt, true) ?? (refusedPoints === refusedBefore ? null : "values");
      if (change) changed(change);
    },
    restore(points, seenAt) {
      let change: HostsChange | null = null;
      for (const point of points) {
        takePoint(point);
        const settled = settle(seenAt?.(point.series) ?? point.ts, false);
        if (settled === "state") change = "state";
        else if (settled !== null) change ??= settled;
      }
      if (change) changed(change);
    },
    sweep() {
      const at = now();
      let change = false;
      for (const entry of hosts.values()) {
        if (at - entry.lastSeenAt > forgetAfterMs) {
          hosts.delete(entry.host);
          entry.gone = true;
          change = true;
          continue;
        }
        if (entry.state === "up" && isOverdue(entry, at)) {
          entry.state = "down";
          entry.since = at;
          change = true;
        }
      }
      if (change) {
        roomVersion++;
        changed("state");
      }
    },
    snapshot() {
      if (cachedSnapshot?.version !== version) {
        const list = [...hosts.values()].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0)).map(summary);
        const refused = lastRefusedHost === null ? undefined : { points: refusedPoints, maxHosts, lastHost: lastRefusedHost };
        cachedSnapshot = { version, snapshot: { now: now(), hosts: list, ...(refused && { refused }) } };
      }
      return { ...cachedSnapshot.snapshot, now: now() };
    },
    get version() {
      return version;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get size() {
      return hosts.size;
    },
    get refusedPoints() {
      return refusedPoints;
    },
  };
}
