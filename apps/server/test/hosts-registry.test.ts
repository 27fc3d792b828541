import { describe, expect, it } from "vitest";
import type { Point } from "@livedash/events";
import { createHostRegistry } from "../src/hosts/host-registry";
import type { HostRegistryOptions } from "../src/hosts/host-registry";
import { batchReceivedAt } from "../src/hosts";

/** A registry on a clock the test moves; `report` is one batch of a host's collectors at `at`. */
function fleet(options: HostRegistryOptions = {}) {
  let nowMs = 1_000_000;
  const warnings: string[] = [];
  const registry = createHostRegistry({ minIntervalMs: 1000, initialIntervalMs: 5000, ...options, now: () => nowMs, warn: (m) => warnings.push(m) });
  const state = (host: string) => registry.snapshot().hosts.find((h) => h.host === host);
  return {
    registry,
    warnings,
    state,
    advance(ms: number) {
      nowMs += ms;
      registry.sweep();
    },
    get now() {
      return nowMs;
    },
    report(host: string, extra: Point[] = [], ts = nowMs) {
      registry.observe([{ series: `host.cpu.total{host="${host}"}`, ts, value: 12.5 }, ...extra], nowMs);
    },
  };
}

describe("host registry", () => {
  it("goes up -> down after 3 missed intervals -> up on the next report", () => {
    const f = fleet();
    for (let i = 0; i < 4; i++) {
      f.report("web1");
      f.advance(2000);
    }
    expect(f.state("web1")).toMatchObject({ state: "up", intervalMs: 2000, intervalSource: "inferred", cpuPercent: 12.5 });
    const lastSeen = f.state("web1")!.lastSeenAt;
    // 3 intervals after the last report it is still up; past them it is down.
    f.advance(3 * 2000 - 2000);
    expect(f.now - lastSeen).toBe(6000);
    expect(f.state("web1")!.state).toBe("up");
    f.advance(1);
    expect(f.state("web1")).toMatchObject({ state: "down", since: f.now });
    f.report("web1");
    expect(f.state("web1")).toMatchObject({ state: "up", since: f.now, lastSeenAt: f.now });
  });

  it("takes the interval an agent declares over the inferred one, and keeps it", () => {
    const f = fleet();
    // Seconds, as `livedash agent` sends its --interval.
    const declared = (seconds: number): Point => ({ series: `livedash.agent.interval_seconds{host="a1"}`, ts: f.now, value: seconds });
    f.report("a1", [declared(10)]);
    f.advance(1000);
    f.report("a1");
    expect(f.state("a1")).toMatchObject({ intervalMs: 10_000, intervalSource: "declared" });
    f.advance(29_000);
    expect(f.state("a1")!.state).toBe("up");
    f.advance(1001);
    expect(f.state("a1")!.state).toBe("down");
  });

  // Attack review (F8): one write of 50 made-up hosts each declaring livedash.agent.interval_seconds=1e9
  // (taken as 1 h) filled maxHosts for 3 h. A declaration is trusted from a host's second report on.
  it("one write of made-up hosts declaring a 1 h interval filled maxHosts for 3 hours", () => {
    const f = fleet({ maxHosts: 3 });
    const fakes = ["fake0", "fake1", "fake2"];
    f.registry.observe(
      fakes.flatMap((host) => [
        { series: `host.cpu.total{host="${host}"}`, ts: f.now, value: 1 },
        { series: `livedash.agent.interval_seconds{host="${host}"}`, ts: f.now, value: 1e9 },
      ]),
      f.now,
    );
    expect(f.state("fake0")).toMatchObject({ intervalMs: 5000, intervalSource: "inferred" });
    // Past 3 missed (inferred) intervals they are down, and a real host gets in.
    f.advance(3 * 5000 + 1);
    f.report("web1");
    expect(f.state("web1")).toMatchObject({ state: "up" });
    expect(f.registry.refusedPoints).toBe(0);
  });

  it("knows the server's own collectors' interval without a declaration", () => {
    const f = fleet({ knownHost: { host: "self", intervalMs: 250 } });
    f.report("self");
    f.report("other");
    expect(f.state("self")).toMatchObject({ intervalMs: 250, intervalSource: "declared" });
    expect(f.state("other")).toMatchObject({ intervalMs: 5000, intervalSource: "inferred" });
    f.advance(751);
    expect(f.state("self")!.state).toBe("down");
    expect(f.state("other")!.state).toBe("up");
  });

  it("infers the interval from point timestamps (a buffered burst keeps its spacing), with a floor", () => {
    const f = fleet();
    // Three points 5 s apart arrive in one burst (an agent's buffer after an outage), then live ones.
    let ts = f.now - 15_000;
    for (let i = 0; i < 4; i++) f.report("b1", [], (ts += 5000));
    expect(f.state("b1")!.intervalMs).toBe(5000);
    // Points 10 ms apart: the floor keeps a host from going down after 30 ms.
    const g = fleet();
    for (let i = 0; i < 6; i++) g.report("fast", [], g.now + i * 10);
    expect(g.state("fast")!.intervalMs).toBe(1000);
    // The median ignores one odd gap.
    const h = fleet();
    for (const step of [2000, 2000, 60_000, 2000, 2000]) {
      h.report("m1");
      h.advance(step);
    }
    h.report("m1");
    expect(h.state("m1")!.intervalMs).toBe(2000);
  });

  it("junk host names that filled maxHosts kept a real host out for days: a full registry makes room by forgetting the longest-down host", () => {
    const f = fleet({ maxHosts: 3 });
    f.report("junk1");
    f.report("junk2");
    f.report("live");
    // The junk stops reporting and goes down; "live" keeps reporting.
    for (let i = 0; i < 8; i++) {
      f.advance(5000);
      f.report("live");
    }
    expect(f.state("junk1")!.state).toBe("down");
    f.report("real");
    expect(f.registry.snapshot().hosts.map((h) => h.host)).toEqual(["junk2", "live", "real"]);
    expect(f.state("real")!.state).toBe("up");
    // With every tracked host up, a new one is still refused (and counted).
    f.report("real");
    f.report("junk2");
    f.report("another");
    expect(f.registry.snapshot().hosts.map((h) => h.host)).toEqual(["junk2", "live", "real"]);
    expect(f.registry.refusedPoints).toBe(1);
  });

  it("tracks at most maxHosts and names the limit once", () => {
    const f = fleet({ maxHosts: 2 });
    f.report("h1");
    f.report("h2");
    f.report("h3");
    f.report("h4");
    expect(f.registry.snapshot().hosts.map((h) => h.host)).toEqual(["h1", "h2"]);
    expect(f.registry.refusedPoints).toBe(2);
    expect(f.warnings).toHaveLength(1);
    expect(f.warnings[0]).toContain("LIVEDASH_MAX_HOSTS");
    expect(f.warnings[0]).toContain("2 hosts");
  });

  it("refusals of a full registry (every host up) were only logged: the snapshot counts them, with the limit and the last host refused", () => {
    const f = fleet({ maxHosts: 2 });
    f.report("h1");
    f.report("h2");
    expect(f.registry.snapshot().refused).toBeUndefined();
    const before = f.registry.version;
    // One batch of 3 points for a host that does not fit, then one of another.
    f.registry.observe([1, 2, 3].map((i) => ({ series: `host.load.1m{host="h3"}`, ts: f.now + i, value: i })), f.now);
    f.report("h4");
    expect(f.registry.refusedPoints).toBe(4);
    expect(f.registry.version).toBeGreaterThan(before);
    expect(f.registry.snapshot()).toMatchObject({ refused: { points: 4, maxHosts: 2, lastHost: "h4" } });
    expect(f.registry.snapshot().hosts.map((h) => h.host)).toEqual(["h1", "h2"]);
    // Room again (h1 goes down and gives way): the refused host is tracked; the count stays what it was.
    for (let i = 0; i < 8; i++) {
      f.advance(5000);
      f.report("h2");
    }
    f.report("h3");
    expect(f.registry.snapshot().hosts.map((h) => h.host)).toEqual(["h2", "h3"]);
    expect(f.registry.snapshot().refused).toMatchObject({ points: 4 });
  });

  it("forgets a host not seen for forgetAfterMs, and makes room for a new one", () => {
    const f = fleet({ maxHosts: 1, forgetAfterMs: 60_000 });
    f.report("old");
    f.advance(60_001);
    expect(f.registry.size).toBe(0);
    f.report("new");
    f.report("old");
    expect(f.registry.snapshot().hosts.map((h) => h.host)).toEqual(["new"]);
  });

  it("keeps the newest CPU, memory and load, and ignores series without a host or of one core", () => {
    const f = fleet();
    f.registry.observe(
      [
        { series: 'host.cpu.total{host="x"}', ts: f.now, value: 40 },
        { series: 'host.cpu.total{cpu="0",host="x"}', ts: f.now + 5, value: 99 },
        { series: 'host.mem.used_percent{host="x"}', ts: f.now, value: 61 },
        { series: 'host.mem.used_percent{host="x"}', ts: f.now - 1000, value: 1 },
        { series: 'host.load.1m{host="x"}', ts: f.now, value: 0.75 },
        { series: "host.cpu.total", ts: f.now, value: 5 },
        { series: 'app.requests{region="eu"}', ts: f.now, value: 5 },
      ],
      f.now,
    );
    expect(f.registry.snapshot().hosts).toEqual([expect.objectContaining({ host: "x", cpuPercent: 40, memPercent: 61, load1: 0.75 })]);
  });

  it("rebuilds from the store's last points: recent hosts up, old ones down", () => {
    const f = fleet();
    f.registry.restore([
      { series: 'host.load.1m{host="recent"}', ts: f.now - 1000, value: 1 },
      { series: 'host.load.1m{host="gone"}', ts: f.now - 3_600_000, value: 2 },
    ]);
    expect(f.state("recent")).toMatchObject({ state: "up", lastSeenAt: f.now - 1000, load1: 1 });
    expect(f.state("gone")).toMatchObject({ state: "down", load1: 2 });
  });

  it("rebuilds last seen from when the store received a series, where it knows (a backfilled point is old)", () => {
    const f = fleet();
    const seen = new Map([['host.load.1m{host="late"}', f.now - 500]]);
    f.registry.restore([{ series: 'host.load.1m{host="late"}', ts: f.now - 3_600_000, value: 1 }], (series) => seen.get(series) ?? null);
    expect(f.state("late")).toMatchObject({ state: "up", lastSeenAt: f.now - 500, lastPointAt: f.now - 3_600_000 });
  });

  it("a late-read batch (Redis warm-up) does not make a long-silent host up", () => {
    const f = fleet();
    f.registry.observe([{ series: 'host.load.1m{host="w"}', ts: f.now - 600_000, value: 1 }], f.now - 600_000);
    expect(f.state("w")!.state).toBe("down");
  });

  it("redis batches are received at their stream id's time; memory ones now", () => {
    expect(batchReceivedAt("redis", "1700000000123-4", 5)).toBe(1700000000123);
    expect(batchReceivedAt("memory", "abc-4", 5)).toBe(5);
  });

  it("notifies state changes and value changes apart, and versions snapshots", () => {
    const f = fleet();
    const changes: string[] = [];
    f.registry.onChange((c) => changes.push(c));
    f.report("v");
    const v1 = f.registry.version;
    f.report("v");
    f.advance(20_000);
    expect(changes).toEqual(["state", "values", "state"]);
    expect(f.registry.version).toBe(v1 + 2);
  });
});
