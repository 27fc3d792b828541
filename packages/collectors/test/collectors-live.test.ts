import { readFileSync } from "node:fs";
import { mkdtemp, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import type { Point, SeriesMeta } from "@livedash/events";
import { parseSeriesKey } from "@livedash/events";
import { afterEach, describe, expect, it, vi } from "vitest";
import { startCollectors, type CollectorOptions, type Collectors, type TrafficStats } from "../src";

interface Recorder {
  readonly batches: Point[][];
  readonly describes: SeriesMeta[][];
  /** For each describe() call, how many batches had been published before it. */
  readonly describedBeforeBatch: number[];
  readonly errors: Array<[unknown, string]>;
  readonly collectors: Collectors;
}

const running: Collectors[] = [];
afterEach(() => {
  for (const c of running.splice(0)) c.stop();
});

function start(options: CollectorOptions, traffic?: () => TrafficStats): Recorder {
  const batches: Point[][] = [];
  const describes: SeriesMeta[][] = [];
  const describedBeforeBatch: number[] = [];
  const errors: Array<[unknown, string]> = [];
  let eventsOut = 0;
  const collectors = startCollectors(
    {
      intervalMs: 50,
      publish: (points) => batches.push(points),
      describe: (meta) => {
        describes.push(meta);
        describedBeforeBatch.push(batches.length);
      },
      traffic:
        traffic ??
        (() => {
          eventsOut += 10;
          return { connections: { ws: 1, sse: 2, trpcSse: 3, poll: 4 }, subscriptions: 5, eventsOut, bytesOut: eventsOut * 100, pointsIn: 0 };
        }),
    },
    { ...options, onError: (error, name) => errors.push([error, name]) },
  );
  running.push(collectors);
  return { batches, describes, describedBeforeBatch, errors, collectors };
}

function valueOf(batch: Point[], series: string): number | undefined {
  return batch.find((p) => p.series === series)?.value;
}

/** The series name of a key (the part the meta is declared for). */
function nameOf(key: string): string {
  const parsed = parseSeriesKey(key);
  if (!parsed.ok) throw new Error(`not a series key: ${key} (${parsed.message})`);
  return parsed.value.name;
}

/** Writes `text` to `path` atomically, so a tick never reads a half-written file. */
async function replaceFile(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

describe("startCollectors on the real /proc", () => {
  it("publishes one batch per tick with sane values, every key labelled with the host, names described once at start", async () => {
    const rec = start({ hostname: "test-host" });
    // The one describe() at start covers every built-in series name.
    expect(rec.describes).toHaveLength(1);
    const described = new Set(rec.describes[0]?.map((m) => m.series));
    for (const name of ["host.cpu.total", "host.mem.total_bytes", "host.load.1m", "host.net.rx_bytes_per_s", "process.rss_bytes", "livedash.connections", "livedash.subscriptions"]) {
      expect(described.has(name)).toBe(true);
    }
    // Meta is per name: no key (braces) is ever described.
    for (const name of described) expect(name).not.toContain("{");
    await vi.waitFor(() => expect(rec.batches.length).toBeGreaterThanOrEqual(2), { timeout: 5000, interval: 20 });
    expect(rec.errors).toEqual([]);

    // The cores the kernel lists right now: each gets its own cpu label.
    const cores = readFileSync("/proc/stat", "utf8").split("\n").flatMap((line) => /^cpu(\d+)\s/.exec(line)?.[1] ?? []);
    expect(cores.length).toBeGreaterThan(0);
    for (const batch of rec.batches.slice(0, 2)) {
      // One tick, one ts.
      expect(new Set(batch.map((p) => p.ts)).size).toBe(1);
      for (const p of batch) {
        expect(Number.isFinite(p.value)).toBe(true);
        const parsed = parseSeriesKey(p.series);
        expect(parsed.ok && parsed.value.labels.host).toBe("test-host");
        // Every published name was described first.
        expect(described.has(nameOf(p.series))).toBe(true);
      }
      for (const p of batch.filter((p) => /^host\.cpu\./.test(p.series))) {
        expect(p.value).toBeGreaterThanOrEqual(0);
        expect(p.value).toBeLessThanOrEqual(100);
      }
      // All cores: no cpu label; one core: cpu="N", for every core the kernel lists.
      expect(valueOf(batch, 'host.cpu.total{host="test-host"}')).toBeDefined();
      for (const core of cores) expect(valueOf(batch, `host.cpu.user{cpu="${core}",host="test-host"}`)).toBeDefined();
      const memTotal = valueOf(batch, 'host.mem.total_bytes{host="test-host"}') as number;
      expect(memTotal).toBeGreaterThan(0);
      expect(valueOf(batch, 'host.mem.used_percent{host="test-host"}')).toBeCloseTo(((valueOf(batch, 'host.mem.used_bytes{host="test-host"}') as number) * 100) / memTotal, 10);
      expect(valueOf(batch, 'process.rss_bytes{host="test-host"}')).toBeGreaterThan(0);
      expect(valueOf(batch, 'process.open_fds{host="test-host"}')).toBeGreaterThan(0);
      expect(valueOf(batch, 'livedash.connections{host="test-host",transport="trpc_sse"}')).toBe(3);
      expect(valueOf(batch, 'livedash.connections{host="test-host",transport="poll"}')).toBe(4);
      expect(valueOf(batch, 'livedash.events_out_per_s{host="test-host"}')).toBeGreaterThan(0);
      expect(valueOf(batch, 'host.net.rx_bytes_per_s{host="test-host",interface="lo"}')).toBeGreaterThanOrEqual(0);
    }
  });

  it("labels with the machine's hostname by default", async () => {
    const rec = start({});
    await vi.waitFor(() => expect(rec.batches.length).toBeGreaterThanOrEqual(1), { timeout: 5000, interval: 20 });
    const host = hostname() || "localhost";
    const rss = rec.batches[0]?.find((p) => nameOf(p.series) === "process.rss_bytes");
    expect(rss?.series).toBe(`process.rss_bytes{host="${host}"}`);
  });

  it("stops publishing after stop()", async () => {
    const rec = start({});
    await vi.waitFor(() => expect(rec.batches.length).toBeGreaterThanOrEqual(1), { timeout: 5000, interval: 20 });
    rec.collectors.stop();
    const count = rec.batches.length;
    // Absence cannot be awaited as a condition: a bounded wait of four intervals shows the timer is
    // gone and that a tick in flight at stop() did not publish.
    await new Promise<void>((resolve) => setTimeout(resolve, 200));
    expect(rec.batches.length).toBe(count);
  });
  it("without traffic (an agent) runs the host and process collectors and no livedash.* self series", async () => {
    const batches: Point[][] = [];
    const described: string[] = [];
    const errors: string[] = [];
    const collectors = startCollectors(
      { intervalMs: 50, publish: (points) => batches.push(points), describe: (meta) => described.push(...meta.map((m) => m.series)) },
      { hostname: "agent-1", onError: (_error, name) => errors.push(name) },
    );
    running.push(collectors);
    await vi.waitFor(() => expect(batches.length).toBeGreaterThanOrEqual(2), { timeout: 5000, interval: 20 });
    const names = new Set(batches.flat().map((p) => nameOf(p.series)));
    expect(names).toContain("host.cpu.total");
    expect(names).toContain("process.rss_bytes");
    expect([...names].filter((n) => n.startsWith("livedash."))).toEqual([]);
    expect(described.filter((n) => n.startsWith("livedash."))).toEqual([]);
    expect(errors).toEqual([]);
    for (const p of batches.flat()) expect(parseSeriesKey(p.series)).toMatchObject({ ok: true, value: { labels: { host: "agent-1" } } });
  });
});

describe("startCollectors on a fixture /proc", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  async function fixtureRoot(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "livedash-proc-"));
    dirs.push(dir);
    return dir;
  }

  it("skips series whose /proc files are missing, never throws", async () => {
    const root = await fixtureRoot();
    const rec = start({ procRoot: root, sysRoot: root, hostname: "h" });
    await vi.waitFor(() => expect(rec.batches.length).toBeGreaterThanOrEqual(2), { timeout: 5000, interval: 20 });
    expect(rec.errors).toEqual([]);
    const names = new Set(rec.batches.flat().map((p) => nameOf(p.series)));
    expect([...names].some((n) => n.startsWith("host.cpu.") || n.startsWith("host.net.") || n.startsWith("host.disk."))).toBe(false);
    expect(names.has("process.open_fds")).toBe(false);
    // node:os still knows the memory size without /proc/meminfo.
    expect(names.has("host.mem.total_bytes")).toBe(true);
    expect(names.has("process.rss_bytes")).toBe(true);
  });

  it("labels each core with cpu and leaves the all-cores series without it, from /proc/stat", async () => {
    const root = await fixtureRoot();
    const stat = join(root, "stat");
    await replaceFile(stat, "cpu  1000 100 500 8000 200 10 40 50 0 0\ncpu0 600 50 250 3900 100 5 20 25 0 0\ncpu1 400 50 250 4100 100 5 20 25 0 0\n");
    const rec = start({ procRoot: root, sysRoot: root, hostname: "h" });
    // 1000 jiffies later on the aggregate; core 0 spent all of its 500 in user, core 1 all idle.
    await replaceFile(stat, "cpu  1100 100 600 8700 250 20 50 80 0 0\ncpu0 1100 50 250 3900 100 5 20 25 0 0\ncpu1 400 50 250 4600 100 5 20 25 0 0\n");
    await vi.waitFor(() => expect(rec.batches.some((b) => valueOf(b, 'host.cpu.user{cpu="0",host="h"}') !== undefined)).toBe(true), {
      timeout: 5000,
      interval: 20,
    });
    const batch = rec.batches.find((b) => valueOf(b, 'host.cpu.user{cpu="0",host="h"}') !== undefined) ?? [];
    expect(valueOf(batch, 'host.cpu.user{host="h"}')).toBeCloseTo(10, 10);
    expect(valueOf(batch, 'host.cpu.total{host="h"}')).toBeCloseTo(25, 10);
    expect(valueOf(batch, 'host.cpu.user{cpu="0",host="h"}')).toBe(100);
    expect(valueOf(batch, 'host.cpu.idle{cpu="1",host="h"}')).toBe(100);
    expect(valueOf(batch, 'host.cpu.total{cpu="1",host="h"}')).toBe(0);
    // Five parts for the host and for each of the two cores, nothing else from this collector.
    expect(batch.filter((p) => p.series.startsWith("host.cpu."))).toHaveLength(15);
    expect(rec.errors).toEqual([]);
  });

  it("labels each whole disk with device and sums them without it, from /proc/diskstats and /sys/block", async () => {
    const root = await fixtureRoot();
    for (const dir of ["block/sda", "block/vdb", "block/dm-0/slaves/sda2"]) await mkdir(join(root, "sys", dir), { recursive: true });
    await mkdir(join(root, "proc"));
    const diskstats = join(root, "proc", "diskstats");
    const line = (device: string, read: number, written: number): string => `   8 0 ${device} 0 0 ${read} 0 0 0 ${written} 0 0 0 0\n`;
    await replaceFile(diskstats, line("sda", 0, 0) + line("sda2", 0, 0) + line("vdb", 0, 0) + line("dm-0", 0, 0));
    const rec = start({ procRoot: join(root, "proc"), sysRoot: join(root, "sys"), hostname: "h" });
    await replaceFile(diskstats, line("sda", 2000, 10) + line("sda2", 2000, 10) + line("vdb", 1000, 0) + line("dm-0", 2000, 10));
    const moved = (b: Point[]): boolean => (valueOf(b, 'host.disk.read_bytes_per_s{device="sda",host="h"}') ?? 0) > 0;
    await vi.waitFor(() => expect(rec.batches.some(moved)).toBe(true), { timeout: 5000, interval: 20 });
    const batch = rec.batches.find(moved) ?? [];
    const sda = valueOf(batch, 'host.disk.read_bytes_per_s{device="sda",host="h"}') as number;
    const vdb = valueOf(batch, 'host.disk.read_bytes_per_s{device="vdb",host="h"}') as number;
    // Same elapsed time for both: sda read twice the sectors of vdb.
    expect(sda / vdb).toBeCloseTo(2, 10);
    expect(valueOf(batch, 'host.disk.read_bytes_per_s{host="h"}')).toBeCloseTo(sda + vdb, 6);
    // A partition and a stacked device are not disks of their own.
    const devices = batch.flatMap((p) => {
      const parsed = parseSeriesKey(p.series);
      return parsed.ok && parsed.value.name.startsWith("host.disk.") ? [parsed.value.labels.device ?? "(all)"] : [];
    });
    expect(new Set(devices)).toEqual(new Set(["sda", "vdb", "(all)"]));
    expect(rec.errors).toEqual([]);
  });

  it("labels interfaces as the kernel names them, describes names that appear late, and publishes a new interface's rates from the next tick", async () => {
    const root = await fixtureRoot();
    await mkdir(join(root, "net"));
    const header = "Inter-|   Receive |  Transmit\n face |bytes packets|bytes packets\n";
    const line = (iface: string, rx: number, tx: number): string => `${iface}: ${rx} 0 0 0 0 0 0 0 ${tx} 0 0 0 0 0 0 0\n`;
    const netDev = join(root, "net", "dev");

    // No /proc/net/dev at start: nothing of host.net is described yet.
    const rec = start({ procRoot: root, sysRoot: root, hostname: "h" });
    expect(rec.describes.flat().map((m) => m.series)).not.toContain("host.net.rx_bytes_per_s");
    await replaceFile(netDev, header + line("eth0", 1000, 500));
    await vi.waitFor(() => expect(rec.describes.flat().map((m) => m.series)).toContain("host.net.rx_bytes_per_s"), { timeout: 5000, interval: 20 });
    // describe() runs just before the publish of the tick that first read the file.
    const call = rec.describes.findIndex((meta) => meta.some((m) => m.series === "host.net.rx_bytes_per_s"));
    expect(call).toBeGreaterThan(0);
    const eth0 = 'host.net.rx_bytes_per_s{host="h",interface="eth0"}';
    await vi.waitFor(() => expect(valueOf(rec.batches.at(-1) ?? [], eth0)).toBeDefined(), { timeout: 5000, interval: 20 });
    for (const batch of rec.batches.slice(0, rec.describedBeforeBatch[call])) {
      expect(batch.some((p) => p.series.startsWith("host.net."))).toBe(false);
    }

    const seen = rec.batches.length;
    await replaceFile(netDev, header + line("eth0", 5000, 900) + line("eth0.100", 70, 80));
    const vlan = 'host.net.rx_bytes_per_s{host="h",interface="eth0.100"}';
    await vi.waitFor(
      () => expect(rec.batches.slice(seen).some((b) => (valueOf(b, eth0) ?? 0) > 0)).toBe(true),
      { timeout: 5000, interval: 20 },
    );
    const discovery = rec.batches.findIndex((b, i) => i >= seen && (valueOf(b, eth0) ?? 0) > 0);
    await vi.waitFor(() => expect(rec.batches.length).toBeGreaterThanOrEqual(discovery + 2), { timeout: 5000, interval: 20 });
    // The tick that first saw eth0.100 had no previous sample for it: no rate. The next one sees an unchanged counter: 0.
    expect(valueOf(rec.batches[discovery] ?? [], vlan)).toBeUndefined();
    expect(valueOf(rec.batches[discovery + 1] ?? [], vlan)).toBe(0);
    // No new name, so nothing new to describe: meta is per name, whatever the interface.
    expect(rec.describes.flat().filter((m) => m.series === "host.net.rx_bytes_per_s")).toHaveLength(1);
    expect(rec.errors).toEqual([]);
  });

  it("reports a collector that throws and keeps publishing the others", async () => {
    const root = await fixtureRoot();
    const rec = start({ procRoot: root, sysRoot: root }, () => {
      throw new Error("traffic not ready");
    });
    await vi.waitFor(() => expect(rec.batches.length).toBeGreaterThanOrEqual(2), { timeout: 5000, interval: 20 });
    expect(rec.errors.some(([, name]) => name === "self")).toBe(true);
    expect(rec.batches[0]?.some((p) => nameOf(p.series) === "process.rss_bytes" && p.value > 0)).toBe(true);
    expect(rec.batches.flat().some((p) => p.series.startsWith("livedash."))).toBe(false);
  });

  it("rejects a bad interval naming the field", () => {
    expect(() =>
      startCollectors({ intervalMs: 0, publish: () => undefined, describe: () => undefined, traffic: () => { throw new Error("unused"); } }),
    ).toThrow(/intervalMs must be at least 10/);
  });

  it("rejects a hostname that cannot be a label value, naming the field", () => {
    const ctx = { intervalMs: 1000, publish: () => undefined, describe: () => undefined, traffic: () => { throw new Error("unused"); } };
    expect(() => startCollectors(ctx, { hostname: "" })).toThrow(/hostname must not be empty/);
    expect(() => startCollectors(ctx, { hostname: "web\u00011" })).toThrow(/hostname: label value must not contain control characters/);
  });
});
