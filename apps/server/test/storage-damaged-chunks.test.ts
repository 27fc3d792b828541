import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDiskStore } from "../src/store/disk/disk-store";
import type { DiskStorage } from "../src/store/disk/disk-store";
import { parseRetention } from "../src/store/disk/retention";
import { tempDataDir } from "./helpers/data-dir";

const NOW = Date.UTC(2026, 0, 31, 12, 0, 0);
let data: ReturnType<typeof tempDataDir>;
let logged: string[];
const opened: DiskStorage[] = [];

function open(): DiskStorage {
  const parsed = parseRetention("1s:1h");
  if (!parsed.ok) throw new Error(parsed.message);
  const disk = openDiskStore({ dataDir: data.dir, tiers: parsed.tiers, now: () => NOW, flushIntervalMs: 3_600_000, log: (m) => logged.push(m) });
  opened.push(disk);
  return disk;
}

/** Overwrites blobs in the closed data file, as a bad sector or a stray write would. */
function damage(sql: string): void {
  const db = new Database(join(data.dir, "livedash.db"));
  db.prepare(sql).run();
  db.close();
}

beforeEach(() => {
  data = tempDataDir();
  logged = [];
});
afterEach(() => {
  for (const disk of opened.splice(0)) disk.close();
  data.remove();
});

// 1000 points, one a second: several sealed chunks and a head.
const points = Array.from({ length: 1000 }, (_, i) => ({ series: "app.damaged", ts: NOW - 1000_000 + i * 1000, value: i }));
const query = { from: NOW - 1000_000, to: NOW, maxPoints: 10_000 };

describe("damaged blobs in the data file", () => {
  it("a damaged head chunk stops the start with the move-aside advice", () => {
    const disk = open();
    disk.store.append(points);
    opened.splice(0).forEach((d) => d.close());
    damage("UPDATE heads SET data = x'01000400ffffff7f' WHERE data IS NOT NULL");
    expect(() => open()).toThrow(/data file .*livedash\.db is corrupt \(head chunk of series app\.damaged tier 0: corrupt chunk: .*\)\. Stop the server and move the file aside \(mv /);
  });

  it("a damaged sealed chunk is skipped with a logged error instead of failing every query", () => {
    const disk = open();
    disk.store.append(points);
    opened.splice(0).forEach((d) => d.close());
    const db = new Database(join(data.dir, "livedash.db"));
    const sealed = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM chunks").get()!.n;
    db.close();
    expect(sealed).toBeGreaterThan(1);
    damage("UPDATE chunks SET data = x'01000400ffffff7f' WHERE rowid = (SELECT min(rowid) FROM chunks)");

    const again = open();
    const values = again.store.history("app.damaged", query).map((p) => p.value);
    // Everything but the damaged chunk's rows, in order.
    expect(values.length).toBeGreaterThan(0);
    expect(values.length).toBeLessThan(1000);
    expect(values).toEqual(points.slice(1000 - values.length).map((p) => p.value));
    expect(logged.filter((m) => /^storage: damaged chunk \(row \d+ of .*livedash\.db\) skipped in history answers: corrupt chunk/.test(m))).toHaveLength(1);
    // Asked again: still answered, logged once.
    expect(again.store.history("app.damaged", query).map((p) => p.value)).toEqual(values);
    expect(logged.filter((m) => m.startsWith("storage: damaged chunk"))).toHaveLength(1);
  });
});
