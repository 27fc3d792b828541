import type { CatalogEntry } from "@livedash/events";
import { describe, expect, it, vi } from "vitest";
import { startTestServer } from "./helpers/server";

// The collectors themselves are tested in packages/collectors; this is the server's wiring of them.
describe("collectors through the server", () => {
  it("list their keys in metrics.catalog with the host from LIVEDASH_HOSTNAME and their name's unit", async () => {
    const server = await startTestServer({ LIVEDASH_COLLECTORS: "on", LIVEDASH_TICK_MS: "50", LIVEDASH_HOSTNAME: "edge-7" });
    try {
      const catalog = async (): Promise<CatalogEntry[]> => {
        const res = await fetch(`${server.url}/trpc/metrics.catalog`);
        return ((await res.json()) as { result: { data: CatalogEntry[] } }).result.data;
      };
      await vi.waitFor(async () => expect((await catalog()).find((s) => s.key === 'process.rss_bytes{host="edge-7"}')?.last ?? null).not.toBeNull(), {
        timeout: 5000,
        interval: 50,
      });
      const infos = await catalog();
      expect(infos.find((s) => s.key === 'process.rss_bytes{host="edge-7"}')).toMatchObject({ name: "process.rss_bytes", labels: { host: "edge-7" }, unit: "bytes", kind: "gauge" });
      expect(infos.find((s) => s.key === 'host.cpu.total{cpu="0",host="edge-7"}')).toMatchObject({ unit: "percent", thresholds: { warn: 80, crit: 95 } });
      expect(infos.find((s) => s.key === 'livedash.connections{host="edge-7",transport="ws"}')).toMatchObject({ unit: "count" });
      // A described name stands for its keys: once they exist it is not listed on its own.
      expect(infos.some((s) => s.key === "process.rss_bytes" || s.key === "host.cpu.total")).toBe(false);
      // Whatever has a value carries the host (a name whose first value is a tick away is still listed bare).
      for (const info of infos.filter((s) => s.last !== null)) expect(info.labels.host).toBe("edge-7");
    } finally {
      await server.close();
    }
  });
});
