/**
 * Bytes per point of the raw tier of a stopped server's data directory (sealed chunks plus head
 * chunks, headers included; no SQLite page overhead), for the storage benchmark's collector figure:
 * `node --import tsx scripts/raw-bytes-per-point.ts --dir <d>`.
 * Prints one JSON line: series, points, bytes, bytesPerPoint, and the five costliest series.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { z } from "zod";

const ArgsSchema = z.object({ dir: z.string().min(1, "--dir is required") });
const { values } = parseArgs({ options: { dir: { type: "string" } } });
const args = ArgsSchema.parse({ dir: values.dir });

const db = new Database(join(args.dir, "livedash.db"), { readonly: true, fileMustExist: true });
/** Row count from the chunk header (chunk-codec.ts: version, flags, columns, then the count as u32 LE). */
const rowsOf = (data: Uint8Array) => new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(3, true);
const perSeries = new Map<string, { points: number; bytes: number }>();
const rows = db
  .prepare<[], { name: string; data: Uint8Array | null }>(
    "SELECT s.name AS name, c.data AS data FROM chunks c JOIN series s ON s.id = c.series_id WHERE c.tier = 0 UNION ALL SELECT s.name, h.data FROM heads h JOIN series s ON s.id = h.series_id WHERE h.tier = 0",
  )
  .iterate();
for (const { name, data } of rows) {
  if (data === null) continue;
  const entry = perSeries.get(name) ?? { points: 0, bytes: 0 };
  entry.points += rowsOf(data);
  entry.bytes += data.length;
  perSeries.set(name, entry);
}
db.close();
let points = 0;
let bytes = 0;
for (const entry of perSeries.values()) {
  points += entry.points;
  bytes += entry.bytes;
}
const costliest = [...perSeries]
  .map(([series, e]) => ({ series, points: e.points, bytesPerPoint: Math.round((e.bytes / Math.max(1, e.points)) * 100) / 100 }))
  .sort((a, b) => b.bytesPerPoint - a.bytesPerPoint)
  .slice(0, 5);
console.log(JSON.stringify({ series: perSeries.size, points, bytes, bytesPerPoint: Math.round((bytes / Math.max(1, points)) * 100) / 100, costliest }));
