import { describe, expect, it } from "vitest";
import { cpuPercents, parseProcStat } from "../src/host-cpu";
import { isCountedDisk, parseDiskStats } from "../src/host-disk";
import { memoryFigures, parseMeminfo } from "../src/host-memory";
import { parseNetDev } from "../src/host-net";
import { ratePerSecond } from "../src/proc-files";

const PROC_STAT_A = `cpu  1000 100 500 8000 200 10 40 50 0 0
cpu0 600 50 250 3900 100 5 20 25 0 0
cpu1 400 50 250 4100 100 5 20 25 0 0
intr 452404 0 0 0
ctxt 1052401
btime 1764100000
`;
// 1000 jiffies later on the aggregate: user+100 nice+0 system+100 idle+700 iowait+50 irq+10 softirq+10 steal+30.
const PROC_STAT_B = `cpu  1100 100 600 8700 250 20 50 80 0 0
cpu0 650 50 300 4250 125 10 25 40 0 0
cpu1 450 50 300 4450 125 10 25 40 0 0
`;

describe("parseProcStat / cpuPercents", () => {
  it("parses the aggregate and per-core lines", () => {
    const stat = parseProcStat(PROC_STAT_A);
    expect(stat.total).toEqual({ user: 1000, nice: 100, system: 500, idle: 8000, iowait: 200, irq: 10, softirq: 40, steal: 50 });
    expect([...stat.cores.keys()]).toEqual([0, 1]);
    expect(stat.cores.get(1)?.idle).toBe(4100);
  });

  it("accepts old kernels' 4-field lines and ignores malformed ones", () => {
    const stat = parseProcStat("cpu 1 2 3 4\ncpu0 x y z w\ncpu1 1 2\n");
    expect(stat.total).toEqual({ user: 1, nice: 2, system: 3, idle: 4, iowait: 0, irq: 0, softirq: 0, steal: 0 });
    expect(stat.cores.size).toBe(0);
  });

  it("computes shares of the delta: user incl. nice, system incl. irq/softirq, total = busy", () => {
    const a = parseProcStat(PROC_STAT_A).total;
    const b = parseProcStat(PROC_STAT_B).total;
    if (a === null || b === null) throw new Error("fixture has no cpu line");
    const p = cpuPercents(a, b);
    expect(p).not.toBeNull();
    expect(p?.user).toBeCloseTo(10, 10);
    expect(p?.system).toBeCloseTo(12, 10);
    expect(p?.iowait).toBeCloseTo(5, 10);
    expect(p?.idle).toBeCloseTo(70, 10);
    expect(p?.total).toBeCloseTo(25, 10);
  });

  it("refuses a window with no ticks or a counter that went back", () => {
    const a = parseProcStat(PROC_STAT_A).total;
    const b = parseProcStat(PROC_STAT_B).total;
    if (a === null || b === null) throw new Error("fixture has no cpu line");
    expect(cpuPercents(a, a)).toBeNull();
    expect(cpuPercents(b, a)).toBeNull();
  });
});

const MEMINFO = `MemTotal:       24684096 kB
MemFree:        24440008 kB
MemAvailable:   20000000 kB
Buffers:            1932 kB
Cached:            42592 kB
Active(anon):       1512 kB
SwapTotal:       2000000 kB
SwapFree:        1500000 kB
HugePages_Total:       0
`;

describe("parseMeminfo / memoryFigures", () => {
  it("reads kB fields as bytes and plain counts as-is", () => {
    const fields = parseMeminfo(MEMINFO);
    expect(fields.get("MemTotal")).toBe(24684096 * 1024);
    expect(fields.get("Active(anon)")).toBe(1512 * 1024);
    expect(fields.get("HugePages_Total")).toBe(0);
  });

  it("uses MemAvailable for used = total - available, and swap total - free", () => {
    expect(memoryFigures(parseMeminfo(MEMINFO))).toEqual({
      totalBytes: 24684096 * 1024,
      availableBytes: 20000000 * 1024,
      usedBytes: (24684096 - 20000000) * 1024,
      swapUsedBytes: 500000 * 1024,
    });
  });

  it("falls back to free + buffers + cached without MemAvailable, and to no swap without swap fields", () => {
    const figures = memoryFigures(parseMeminfo("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 10 kB\nCached: 90 kB\n"));
    expect(figures).toEqual({ totalBytes: 1000 * 1024, availableBytes: 200 * 1024, usedBytes: 800 * 1024, swapUsedBytes: null });
    expect(memoryFigures(parseMeminfo("garbage\n"))).toBeNull();
  });
});

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    3193      29    0    0    0     0          0         0     3193      29    0    0    0     0       0          0
  eth0:614111019   14615    0    0    0     0          0         0   826462    8417    0    0    0     0       0          0
eth0.100:     10       1    0    0    0     0          0         0       20       2    0    0    0     0       0          0
`;

describe("parseNetDev", () => {
  it("reads rx bytes (1st field) and tx bytes (9th), even when the colon touches the number", () => {
    expect(parseNetDev(NET_DEV)).toEqual([
      { iface: "lo", rxBytes: 3193, txBytes: 3193 },
      { iface: "eth0", rxBytes: 614111019, txBytes: 826462 },
      { iface: "eth0.100", rxBytes: 10, txBytes: 20 },
    ]);
  });
});

const DISKSTATS = `   7       0 loop0 10 0 80 0 0 0 0 0 0 0 0 0 0 0 0 0 0
   8       0 sda 33017 8536 1699082 11310 21502 29621 3441712 18994 0 13556 31642 7765 34 260368 1109 3001 227
   8       1 sda1 32000 8000 1600000 11000 21000 29000 3400000 18000 0 13000 31000
 259       0 nvme0n1 100 0 2000 5 200 0 4000 7 0 10 12
 259       1 nvme0n1p1 100 0 2000 5 200 0 4000 7 0 10 12
 253       0 dm-0 90 0 1800 5 180 0 3600 7 0 10 12
 253       1 zram0 5 0 40 0 5 0 40 0 0 0 0
`;

describe("parseDiskStats / isCountedDisk", () => {
  it("reads sectors read (6th column) and written (10th) as 512-byte units", () => {
    const sda = parseDiskStats(DISKSTATS).find((d) => d.device === "sda");
    expect(sda).toEqual({ device: "sda", readBytes: 1699082 * 512, writtenBytes: 3441712 * 512 });
    expect(parseDiskStats(DISKSTATS)).toHaveLength(7);
  });

  it("counts whole disks only, from sysfs when present", () => {
    expect(isCountedDisk("sda", { listed: true, stacked: false })).toBe(true);
    expect(isCountedDisk("sda1", { listed: false, stacked: false })).toBe(false);
    expect(isCountedDisk("dm-0", { listed: true, stacked: true })).toBe(false);
    expect(isCountedDisk("loop0", { listed: true, stacked: false })).toBe(false);
    expect(isCountedDisk("zram0", { listed: true, stacked: false })).toBe(false);
  });

  it("falls back to naming rules without sysfs", () => {
    const counted = parseDiskStats(DISKSTATS)
      .map((d) => d.device)
      .filter((name) => isCountedDisk(name, null));
    expect(counted).toEqual(["sda", "nvme0n1"]);
  });
});

describe("ratePerSecond", () => {
  it("divides the delta by the real elapsed time", () => {
    expect(ratePerSecond(1000, 3000, 500)).toBe(4000);
  });

  it("refuses counters that went back and empty windows", () => {
    expect(ratePerSecond(3000, 1000, 500)).toBeNull();
    expect(ratePerSecond(1000, 3000, 0)).toBeNull();
  });
});
