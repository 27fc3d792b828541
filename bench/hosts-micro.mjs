/**
 * `node --import tsx bench/hosts-micro.mjs [hosts] [seriesPerHost] [batches]`: the host registry's cost on the
 * ingest path, in-process. Every batch holds one point of every series of every host (what a tick of many agents
 * merged by the batcher looks like), with fresh point objects and fresh key strings per batch, as parsed JSON gives.
 * On the server the store and the cardinality check look every key up before the registry does, so a key's hash is
 * already computed: `nsPerPointObserve` is timed after one Map lookup per point (`nsPerPointLookup`, that earlier
 * stage's cost, which pays the hash); `heapDeltaBytes` is what observing all batches left on the heap.
 * Prints one JSON line: { hosts, seriesPerHost, points, nsPerPointLookup, nsPerPointObserve, heapDeltaBytes }.
 */
import { createHostRegistry } from "../apps/server/src/hosts/host-registry.ts";

const HOSTS = Number(process.argv[2] ?? 100);
const SERIES = Number(process.argv[3] ?? 50);
const BATCHES = Number(process.argv[4] ?? 200);
const names = ["host.cpu.total", "host.mem.used_percent", "host.load.1m", ...Array.from({ length: Math.max(0, SERIES - 3) }, (_, i) => `host.net.rx_bytes_per_s.n${i}`)];
/** Each batch is parsed from JSON, as an ingest body is: new flat key strings, so no hash is cached on a reused string. */
const batch = (round) => {
  const points = [];
  for (let h = 0; h < HOSTS; h++) for (const name of names) points.push({ series: `${name}{host="h${h}"}`, ts: 1_000 * round, value: round });
  return JSON.parse(JSON.stringify(points));
};
const batches = Array.from({ length: BATCHES }, (_, i) => batch(i + 1));
const registry = createHostRegistry({ maxHosts: HOSTS, now: () => 1_000 * BATCHES });
// Warm: every key resolved once, the JIT warm.
registry.observe(batch(0), 0);
// The earlier stage: one Map lookup per point over every key (the store's series map), paying each new string's hash.
const seen = new Map(batch(0).map((p) => [p.series, p]));
let sink = 0;
const lookupStart = performance.now();
for (const points of batches) for (let i = 0; i < points.length; i++) if (seen.get(points[i].series) !== undefined) sink++;
const lookupMs = performance.now() - lookupStart;
globalThis.gc?.();
const heapBefore = process.memoryUsage().heapUsed;
const start = performance.now();
for (let b = 0; b < batches.length; b++) registry.observe(batches[b], 1_000 * (b + 1));
const elapsedMs = performance.now() - start;
const heapDeltaBytes = process.memoryUsage().heapUsed - heapBefore;
const points = HOSTS * names.length * BATCHES;
console.log(JSON.stringify({
  hosts: HOSTS, seriesPerHost: names.length, points,
  nsPerPointLookup: Math.round((lookupMs * 1e6) / points), nsPerPointObserve: Math.round((elapsedMs * 1e6) / points),
  heapDeltaBytes, tracked: registry.size, sink: sink > 0,
}));
