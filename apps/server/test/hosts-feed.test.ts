import { afterEach, describe, expect, it, vi } from "vitest";
import type { HostsSnapshot } from "@livedash/events";
import type { HostRegistry, HostsChange } from "../src/hosts/host-registry";
import { createHostsFeed } from "../src/hosts/hosts-feed";

/** A registry that only counts snapshots and lets the test fire changes (the feed's whole view of it). */
function fakeRegistry() {
  const listeners = new Set<(change: HostsChange) => void>();
  let snapshots = 0;
  const registry: HostRegistry = {
    observe: () => {},
    restore: () => {},
    sweep: () => {},
    snapshot(): HostsSnapshot {
      snapshots++;
      return { now: Date.now(), hosts: [] };
    },
    version: 0,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    size: 0,
    refusedPoints: 0,
  };
  return { registry, fire: (change: HostsChange) => listeners.forEach((l) => l(change)), snapshots: () => snapshots };
}

describe("hosts feed publish rate", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("a host flapping every 50 ms (state changes) publishes at most one snapshot per publishIntervalMs, not one per stateDelayMs", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const { registry, fire, snapshots } = fakeRegistry();
    const feed = createHostsFeed(registry, { publishIntervalMs: 1000, stateDelayMs: 50 });
    const built = snapshots();
    // 3 s of a state change every 50 ms: 60 changes.
    for (let i = 0; i < 60; i++) {
      fire("state");
      vi.advanceTimersByTime(50);
    }
    vi.advanceTimersByTime(1000);
    const published = snapshots() - built;
    expect(published).toBeGreaterThanOrEqual(3);
    expect(published).toBeLessThanOrEqual(4);
    feed.close();
  });

  it("a state change after a quiet second still goes out after stateDelayMs, not a full interval", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const { registry, fire } = fakeRegistry();
    const feed = createHostsFeed(registry, { publishIntervalMs: 1000, stateDelayMs: 50 });
    const first = feed.current().id;
    vi.advanceTimersByTime(5000);
    fire("state");
    vi.advanceTimersByTime(49);
    expect(feed.current().id).toBe(first);
    vi.advanceTimersByTime(1);
    expect(feed.current().id).not.toBe(first);
    feed.close();
  });
});
