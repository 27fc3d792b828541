import { afterEach, describe, expect, it } from "vitest";
import { openDiskStore } from "../src/store/disk/disk-store";
import type { DiskStorage } from "../src/store/disk/disk-store";
import { copyDataDir, tempDataDir, tiers } from "./helpers/data-dir";

const T0 = Date.UTC(2026, 0, 31, 12, 0, 0);
const HOUR = 3_600_000;

const dirs: { remove(): void }[] = [];
const open: DiskStorage[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  for (const d of dirs.splice(0)) d.remove();
});

function start(dir: string, clock: { now: number }): DiskStorage {
  const disk = openDiskStore({ dataDir: dir, tiers: tiers("1s:1h,1m:1d,1h:30d"), now: () => clock.now, flushIntervalMs: 3_600_000, log: () => undefined });
  open.push(disk);
  return disk;
}

function stop(disk: DiskStorage): void {
  open.splice(open.indexOf(disk), 1);
  disk.close();
}

const values = (disk: DiskStorage, series: string, from: number, to: number) => disk.store.history(series, { from, to, maxPoints: 10_000 }).map((p) => p.value);

describe("series expire from the catalog and the series cap (#11: a series that stopped reporting held its slot forever)", () => {
  it("a series with no point for longer than the raw retention leaves the catalog and size(); its history stays; it survives a restart", () => {
    const data = tempDataDir();
    dirs.push(data);
    const clock = { now: T0 };
    let disk = start(data.dir, clock);
    disk.store.describe([{ series: "gone", unit: "bytes", kind: "gauge", description: "stopped reporting" }]);
    for (let i = 0; i < 120; i++) disk.store.append([{ series: "gone", ts: T0 + i * 1000, value: i }, { series: "alive", ts: T0 + i * 1000, value: -i }]);
    // An hour and a half later only "alive" still reports; a snapshot runs.
    clock.now = T0 + 1.5 * HOUR;
    disk.store.append([{ series: "alive", ts: clock.now, value: 1 }]);
    expect(disk.flush(true)).toBe(true);
    expect(disk.store.size()).toBe(1);
    expect(disk.store.has("gone")).toBe(false);
    expect(disk.store.catalog().map((s) => s.name)).toEqual(["alive"]);
    // Its 1-minute rollups (and raw chunks until they expire) still answer.
    const before = disk.store.history("gone", { from: T0, to: T0 + 120_000, maxPoints: 10 });
    expect(before.length).toBeGreaterThan(0);
    expect(before[0]?.min).toBe(0);

    stop(disk);
    disk = start(data.dir, clock);
    expect(disk.store.size()).toBe(1);
    expect(disk.store.has("gone")).toBe(false);
    expect(disk.store.history("gone", { from: T0, to: T0 + 120_000, maxPoints: 10 })).toEqual(before);
  });

  it("a series that expired and reports again in the same batch order as before is back in the catalog with its new points (#12: append guesses the next series from the last batch)", () => {
    const data = tempDataDir();
    dirs.push(data);
    const clock = { now: T0 };
    const disk = start(data.dir, clock);
    // "lead" then "follow", batch after batch: append learns that "follow" comes after "lead".
    for (let i = 0; i < 3; i++) disk.store.append([{ series: "lead", ts: T0 + i * 1000, value: i }, { series: "follow", ts: T0 + i * 1000, value: 10 + i }]);
    clock.now = T0 + 1.5 * HOUR;
    disk.store.append([{ series: "lead", ts: clock.now, value: 7 }]);
    expect(disk.flush(true)).toBe(true);
    expect(disk.store.has("follow")).toBe(false);
    // The same order again: "follow" must go to a live series, not to the one that expired.
    disk.store.append([{ series: "lead", ts: clock.now + 1000, value: 8 }, { series: "follow", ts: clock.now + 1000, value: 42 }]);
    expect(disk.store.has("follow")).toBe(true);
    expect(disk.store.catalog().find((s) => s.name === "follow")?.last).toEqual({ ts: clock.now + 1000, value: 42 });
    expect(values(disk, "follow", clock.now, clock.now + 2000)).toEqual([42]);
    expect(disk.flush(true)).toBe(true);
    expect(values(disk, "follow", clock.now, clock.now + 2000)).toEqual([42]);
  });

  it("an expired series that reports again comes back with its id, metadata and history, also after a crash", () => {
    const data = tempDataDir();
    dirs.push(data);
    const clock = { now: T0 };
    const disk = start(data.dir, clock);
    disk.store.describe([{ series: "back", unit: "bytes", kind: "gauge", description: "comes back" }]);
    for (let i = 0; i < 60; i++) disk.store.append([{ series: "back", ts: T0 + i * 60_000, value: i }]);
    clock.now = T0 + 3 * HOUR;
    disk.store.append([{ series: "other", ts: clock.now, value: 0 }]);
    expect(disk.flush(true)).toBe(true);
    expect(disk.store.has("back")).toBe(false);

    // It reports again; the flush writes the point log only (no snapshot), then the process dies.
    disk.store.append([{ series: "back", ts: clock.now + 1000, value: 99 }]);
    disk.recordBatch(1, [{ series: "back", ts: clock.now + 1000, value: 99 }]);
    expect(disk.flush()).toBe(true);
    expect(disk.store.size()).toBe(2);
    const crashed = copyDataDir(data.dir);
    dirs.push(crashed);
    const after = start(crashed.dir, clock);
    expect(after.store.size()).toBe(2);
    const info = after.store.catalog().find((s) => s.name === "back");
    expect(info?.description).toBe("comes back");
    expect(info?.last).toEqual({ ts: clock.now + 1000, value: 99 });
    // The old hour (from the 1-minute tier) and the new point, one answer.
    expect(values(after, "back", T0, clock.now + 1000)).toEqual([...Array.from({ length: 60 }, (_, i) => i), 99]);
    expect(after.ids.batches.map((b) => b.points)).toEqual([[{ series: "back", ts: clock.now + 1000, value: 99 }]]);
  });

  it("the replay log still names a series that expired after its events were logged", () => {
    const data = tempDataDir();
    dirs.push(data);
    const clock = { now: T0 };
    let disk = start(data.dir, clock);
    disk.store.append([{ series: "brief", ts: T0, value: 5 }]);
    disk.recordBatch(1, [{ series: "brief", ts: T0, value: 5 }]);
    clock.now = T0 + 2 * HOUR;
    expect(disk.flush(true)).toBe(true);
    expect(disk.store.has("brief")).toBe(false);
    stop(disk);
    disk = start(data.dir, clock);
    expect(disk.ids.batches).toEqual([{ seq: 1, points: [{ series: "brief", ts: T0, value: 5 }] }]);
  });
});

