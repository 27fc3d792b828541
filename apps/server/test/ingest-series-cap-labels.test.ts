import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LivedashServer } from "../src/server";
import { labelWithMostValues } from "../src/pipeline/cardinality";
import { startTestServer } from "./helpers/server";

describe("the series cap counts keys and names the label that blew it", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer({ LIVEDASH_MAX_SERIES: "20" });
  });
  afterAll(async () => {
    await server.close();
  });

  const write = async (body: string) => {
    const res = await fetch(`${server.url}/api/write`, { method: "POST", body });
    return { status: res.status, body: (await res.json()) as { error?: { message: string }; accepted?: number } };
  };

  it("one name with different labels is many series: past the cap the error names the label with the most values and the limit", async () => {
    // 10 series of one name: under the cap.
    const first = await write(Array.from({ length: 10 }, (_, i) => `req,host=h${i},dc=d${i % 2} v=1`).join("\n"));
    expect(first).toMatchObject({ status: 200, body: { accepted: 10 } });
    const refused = await write(Array.from({ length: 30 }, (_, i) => `req,host=h${i},dc=d${i % 2} v=1`).join("\n"));
    expect(refused.status).toBe(400);
    expect(refused.body.error?.message).toBe(
      "series cap reached: the server holds 10 of at most 20 distinct series and this request adds 20 (LIVEDASH_MAX_SERIES); label host has the most distinct values among them (20)",
    );
    expect(server.services.store.size()).toBe(10);
    // JSON labels are the same keys: h0..h9 are held already.
    const json = await fetch(`${server.url}/api/ingest`, { method: "POST", body: JSON.stringify({ points: [{ series: "req.v", labels: { host: "h3", dc: "d1" }, value: 2 }] }) });
    expect(json.status).toBe(200);
    expect(server.services.store.size()).toBe(10);
  });

  it("without labels among the new keys the message stays the plain cap", async () => {
    const refused = await write(Array.from({ length: 11 }, (_, i) => `plain${i} v=1`).join("\n"));
    expect(refused.status).toBe(400);
    expect(refused.body.error?.message).toMatch(/^series cap reached: .* adds 11 \(LIVEDASH_MAX_SERIES\)$/);
  });
});

describe("labelWithMostValues", () => {
  it("counts distinct values per label over the keys; ties go to the first name; bare names are ignored", () => {
    expect(labelWithMostValues(['a{x="1",y="1"}', 'a{x="2",y="1"}', 'b{y="2"}', "bare"])).toEqual({ label: "x", values: 2 });
    expect(labelWithMostValues(['a{y="1"}', 'a{x="1"}'])).toEqual({ label: "x", values: 1 });
    expect(labelWithMostValues(["bare", "other"])).toBeNull();
  });
});
