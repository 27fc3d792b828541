import { mkdtemp, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Point, SeriesMeta } from "@livedash/events";
import { afterEach, describe, expect, it, vi } from "vitest";
import { startCollectors, type CollectorOptions, type Collectors, type TrafficStats } from "../src/collectors";

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

describe("startCollectors on the real /proc", () => {
  it("publishes one batch per tick with sane values, described once at start", async () => {
    const rec = start({});
    // The one describe() at start covers every built-in series.
    expect(rec.describes).toHaveLength(1);
    const described = new Set(rec.describes[0]?.map((m) => m.series));
    for (const name of ["host.cpu.total", "host.mem.total_bytes", "host.load.1m", "process.rss_bytes", "livedash.subscriptions"]) {
      expect(described.has(name)).toBe(true);
    }
    await vi.waitFor(() => expect(rec.batches.length).toBeGreaterThanOrEqual(2), { timeout: 5000, interval: 20 });
    expect(rec.errors).toEqual([]);

    for (const batch of rec.batches.slice(0, 2)) {
      // One tick, one ts.
      expect(new Set(batch.map((p) => p.ts)).size).toBe(1);
      for (const p of batch) expect(Number.isFinite(p.value)).toBe(true);
      for (const p of batch.filter((p) => /^host\.cpu\./.test(p.series))) {
        expect(p.value).toBeGreaterThanOrEqual(0);
        expect(p.value).toBeLessThanOrEqual(100);
      }
      expect(valueOf(batch, "host.mem.total_bytes")).toBeGreaterThan(0);
      expect(valueOf(batch, "process.rss_bytes")).toBeGreaterThan(0);
      expect(valueOf(batch, "process.open_fds")).toBeGreaterThan(0);
      expect(valueOf(batch, "livedash.connections.trpc_sse")).toBe(3);
      expect(valueOf(batch, "livedash.events_out_per_s")).toBeGreaterThan(0);
      expect(valueOf(batch, "host.net.lo.rx_bytes_per_s")).toBeGreaterThanOrEqual(0);
      // Every published series was described first.
      for (const p of batch) expect(described.has(p.series)).toBe(true);
    }
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
    const rec = start({ procRoot: root, sysRoot: root });
    await vi.waitFor(() => expect(rec.batches.length).toBeGreaterThanOrEqual(2), { timeout: 5000, interval: 20 });
    expect(rec.errors).toEqual([]);
    const names = new Set(rec.batches.flat().map((p) => p.series));
    expect([...names].some((n) => n.startsWith("host.cpu.") || n.startsWith("host.net.") || n.startsWith("host.disk."))).toBe(false);
    expect(names.has("process.open_fds")).toBe(false);
    // node:os still knows the memory size without /proc/meminfo.
    expect(names.has("host.mem.total_bytes")).toBe(true);
    expect(names.has("process.rss_bytes")).toBe(true);
  });

  it("describes a new interface when it appears and publishes its rates only from the next tick", async () => {
    const root = await fixtureRoot();
    await mkdir(join(root, "net"));
    const header = "Inter-|   Receive |  Transmit\n face |bytes packets|bytes packets\n";
    const line = (iface: string, rx: number, tx: number): string => `${iface}: ${rx} 0 0 0 0 0 0 0 ${tx} 0 0 0 0 0 0 0\n`;
    // Replace atomically so a tick never reads a half-written file.
    const writeNetDev = async (text: string): Promise<void> => {
      await writeFile(join(root, "net", "dev.tmp"), text);
      await rename(join(root, "net", "dev.tmp"), join(root, "net", "dev"));
    };
    await writeNetDev(header + line("eth0", 1000, 500));

    const rec = start({ procRoot: root, sysRoot: root });
    expect(rec.describes[0]?.map((m) => m.series)).toContain("host.net.eth0.rx_bytes_per_s");
    await vi.waitFor(() => expect(valueOf(rec.batches.at(-1) ?? [], "host.net.eth0.rx_bytes_per_s")).toBeDefined(), {
      timeout: 5000,
      interval: 20,
    });

    await writeNetDev(header + line("eth0", 5000, 900) + line("eth0.100", 70, 80));
    await vi.waitFor(
      () => expect(rec.describes.flat().map((m) => m.series)).toContain("host.net.eth0_100.tx_bytes_per_s"),
      { timeout: 5000, interval: 20 },
    );
    // describe() runs just before the publish of the tick that discovered the interface.
    const call = rec.describes.findIndex((meta) => meta.some((m) => m.series === "host.net.eth0_100.rx_bytes_per_s"));
    const discoveryIndex = rec.describedBeforeBatch[call] as number;
    await vi.waitFor(() => expect(rec.batches.length).toBeGreaterThanOrEqual(discoveryIndex + 2), { timeout: 5000, interval: 20 });
    // That tick had no previous sample for it: no rate. The next one sees an unchanged counter: 0.
    expect(valueOf(rec.batches[discoveryIndex] ?? [], "host.net.eth0_100.rx_bytes_per_s")).toBeUndefined();
    expect(valueOf(rec.batches[discoveryIndex] ?? [], "host.net.eth0.rx_bytes_per_s")).toBeGreaterThan(0);
    expect(valueOf(rec.batches[discoveryIndex + 1] ?? [], "host.net.eth0_100.rx_bytes_per_s")).toBe(0);
    expect(rec.errors).toEqual([]);
  });

  it("reports a collector that throws and keeps publishing the others", async () => {
    const root = await fixtureRoot();
    const rec = start({ procRoot: root, sysRoot: root }, () => {
      throw new Error("traffic not ready");
    });
    await vi.waitFor(() => expect(rec.batches.length).toBeGreaterThanOrEqual(2), { timeout: 5000, interval: 20 });
    expect(rec.errors.some(([, name]) => name === "self")).toBe(true);
    expect(valueOf(rec.batches[0] ?? [], "process.rss_bytes")).toBeGreaterThan(0);
    expect(rec.batches.flat().some((p) => p.series.startsWith("livedash."))).toBe(false);
  });

  it("rejects a bad interval naming the field", () => {
    expect(() =>
      startCollectors({ intervalMs: 0, publish: () => undefined, describe: () => undefined, traffic: () => { throw new Error("unused"); } }),
    ).toThrow(/intervalMs must be at least 10/);
  });
});
