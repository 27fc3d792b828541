import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LivedashServer } from "../src/server";
import { ingest, startTestServer } from "./helpers/server";

describe("the series cap under concurrent requests", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    // A batching window keeps every request's points in flight together: none is in the store yet.
    server = await startTestServer({ LIVEDASH_MAX_SERIES: "10", LIVEDASH_BATCH_WINDOW_MS: "50" });
  });
  afterAll(async () => {
    await server.close();
  });

  it("the series cap races under concurrent requests: it holds, and the refused ones name it", async () => {
    const requests = Array.from({ length: 5 }, (_, r) => ingest(server.url, Array.from({ length: 4 }, (_, i) => ({ series: `race.r${r}.s${i}`, value: i }))));
    const answers = await Promise.all(requests);
    const accepted = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status !== 200);
    expect(accepted).toHaveLength(2);
    for (const answer of refused) {
      expect(answer.status).toBe(400);
      expect(JSON.stringify(answer.body)).toMatch(/series cap reached: .* at most 10 distinct series .*LIVEDASH_MAX_SERIES/);
    }
    expect(server.services.store.size()).toBe(8);
    // Known series still flow once the cap is reached; a refused request reserved nothing.
    expect((await ingest(server.url, [{ series: "race.r0.s0", value: 9 }])).status).toBe(200);
    const two = await ingest(server.url, [{ series: "race.late.a", value: 1 }, { series: "race.late.b", value: 2 }]);
    expect(two.status).toBe(200);
    expect((await ingest(server.url, [{ series: "race.late.c", value: 1 }])).status).toBe(400);
  });
});
