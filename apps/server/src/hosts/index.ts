import type { Batch } from "../engine/types";
import type { Point } from "@livedash/events";
import { createHostRegistry } from "./host-registry";
import type { HostRegistry, HostRegistryOptions } from "./host-registry";
import { createHostsFeed } from "./hosts-feed";
import type { HostsFeed, HostsFeedOptions } from "./hosts-feed";

export { createHostRegistry, createHostsFeed };
export type { HostRegistry, HostRegistryOptions, HostsFeed, HostsFeedOptions };

/** Host registry tunables that are not settings (tests pass a clock and short intervals). */
export interface HostsOptions extends Omit<HostRegistryOptions, "maxHosts" | "forgetAfterMs" | "minIntervalMs" | "warn">, HostsFeedOptions {
  /** How often down and forgotten hosts are looked for. @default 250 */
  sweepIntervalMs?: number;
}

export interface Hosts {
  readonly registry: HostRegistry;
  readonly feed: HostsFeed;
  /** The engine listener: every batch of every ingest path, on every instance. */
  observe(batch: Batch): void;
  close(): void;
}

const STREAM_ID_MS_RE = /^(\d{1,16})-\d+$/;

/**
 * When a batch reached the server. Redis stream ids start with the ms Redis added the entry at, the
 * same on every instance and honest for a warm-up read long after (an old batch must not make its
 * host up); a memory engine batch is delivered as it is published, so now is its time.
 */
export function batchReceivedAt(engineKind: "memory" | "redis", batchId: string, now: number): number {
  if (engineKind !== "redis") return now;
  const match = STREAM_ID_MS_RE.exec(batchId);
  return match ? Number(match[1]) : now;
}

export function startHosts(
  settings: { maxHosts: number; forgetAfterMs: number; minIntervalMs: number },
  deps: {
    engineKind: "memory" | "redis";
    warn: (message: string) => void;
    lastPoints: () => Iterable<Point>;
    /** When the store last received a series (server time), if it keeps that (the disk store does). */
    lastSeen?: (series: string) => number | null;
    /** The server's own collectors' host and tick: their interval is known. */
    knownHost?: { host: string; intervalMs: number };
  },
  options: HostsOptions = {},
): Hosts {
  const now = options.now ?? Date.now;
  const registry = createHostRegistry({ ...options, ...settings, knownHost: deps.knownHost, warn: deps.warn });
  // Last seen survives a restart: the store keeps every series' last point and, on disk, when it came.
  registry.restore(deps.lastPoints(), deps.lastSeen);
  const feed = createHostsFeed(registry, options);
  const sweep = setInterval(() => registry.sweep(), options.sweepIntervalMs ?? 250);
  sweep.unref();
  return {
    registry,
    feed,
    observe: (batch) => registry.observe(batch.points, batchReceivedAt(deps.engineKind, batch.id, now())),
    close() {
      clearInterval(sweep);
      feed.close();
    },
  };
}
