import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { HistoryColumnsF64Schema, HistoryColumnsSchema, HistorySeriesSchema, decodeHistoryColumns } from "@livedash/events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LivedashServer } from "../src/server";
import { ingest, startTestServer } from "./helpers/server";

const get = async (base: string, procedure: string, input: unknown) => {
  const res = await fetch(`${base}/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: (await res.json()) as { result?: { data: unknown }; error?: { message: string } } };
};

describe.each(["memory", "disk"] as const)("metrics.historyColumns (%s store)", (storage) => {
  let server: LivedashServer;
  let dir: string;
  const t0 = Date.now() - 60_000;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "livedash-columns-"));
    server = await startTestServer({ LIVEDASH_STORAGE: storage, LIVEDASH_DATA_DIR: dir, LIVEDASH_MAX_HISTORY_POINTS: "1000" });
    // 40 points over 40 s, values with long mantissas: the buckets of 4 hold means, mins and maxes.
    const points = ["cols.a", "cols.b"].flatMap((series, s) => Array.from({ length: 40 }, (_, i) => ({ series, ts: t0 + i * 1000, value: Math.sin(i + s) * 1e3 })));
    expect((await ingest(server.url, points)).status).toBe(200);
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers the same buckets as metrics.history, one array per field", async () => {
    for (const maxPoints of [10, 100]) {
      const input = { series: ["cols.a", "cols.b", "cols.none"], from: t0, to: t0 + 39_000, maxPoints };
      const points = HistorySeriesSchema.array().parse((await get(server.url, "metrics.history", input)).body.result?.data);
      const columns = HistoryColumnsSchema.array().parse((await get(server.url, "metrics.historyColumns", input)).body.result?.data);
      expect(columns.map((c) => c.series)).toEqual(["cols.a", "cols.b", "cols.none"]);
      expect(columns[0]?.ts.length).toBe(maxPoints === 10 ? 10 : 40);
      expect(columns[2]?.ts).toEqual([]);
      expect(columns).toEqual(
        points.map((s) => ({ series: s.series, ts: s.points.map((p) => p.ts), value: s.points.map((p) => p.value), min: s.points.map((p) => p.min), max: s.points.map((p) => p.max) })),
      );
    }
  });

  it("encoding f64 answers the same numbers, bit for bit, as the default JSON columns", async () => {
    for (const maxPoints of [10, 100]) {
      const input = { series: ["cols.a", "cols.b", "cols.none"], from: t0, to: t0 + 39_000, maxPoints };
      const json = HistoryColumnsSchema.array().parse((await get(server.url, "metrics.historyColumns", input)).body.result?.data);
      expect(json.map((c) => c.series)).toEqual(["cols.a", "cols.b", "cols.none"]);
      const f64 = HistoryColumnsF64Schema.array().parse((await get(server.url, "metrics.historyColumns", { ...input, encoding: "f64" })).body.result?.data);
      expect(f64.map((c) => [c.series, c.count])).toEqual(json.map((c) => [c.series, c.ts.length]));
      expect(decodeHistoryColumns(f64)).toEqual(json);
      // Aggregated answers take the same encoding.
      const aggregate = { by: [], op: "sum" };
      const aggJson = HistoryColumnsSchema.array().parse((await get(server.url, "metrics.historyColumns", { ...input, aggregate })).body.result?.data);
      const aggF64 = HistoryColumnsF64Schema.array().parse((await get(server.url, "metrics.historyColumns", { ...input, aggregate, encoding: "f64" })).body.result?.data);
      expect(aggJson[0]?.ts.length).toBeGreaterThan(0);
      expect(decodeHistoryColumns(aggF64)).toEqual(aggJson);
    }
  });

  it("refuses an unknown encoding, naming the field", async () => {
    const answer = await get(server.url, "metrics.historyColumns", { series: ["cols.a"], encoding: "f32" });
    expect(answer.status).toBe(400);
    expect(answer.body.error?.message).toContain("encoding");
  });

  it("refuses a query over LIVEDASH_MAX_HISTORY_POINTS as metrics.history does", async () => {
    const answer = await get(server.url, "metrics.historyColumns", { series: ["cols.a", "cols.b"], from: 0, maxPoints: 600 });
    expect(answer.status).toBe(413);
    expect(answer.body.error?.message).toContain("series × maxPoints: 2 × 600 = 1200 points is over the limit of 1000");
  });
});
