import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LivedashServer } from "../src/server";
import { ingest, startTestServer } from "./helpers/server";

describe("metrics.history answer budget", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer({ LIVEDASH_MAX_HISTORY_POINTS: "1000" });
  });
  afterAll(async () => {
    await server.close();
  });

  it("a history query asking more than LIVEDASH_MAX_HISTORY_POINTS (series × maxPoints) is refused with 413 naming the limit, before any work", async () => {
    const ts = Date.now() - 10_000;
    const points = ["a", "b", "c"].flatMap((s) => Array.from({ length: 5 }, (_, i) => ({ series: `budget.${s}`, ts: ts + i, value: i })));
    expect((await ingest(server.url, points)).status).toBe(200);
    const url = (series: string[], maxPoints: number) =>
      `${server.url}/trpc/metrics.history?input=${encodeURIComponent(JSON.stringify({ series, from: 0, maxPoints }))}`;
    const within = await fetch(url(["budget.a", "budget.b"], 500), { signal: AbortSignal.timeout(10_000) });
    expect(within.status).toBe(200);
    const answer = (await within.json()) as { result: { data: { series: string; points: unknown[] }[] } };
    expect(answer.result.data.map((s) => s.points.length)).toEqual([5, 5]);
    const over = await fetch(url(["budget.a", "budget.b", "budget.c"], 400), { signal: AbortSignal.timeout(10_000) });
    expect(over.status).toBe(413);
    const refused = (await over.json()) as { error: { message: string; data: { code: string } } };
    expect(refused.error.data.code).toBe("PAYLOAD_TOO_LARGE");
    expect(refused.error.message).toBe(
      "series × maxPoints: 3 × 400 = 1200 points is over the limit of 1000 per history query (LIVEDASH_MAX_HISTORY_POINTS); ask fewer series per request or a smaller maxPoints",
    );
  });
});
