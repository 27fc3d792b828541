import type { Point } from "@livedash/events";
import { afterEach, beforeEach, expect, it } from "vitest";
import { openDiskStore } from "../src/store/disk/disk-store";
import { tempDataDir, tiers } from "./helpers/data-dir";

const MIN = 60_000;
const NOW = Date.UTC(2026, 0, 31, 12, 0, 0);
let data: ReturnType<typeof tempDataDir>;

beforeEach(() => {
  data = tempDataDir();
});
afterEach(() => data.remove());

it("a retention change that drops a tier says so, naming the tier and the rows deleted (review R2 F10: a 30-day tier vanished silently)", () => {
  const first = openDiskStore({ dataDir: data.dir, tiers: tiers("1s:1h,1m:30d"), now: () => NOW, log: () => undefined });
  const points: Point[] = [];
  for (let i = 0; i < 600; i++) points.push({ series: "a", ts: NOW - 300 * MIN + i * MIN / 2, value: i });
  first.store.append(points);
  first.close();

  const lines: string[] = [];
  const second = openDiskStore({ dataDir: data.dir, tiers: tiers("1s:1h,5m:30d"), now: () => NOW, log: (line) => lines.push(line) });
  second.close();
  const warning = lines.find((line) => line.includes("LIVEDASH_RETENTION"));
  expect(warning).toBeDefined();
  expect(warning).toMatch(/1m/);
  expect(warning).toMatch(/[1-9]\d* (chunk|row)/);

  const quiet: string[] = [];
  openDiskStore({ dataDir: data.dir, tiers: tiers("1s:1h,5m:30d"), now: () => NOW, log: (line) => quiet.push(line) }).close();
  expect(quiet.filter((line) => line.includes("LIVEDASH_RETENTION"))).toEqual([]);
});