describe("when a series last reported survives a restart (#11: every start gave every series a full retention again)", () => {
  it("a series silent since before a clean restart expires one raw retention after its last point, not after the restart", () => {
    const data = tempDataDir();
    dirs.push(data);
    const clock = { now: T0 };
    let disk = start(data.dir, clock);
    disk.store.append([{ series: "gone", ts: T0, value: 1 }, { series: "alive", ts: T0, value: 1 }]);
    expect(disk.lastSeen("gone")).toBe(T0);
    clock.now = T0 + 0.75 * HOUR;
    disk.store.append([{ series: "alive", ts: clock.now, value: 2 }]);
    stop(disk);

    disk = start(data.dir, clock);
    expect(disk.lastSeen("gone")).toBe(T0);
    expect(disk.lastSeen("alive")).toBe(T0 + 0.75 * HOUR);
    // 1 h (the raw retention) after its last point, 15 minutes after the restart.
    clock.now = T0 + HOUR + 1000;
    disk.store.append([{ series: "alive", ts: clock.now, value: 3 }]);
    expect(disk.flush(true)).toBe(true);
    expect(disk.store.has("gone")).toBe(false);
    expect(disk.store.has("alive")).toBe(true);
    expect(disk.lastSeen("gone")).toBeNull();
  });

  it("after a crash the time comes back from the last snapshot and the point log", () => {
    const data = tempDataDir();
    dirs.push(data);
    const clock = { now: T0 };
    const disk = start(data.dir, clock);
    disk.store.append([{ series: "a", ts: T0, value: 1 }, { series: "b", ts: T0, value: 1 }]);
    expect(disk.flush(true)).toBe(true);
    clock.now = T0 + 10 * 60_000;
    // Only the point log holds this one (no snapshot), then the process dies.
    disk.store.append([{ series: "b", ts: clock.now, value: 2 }]);
    expect(disk.flush()).toBe(true);
    const crashed = copyDataDir(data.dir);
    dirs.push(crashed);
    clock.now = T0 + 20 * 60_000;
    const after = start(crashed.dir, clock);
    expect(after.lastSeen("a")).toBe(T0);
    expect(after.lastSeen("b")).toBe(T0 + 10 * 60_000);
  });
});
