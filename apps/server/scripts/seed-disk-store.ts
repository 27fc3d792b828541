/**
 * Writes a synthetic history straight into a disk store (no HTTP), for the storage benchmarks:
 * `node --import tsx scripts/seed-disk-store.ts --dir <d> --series <n> --hours <h> --step-ms <s>`.
 * The data ends at the current time, so a server started on the directory serves it as recent.
 * Prints one JSON line: points written, seconds, file bytes, peak RSS of this process.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import type { Point } from "@livedash/events";
import { openDiskStore } from "../src/store/disk/disk-store";
import { DEFAULT_RETENTION, parseRetention } from "../src/store/disk/retention";

const ArgsSchema = z.object({
  dir: z.string().min(1, "--dir is required"),
  series: z.coerce.number().int().min(1).max(100_000, "--series must be at most 100000"),
  hours: z.coerce.number().positive().max(24 * 400, "--hours must be at most 9600"),
  stepMs: z.coerce.number().int().min(100, "--step-ms must be at least 100"),
  prefix: z.string().regex(/^[a-zA-Z0-9_.:-]+$/, "--prefix must be a series name prefix").default("bench.s"),
});

const { values } = parseArgs({
  options: { dir: { type: "string" }, series: { type: "string" }, hours: { type: "string" }, "step-ms": { type: "string" }, prefix: { type: "string" } },
});
const args = ArgsSchema.parse({ dir: values.dir, series: values.series, hours: values.hours, stepMs: values["step-ms"], prefix: values.prefix });
const tiers = parseRetention(DEFAULT_RETENTION);
if (!tiers.ok) throw new Error(tiers.message);

const started = performance.now();
const end = Math.floor(Date.now() / args.stepMs) * args.stepMs;
const start = end - Math.floor((args.hours * 3_600_000) / args.stepMs) * args.stepMs;
let clock = start;
const disk = openDiskStore({ dataDir: args.dir, tiers: tiers.tiers, now: () => clock, flushIntervalMs: 3_600_000, log: () => undefined });
const names = Array.from({ length: args.series }, (_, i) => `${args.prefix}${i}`);
const level = new Float64Array(args.series).map((_, i) => 20 + (i % 50));
const batch: Point[] = names.map((series) => ({ series, ts: 0, value: 0 }));
let points = 0;
let peakRss = 0;
// Collector-like values: a slow random walk rounded to 2 decimals (a percentage) on even series,
// a growing integer (a byte counter) on odd ones.
for (let ts = start, tick = 0; ts <= end; ts += args.stepMs, tick++) {
  clock = ts;
  for (let i = 0; i < args.series; i++) {
    const point = batch[i] as Point;
    point.ts = ts;
    if (i % 2 === 0) {
      level[i] = Math.min(100, Math.max(0, (level[i] as number) + (Math.random() - 0.5) * 2));
      point.value = Math.round((level[i] as number) * 100) / 100;
    } else {
      level[i] = (level[i] as number) + Math.floor(Math.random() * 4096);
      point.value = level[i] as number;
    }
  }
  disk.store.append(batch);
  points += args.series;
  // A flush per ~500k points: the server flushes every second, but the seed has no live readers,
  // and fewer head rewrites and checkpoints keep a 24 h seed to about a minute.
  if (tick % Math.max(1, Math.round(500_000 / args.series)) === 0) {
    disk.flush();
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
}
clock = Date.now();
disk.close();
const fileBytes = statSync(join(args.dir, "livedash.db")).size;
console.log(JSON.stringify({ points, seconds: (performance.now() - started) / 1000, fileBytes, peakRssBytes: peakRss, from: start, to: end }));
