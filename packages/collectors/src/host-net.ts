import { performance } from "node:perf_hooks";
import type { Labels, SeriesMeta } from "@livedash/events";
import type { Collector, CollectorEnv, Reading } from "./collector";
import { declareOnce } from "./collector";
import { ratePerSecond, readText, readTextSync } from "./proc-files";

export interface NetCounters {
  /** Interface name as the kernel spells it. */
  readonly iface: string;
  readonly rxBytes: number;
  readonly txBytes: number;
}

/**
 * Parses /proc/net/dev: two header lines, then `<iface>: <8 receive fields> <8 transmit fields>`;
 * receive bytes is the 1st field, transmit bytes the 9th. The colon may touch the first number.
 */
export function parseNetDev(text: string): NetCounters[] {
  const out: NetCounters[] = [];
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const iface = line.slice(0, colon).trim();
    const fields = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (iface === "" || fields.length < 9) continue;
    const rxBytes = fields[0] as number;
    const txBytes = fields[8] as number;
    if (!Number.isFinite(rxBytes) || !Number.isFinite(txBytes)) continue;
    out.push({ iface, rxBytes, txBytes });
  }
  return out;
}

interface Snapshot {
  readonly atMs: number;
  readonly counters: ReadonlyMap<string, NetCounters>;
}

function snapshot(text: string): Snapshot {
  return { atMs: performance.now(), counters: new Map(parseNetDev(text).map((c) => [c.iface, c])) };
}

const META: SeriesMeta[] = [
  { series: "host.net.rx_bytes_per_s", unit: "bytes_per_second", kind: "rate", description: "Bytes received on the interface (label interface)" },
  { series: "host.net.tx_bytes_per_s", unit: "bytes_per_second", kind: "rate", description: "Bytes sent on the interface (label interface)" },
];

/**
 * host.net.rx_bytes_per_s / tx_bytes_per_s with `interface="eth0"` for every interface, `lo`
 * included: loopback is where the benchmarks' traffic shows. The label keeps the kernel's name as
 * is (`eth0.100`, a VLAN), which a name segment could not. Rates use the real time between the two reads.
 */
export function createHostNetCollector(env: CollectorEnv): Collector {
  const path = `${env.procRoot}/net/dev`;
  /** Label set per interface, built once. */
  const labelsByIface = new Map<string, Labels>();
  const labelsOf = (iface: string): Labels => {
    let labels = labelsByIface.get(iface);
    if (labels === undefined) {
      labels = { interface: iface };
      labelsByIface.set(iface, labels);
    }
    return labels;
  };
  const declare = declareOnce(env, META);

  const first = readTextSync(path);
  let prev: Snapshot | null = first === null ? null : snapshot(first);
  if (prev !== null) declare();

  return {
    name: "host-net",
    async sample(out: Reading[]) {
      const text = await readText(path);
      if (text === null) return;
      const cur = snapshot(text);
      declare();
      if (prev !== null) {
        const elapsedMs = cur.atMs - prev.atMs;
        for (const [iface, c] of cur.counters) {
          // A new interface has no previous sample: its first rate comes next tick.
          const before = prev.counters.get(iface);
          if (before === undefined) continue;
          const labels = labelsOf(iface);
          const rx = ratePerSecond(before.rxBytes, c.rxBytes, elapsedMs);
          const tx = ratePerSecond(before.txBytes, c.txBytes, elapsedMs);
          if (rx !== null) out.push({ series: "host.net.rx_bytes_per_s", labels, value: rx });
          if (tx !== null) out.push({ series: "host.net.tx_bytes_per_s", labels, value: tx });
        }
      }
      prev = cur;
    },
  };
}
