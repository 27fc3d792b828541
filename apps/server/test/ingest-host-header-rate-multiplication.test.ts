import { describe, expect, it } from "vitest";
import { startTestServer } from "./helpers/server";

/**
 * Attack review (F3): with LIVEDASH_INGEST_RATE=10 (burst 20) one address got 20 points through without
 * `X-Livedash-Host` and 20,000 by naming a new host in each request: every host key had a bucket of its
 * own and nothing held the address's total. Every write now also takes from its address's bucket
 * (LIVEDASH_INGEST_ADDRESS_RATE, default 10x LIVEDASH_INGEST_RATE), so naming hosts buys at most that.
 */
describe("one address multiplied its ingest rate by rotating X-Livedash-Host", () => {
  it("LIVEDASH_INGEST_RATE=10, clock frozen: rotated host names get at most the address's burst (2 x 100)", async () => {
    const frozen = performance.now();
    const server = await startTestServer({ LIVEDASH_INGEST_RATE: "10", LIVEDASH_MAX_SERIES: "100000" }, { ingestRate: { now: () => frozen } });
    try {
      const send = async (host: string | null) => {
        const points = Array.from({ length: 20 }, (_, k) => ({ series: `flood.s${k}`, value: 1, ts: Date.now() }));
        const headers: Record<string, string> = { "content-type": "application/json" };
        if (host !== null) headers["x-livedash-host"] = host;
        const res = await fetch(`${server.url}/api/ingest`, { method: "POST", headers, body: JSON.stringify({ points }) });
        const body = (await res.json()) as { error?: { message: string } };
        return { status: res.status, message: body.error?.message };
      };
      let rotated = 0;
      let last: { status: number; message?: string } | undefined;
      for (let i = 0; i < 60; i++) {
        last = await send(`h${i}`);
        if (last.status === 200) rotated += 20;
      }
      // 10 host buckets of 20 fill the address's burst of 200; the 11th host is refused by the address.
      expect(rotated).toBe(200);
      expect(last).toEqual({ status: 429, message: expect.stringContaining("LIVEDASH_INGEST_ADDRESS_RATE") });
      // The address's own (no-header) writes share that total too.
      expect((await send(null)).status).toBe(429);
    } finally {
      await server.close();
    }
  }, 60_000);

  it("a host's own bucket still holds it to LIVEDASH_INGEST_RATE, naming that setting", async () => {
    const frozen = performance.now();
    const server = await startTestServer({ LIVEDASH_INGEST_RATE: "10" }, { ingestRate: { now: () => frozen } });
    try {
      const post = () =>
        fetch(`${server.url}/api/ingest`, { method: "POST", headers: { "content-type": "application/json", "x-livedash-host": "web1" }, body: JSON.stringify({ points: [{ series: "m", value: 1 }, { series: "m2", value: 1 }] }) });
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) statuses.push((await post()).status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(10);
      const refused = await post();
      expect(refused.status).toBe(429);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toContain("(LIVEDASH_INGEST_RATE)");
    } finally {
      await server.close();
    }
  }, 60_000);

  it("LIVEDASH_INGEST_ADDRESS_RATE is validated, naming it and its range", async () => {
    await expect(startTestServer({ LIVEDASH_INGEST_ADDRESS_RATE: "0" })).rejects.toThrow(/LIVEDASH_INGEST_ADDRESS_RATE must be an integer from 1 to 1000000000/);
  });
});
