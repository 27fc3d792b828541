import { readdirSync } from "node:fs";
import { performance } from "node:perf_hooks";
import type { Labels, SeriesMeta } from "@livedash/events";
import type { Collector, CollectorEnv, Reading } from "./collector";
import { ratePerSecond, readText, readTextSync } from "./proc-files";

/** /proc/diskstats counts in 512-byte sectors whatever the device's real sector size. */
const SECTOR_BYTES = 512;

export interface DiskCounters {
  readonly device: string;
  readonly readBytes: number;
  readonly writtenBytes: number;
}

/**
 * Parses /proc/diskstats (Documentation/admin-guide/iostats.rst): `major minor name` then reads
 * completed, reads merged, sectors read, ms reading, writes completed, writes merged, sectors written...
 */
export function parseDiskStats(text: string): DiskCounters[] {
  const out: DiskCounters[] = [];
  for (const line of text.split("\n")) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 10) continue;
    const sectorsRead = Number(parts[5]);
    const sectorsWritten = Number(parts[9]);
    if (!Number.isFinite(sectorsRead) || !Number.isFinite(sectorsWritten)) continue;
    out.push({ device: parts[2] as string, readBytes: sectorsRead * SECTOR_BYTES, writtenBytes: sectorsWritten * SECTOR_BYTES });
  }
  return out;
}

/** What sysfs says of a device: listed in /sys/block (a whole device), stacked on others (dm, md). */
export interface BlockDeviceInfo {
  readonly listed: boolean;
  readonly stacked: boolean;
}

/**
 * Whether a device counts toward the disk totals: whole physical disks only. Partitions would count
 * their disk's I/O twice, stacked devices (LVM dm-*, RAID md*) repeat their members' I/O, and
 * loop/ram/zram devices are memory or files, not disks. With sysfs the answer comes from it; without
 * (null), from the usual naming schemes.
 */
export function isCountedDisk(device: string, sys: BlockDeviceInfo | null): boolean {
  if (/^(loop|ram|zram)\d*$/.test(device)) return false;
  if (sys !== null) return sys.listed && !sys.stacked;
  if (/^(dm-|md)\d+$/.test(device)) return false;
  if (/^(sd|hd|vd|xvd)[a-z]+\d+$/.test(device)) return false;
  return !/^(nvme\d+n\d+|mmcblk\d+|md\d+|nbd\d+)p\d+$/.test(device);
}

function listDir(path: string): string[] | null {
  try {
    return readdirSync(path);
  } catch {
    // Absent sysfs (container, non-Linux): the caller falls back to naming rules.
    return null;
  }
}

interface Snapshot {
  readonly atMs: number;
  readonly disks: ReadonlyMap<string, DiskCounters>;
}

const META: SeriesMeta[] = [
  { series: "host.disk.read_bytes_per_s", unit: "bytes_per_second", kind: "rate", description: "Bytes read; label device: one disk, none: all disks" },
  { series: "host.disk.write_bytes_per_s", unit: "bytes_per_second", kind: "rate", description: "Bytes written; label device: one disk, none: all disks" },
];

/**
 * host.disk.read_bytes_per_s / write_bytes_per_s of all counted disks (no device label) and of each
 * (`device="sda"`, node_exporter's label for the kernel's device name).
 */
export function createHostDiskCollector(env: CollectorEnv): Collector {
  const path = `${env.procRoot}/diskstats`;
  /** Device -> its label set when counted, null when not. Classified once per name, with sysfs read synchronously: devices rarely appear. */
  const classified = new Map<string, Labels | null>();

  const classify = (device: string): Labels | null => {
    let labels = classified.get(device);
    if (labels === undefined) {
      const listed = listDir(`${env.sysRoot}/block`);
      const sys =
        listed === null
          ? null
          : { listed: listed.includes(device), stacked: (listDir(`${env.sysRoot}/block/${device}/slaves`) ?? []).length > 0 };
      labels = isCountedDisk(device, sys) ? { device } : null;
      classified.set(device, labels);
    }
    return labels;
  };

  const snapshot = (text: string): Snapshot => ({
    atMs: performance.now(),
    disks: new Map(parseDiskStats(text).filter((d) => classify(d.device) !== null).map((d) => [d.device, d])),
  });

  const first = readTextSync(path);
  let prev: Snapshot | null = first === null ? null : snapshot(first);
  if (first !== null) env.declare(META);
  let declared = first !== null;

  return {
    name: "host-disk",
    async sample(out: Reading[]) {
      const text = await readText(path);
      if (text === null) return;
      const cur = snapshot(text);
      if (!declared) {
        env.declare(META);
        declared = true;
      }
      if (prev !== null) {
        const elapsedMs = cur.atMs - prev.atMs;
        let readBefore = 0;
        let readNow = 0;
        let writtenBefore = 0;
        let writtenNow = 0;
        for (const [device, d] of cur.disks) {
          // A new disk has no previous sample: it joins the totals and gets rates from next tick.
          const before = prev.disks.get(device);
          if (before === undefined) continue;
          readBefore += before.readBytes;
          readNow += d.readBytes;
          writtenBefore += before.writtenBytes;
          writtenNow += d.writtenBytes;
          const labels = classify(device) ?? undefined;
          const read = ratePerSecond(before.readBytes, d.readBytes, elapsedMs);
          const write = ratePerSecond(before.writtenBytes, d.writtenBytes, elapsedMs);
          if (read !== null) out.push({ series: "host.disk.read_bytes_per_s", labels, value: read });
          if (write !== null) out.push({ series: "host.disk.write_bytes_per_s", labels, value: write });
        }
        const read = ratePerSecond(readBefore, readNow, elapsedMs);
        const write = ratePerSecond(writtenBefore, writtenNow, elapsedMs);
        if (read !== null) out.push({ series: "host.disk.read_bytes_per_s", value: read });
        if (write !== null) out.push({ series: "host.disk.write_bytes_per_s", value: write });
      }
      prev = cur;
    },
  };
}
